/** Scripted SqlProbe and NodeChecker: the pipeline tests drive the cluster's views directly. */

import type { SweepRecord } from "../../shared/domain/consistency/sweep.ts";
import type { NodeCheckResult } from "../../shared/domain/node.ts";
import type { NodesView } from "../../shared/domain/rules/node-views.ts";
import type { SqlView } from "../../shared/domain/rules/vip-identity.ts";
import type { SqlObservation } from "../../shared/domain/sql.ts";
import type { Deadline } from "../../shared/domain/types.ts";
import type { NodeCheckParams } from "../../shared/node-check/params.ts";
import type { ProbeTarget } from "../../shared/pipeline.ts";
import type {
  NodeChecker,
  SqlEndpoint,
  SqlProbe,
  StateStore,
  StoredCurrent,
  StoredSweep,
  SweepStore,
} from "../../shared/ports.ts";

/** One call the pipeline made to a scripted port. */
export type ScriptedCall =
  | { port: "sql"; endpoint: SqlEndpoint; deadlineAt: number }
  | { port: "node-check"; node: "a" | "b"; params: NodeCheckParams; deadlineAt: number };

/**
 * The cluster's views, scripted. Honest: given the probe target, it checks what it is asked (each
 * endpoint at its own host and port, the node check's VIP and port, a deadline) and throws on a wrong
 * call, so a pipeline that asks the wrong thing fails loudly; every call is recorded.
 */
export class ScriptedCluster {
  sql: SqlView;
  nodes: NodesView;
  readonly calls: ScriptedCall[] = [];
  constructor(
    sql: SqlView,
    nodes: NodesView,
    private readonly target?: ProbeTarget,
  ) {
    this.sql = sql;
    this.nodes = nodes;
  }
  set(sql: SqlView, nodes: NodesView): void {
    this.sql = sql;
    this.nodes = nodes;
  }
  get probe(): SqlProbe {
    return {
      observe: async (e: SqlEndpoint, deadline: Deadline): Promise<SqlObservation> => {
        const t = this.target;
        if (t) {
          const want = e.name === "vip" ? t.vip : { host: t.nodes[e.name].host, port: t.nodes[e.name].port };
          if (e.host !== want.host || e.port !== want.port)
            throw new Error(
              `scripted SQL: ${e.name} asked at ${e.host}:${e.port}, expected ${want.host}:${want.port}`,
            );
        }
        if (!(deadline?.at > Date.now()))
          throw new Error(`scripted SQL: ${e.name} asked without a live deadline`);
        this.calls.push({ port: "sql", endpoint: e, deadlineAt: deadline.at });
        return structuredClone(this.sql[e.name]);
      },
    };
  }
  checker(id: "a" | "b"): NodeChecker {
    return {
      target: `scripted:${id}`,
      check: async (params: NodeCheckParams, deadline: Deadline): Promise<NodeCheckResult> => {
        const t = this.target;
        if (t && (params.Vip !== t.vip.host || params.MysqlPort !== t.nodes[id].nodeCheck.MysqlPort))
          throw new Error(
            `scripted node check ${id}: asked ${JSON.stringify(params)}, expected the target's VIP and port`,
          );
        if (!(deadline?.at > Date.now())) throw new Error(`scripted node check ${id}: no live deadline`);
        this.calls.push({ port: "node-check", node: id, params, deadlineAt: deadline.at });
        return structuredClone(this.nodes[id]);
      },
    };
  }
}

/**
 * A store in memory with the conditional commit's semantics, one current state per cluster (as the
 * table keeps it), for tests about anything but persistence.
 */
export function memoryStore(): StateStore {
  const current = new Map<string, StoredCurrent>();
  return {
    load: async (cluster) => current.get(cluster) ?? null,
    commit: async (cluster, expected, next) => {
      if ((current.get(cluster)?.version ?? null) !== expected) return { committed: false };
      const stored = { version: (expected ?? 0) + 1, state: next.state, outbox: [], historyOutbox: [] };
      current.set(cluster, stored);
      return { committed: true, version: stored.version };
    },
    flushHistory: async () => {},
    markSent: async () => {},
    history: async () => [],
  };
}

/**
 * The state table's "sweep" item of one pair in memory, with DynamoStore's semantics: a save succeeds only
 * at the version read (null: none yet). Counts its loads and saves; `crashAtSave` makes that save throw
 * (the function killed mid-slice).
 */
export class MemorySweepStore implements SweepStore {
  item: StoredSweep | null = null;
  loads = 0;
  saves = 0;
  crashAtSave = Number.POSITIVE_INFINITY;
  /** Each load takes this long (a slice under way can be seen from outside). */
  loadDelayMs = 0;
  async loadSweep() {
    this.loads++;
    if (this.loadDelayMs) await new Promise((r) => setTimeout(r, this.loadDelayMs));
    return this.item ? structuredClone(this.item) : null;
  }
  async saveSweep(_c: string, expected: number | null, record: SweepRecord, leaseUntil: number) {
    if (++this.saves >= this.crashAtSave) throw new Error("the function was killed");
    if ((this.item?.version ?? null) !== expected) return null;
    this.item = { version: (expected ?? 0) + 1, record: structuredClone(record), leaseUntil };
    return this.item.version;
  }
}
