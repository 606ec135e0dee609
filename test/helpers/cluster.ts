/** Builds whole-cluster inputs (SQL view + node view) for the pure assessment tests. */

import { failed, loadFixture, observed, serverFrom } from "../../emulators/mysql-recordings.ts";
import type { AssessInput } from "../../shared/domain/assess.ts";
import type { NodesView } from "../../shared/domain/rules/node-views.ts";
import type { SqlView } from "../../shared/domain/rules/vip-identity.ts";
import { MAC, ok } from "./node-reports.ts";

const f = loadFixture("mysql-8.4");
export const PAIR = { a: { host: "192.0.2.11" }, b: { host: "192.0.2.12" } };

export function sqlView(owner: "a" | "b" | "down" = "a", down: ("a" | "b")[] = []): SqlView {
  const s = { a: serverFrom(f, "a"), b: serverFrom(f, "b") };
  const node = (id: "a" | "b") =>
    down.includes(id) ? failed(id, PAIR[id].host, "refused") : observed(id, PAIR[id].host, s[id]);
  return {
    vip:
      owner === "down" ? failed("vip", "192.0.2.100", "timeout") : observed("vip", "192.0.2.100", s[owner]),
    a: node("a"),
    b: node("b"),
  };
}

export function nodesView(owner: "a" | "b" | "both" | "none" = "a"): NodesView {
  const holds = (id: "a" | "b") => owner === id || owner === "both";
  const other = (id: "a" | "b") => (id === "a" ? "b" : "a");
  const mk = (id: "a" | "b") =>
    ok({
      mac: MAC[id],
      bound: holds(id),
      keepalived: holds(id) ? "MASTER" : "BACKUP",
      replies: holds(other(id)) ? [MAC[other(id)]] : [],
    });
  return { a: mk("a"), b: mk("b") };
}

export function input(
  sql: SqlView,
  nodes: NodesView,
  previous: AssessInput["previous"] = null,
  now = new Date("2026-11-24T10:00:00Z"),
): AssessInput {
  return { sql, nodes, pair: PAIR, previous, now };
}

/** The probe target of the scripted pair (the VIP and PAIR's nodes, on 3306). */
export function scriptedTarget(name: string): import("../../shared/pipeline.ts").ProbeTarget {
  return {
    name,
    vip: { host: "192.0.2.100", port: 3306 },
    nodes: {
      a: { ...PAIR.a, port: 3306, nodeCheck: { Vip: "192.0.2.100", MysqlPort: 3306 } },
      b: { ...PAIR.b, port: 3307, nodeCheck: { Vip: "192.0.2.100", MysqlPort: 3307 } },
    },
  };
}
