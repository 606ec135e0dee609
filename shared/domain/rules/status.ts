/**
 * Rule group "status": the probe's verdict from the findings and the views (the decision table is in
 * docs/how-it-decides.md, "Deciding the state"). Findings about events (those with a key: writes on the standby,
 * restarts, flaps) do not set the status: they open incidents instead.
 */
import type { Finding, FindingCode } from "../codes.ts";
import type { NodeCheckResult } from "../node.ts";
import type { SqlObservation } from "../sql.ts";
import type { Status } from "../state.ts";
import { NODE_IDS, type NodeId } from "../types.ts";
import type { Views } from "./cross-check.ts";
import { EC2_DOWN_CODES } from "./ec2-view.ts";
import { reachableListener, roleOf } from "./node-views.ts";

/**
 * Findings that mean both nodes of the pair claim the VIP. A MAC of neither node (ARP_FOREIGN_MAC) is an
 * address conflict to investigate: DEGRADED, never a split brain (one spoofed reply would page everyone).
 */
export const SPLIT_BRAIN_CODES: ReadonlySet<FindingCode> = new Set<FindingCode>([
  "SPLIT_BRAIN_VIP_ON_BOTH",
  "KEEPALIVED_MULTIPLE_MASTERS",
  "ARP_DUPLICATE",
]);

export interface StatusInput {
  findings: Finding[];
  views: Views;
  vipOwner: NodeId | "both" | null;
  missing: string[];
  sql: Record<"vip" | NodeId, SqlObservation>;
  nodes: Record<NodeId, NodeCheckResult>;
  vrrpInstance?: string;
}

export interface StatusVerdict {
  status: Status;
  reasons: string[];
  awaitingFailover: boolean;
}

const DOWN_CLASSES = new Set(["refused", "timeout", "unreachable", "lost"]);
/** The VIP's MySQL answers but takes no write: DOWN for the applications (the definition of DOWN). */
const WRITER_CANNOT_WRITE = new Set(["HOLDER_READ_ONLY", "HOLDER_WRITES_FAILED"]);
/** A heartbeat write refused for the prober's own login, grants or TLS says nothing of the applications' writes. */
const PROBER_SIDE = new Set(["auth", "privilege", "tls"]);

/** SQL errors that are the prober's configuration, not the cluster: its login and its grants. */
const PROBER_SQL = new Set(["auth", "privilege"]);
/** Their findings, which the UNKNOWN's own reasons replace. */
const PROBER_SQL_CODES: ReadonlySet<FindingCode> = new Set<FindingCode>([
  "MYSQL_AUTH_FAILED",
  "MYSQL_PRIVILEGE_MISSING",
]);

/** What the prober itself cannot do, each with the part of its configuration (or its host) to fix. */
export function proberSideReasons(i: Pick<StatusInput, "sql" | "nodes">): string[] {
  const out: string[] = [];
  for (const name of ["vip", "a", "b"] as const) {
    const e = i.sql?.[name]?.error;
    if (!e || !PROBER_SQL.has(e.class)) continue;
    const where = name === "vip" ? "the VIP" : `node ${name.toUpperCase()}`;
    out.push(
      e.class === "auth"
        ? `The prober's problem, not the cluster's: ${where} refused the monitoring user's login (${e.message}). Check the configuration: mysql.user, its password (mysql.passwordEnv or the secret), the account's host part.`
        : `The prober's problem, not the cluster's: the monitoring user lacks a grant on ${where} (${e.message}). Check the configuration: the node kit's GRANT for mysql.user.`,
    );
  }
  for (const id of NODE_IDS) {
    const r = i.nodes?.[id];
    if (!r || r.ok || r.reason !== "access-denied") continue;
    out.push(
      /\broot\b/.test(r.detail)
        ? `The prober's problem, not the cluster's: node ${id.toUpperCase()}'s check needs root here (${r.detail}). Run as root.`
        : `The prober's problem, not the cluster's: node ${id.toUpperCase()}'s check was refused to the prober (${r.detail}). Check its permissions (ssm:SendCommand on the node and the document, or the SSH key).`,
    );
  }
  return out;
}

export function decideStatus(i: StatusInput): StatusVerdict {
  const { findings, views } = i;
  const nodeDown = (id: NodeId) => !i.sql[id].alive && DOWN_CLASSES.has(i.sql[id].error?.class ?? "");
  /** A node keepalived can fail over to: BACKUP, its mysqld reachable and answering SQL. */
  const canTakeOver = (id: NodeId): boolean => {
    const r = i.nodes[id];
    if (!r.ok) return false;
    const role = roleOf(r.report, i.vrrpInstance);
    return (
      (role === "BACKUP" || role === "MASTER") &&
      reachableListener(r.report) === true &&
      Boolean(i.sql[id].server)
    );
  };
  const split = findings.filter((f) => SPLIT_BRAIN_CODES.has(f.code));
  if (split.length > 0)
    return { status: "SPLIT_BRAIN", reasons: split.map((f) => f.message), awaitingFailover: false };
  const notBound = findings.filter((f) => f.code === "VIP_NOT_BOUND");
  if (notBound.length > 0)
    return withFailover(
      "DOWN",
      notBound.map((f) => f.message),
      NODE_IDS.some(canTakeOver),
    );
  const misrouted = findings.filter((f) => EC2_DOWN_CODES.has(f.code));
  if (misrouted.length > 0)
    return { status: "DOWN", reasons: misrouted.map((f) => f.message), awaitingFailover: false };
  const vipSqlFailed = !i.sql.vip.alive;
  if (vipSqlFailed && NODE_IDS.every(nodeDown) && i.sql.vip.error?.class !== "auth") {
    const nodeCheckOk = NODE_IDS.filter((id) => i.nodes[id].ok).length;
    const unknown = nodeCheckOk === 0 && NODE_IDS.every((id) => i.sql[id].error?.class !== "refused");
    return {
      status: unknown ? "UNKNOWN" : "DOWN",
      reasons: [
        unknown
          ? "Nothing answers, not even the node checks: the prober may be cut off from the cluster."
          : "Neither the VIP nor either node answers SQL.",
      ],
      awaitingFailover: false,
    };
  }
  if (vipSqlFailed && views.vipBound?.length === 1 && nodeDown(views.vipBound[0] as NodeId)) {
    const holder = views.vipBound[0] as NodeId;
    return withFailover(
      "DOWN",
      [`The VIP is bound on node ${holder.toUpperCase()}, whose MySQL does not answer.`],
      canTakeOver(holder === "a" ? "b" : "a"),
    );
  }
  // Applications cannot write through the VIP: for them the pair is down, whatever answers reads
  // (read_only on the holder, a global read lock, a write that never commits). keepalived does not move
  // the VIP for it, so no failover is awaited.
  const cannotWrite = findings.filter(
    (f) => WRITER_CANNOT_WRITE.has(f.code) && !PROBER_SIDE.has(String(f.evidence.class ?? "")),
  );
  if (cannotWrite.length > 0)
    return { status: "DOWN", reasons: cannotWrite.map((f) => f.message), awaitingFailover: false };
  // The prober's own problems (its login refused, a grant missing, the node check refused to it): the
  // cluster was not seen, so its state is unknown, not bad; the reasons say what to fix on our side.
  const own = proberSideReasons(i);
  if (own.length > 0) {
    // what else was seen still goes with it
    const seen = findings
      .filter((f) => f.severity !== "info" && f.key === undefined && !PROBER_SQL_CODES.has(f.code))
      .sort(bySeverity)
      .map((f) => f.message);
    return { status: "UNKNOWN", reasons: [...own, ...seen], awaitingFailover: false };
  }
  if (i.vipOwner === null) {
    return {
      status: "UNKNOWN",
      reasons: [`Who holds the VIP cannot be told: ${i.missing.join("; ") || "the views give no owner"}.`],
      awaitingFailover: false,
    };
  }
  const problems = findings.filter((f) => f.severity !== "info" && f.key === undefined);
  return {
    status: problems.length > 0 ? "DEGRADED" : "HEALTHY",
    reasons: problems.sort(bySeverity).map((f) => f.message),
    awaitingFailover: false,
  };
}

function withFailover(status: Status, reasons: string[], awaitingFailover: boolean): StatusVerdict {
  return {
    status,
    reasons: awaitingFailover
      ? [...reasons, "The other node can take the VIP over: a failover is expected."]
      : reasons,
    awaitingFailover,
  };
}

const RANK = { critical: 0, warning: 1, info: 2 } as const;
function bySeverity(a: Finding, b: Finding): number {
  return RANK[a.severity] - RANK[b.severity];
}
