/** Scripted SqlProbe and NodeChecker: the pipeline tests drive the cluster's views directly. */

import type { NodeCheckResult } from "../../shared/domain/node.ts";
import type { NodesView } from "../../shared/domain/rules/node-views.ts";
import type { SqlView } from "../../shared/domain/rules/vip-identity.ts";
import type { SqlObservation } from "../../shared/domain/sql.ts";
import type { NodeChecker, SqlEndpoint, SqlProbe, StateStore, StoredCurrent } from "../../shared/ports.ts";

export class ScriptedCluster {
  sql: SqlView;
  nodes: NodesView;
  constructor(sql: SqlView, nodes: NodesView) {
    this.sql = sql;
    this.nodes = nodes;
  }
  set(sql: SqlView, nodes: NodesView): void {
    this.sql = sql;
    this.nodes = nodes;
  }
  get probe(): SqlProbe {
    return { observe: async (e: SqlEndpoint): Promise<SqlObservation> => structuredClone(this.sql[e.name]) };
  }
  checker(id: "a" | "b"): NodeChecker {
    return {
      target: `scripted:${id}`,
      check: async (): Promise<NodeCheckResult> => structuredClone(this.nodes[id]),
    };
  }
}

/** A store in memory with the conditional commit's semantics, for tests about anything but persistence. */
export function memoryStore(): StateStore {
  let current: StoredCurrent | null = null;
  return {
    load: async () => current,
    commit: async (_c, expected, next) => {
      if ((current?.version ?? null) !== expected) return { committed: false };
      current = { version: (expected ?? 0) + 1, state: next.state, outbox: [], historyOutbox: [] };
      return { committed: true, version: current.version };
    },
    flushHistory: async () => {},
    markSent: async () => {},
    history: async () => [],
  };
}
