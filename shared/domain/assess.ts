/**
 * The assessment, pure: from the three SQL observations, the node reports and the previous state,
 * the cluster's status, its VIP owner, a summary per node, all findings and the events since the
 * previous state. The decision table is in the README ("Deciding the state").
 */
import { makeFinding } from "./codes.ts";
import { assessNodes, EMPTY_NODE_MEMORY, type NodesView } from "./findings/nodes.ts";
import {
  assessSql,
  DEFAULT_SQL_THRESHOLDS,
  EMPTY_SQL_MEMORY,
  growth,
  type PairNodeConfig,
  type SqlThresholds,
  type SqlView,
} from "./findings/sql-pair.ts";
import type { Assessment, ClusterEvent, ClusterState, NodeSummary, Status } from "./state.ts";
import { type Finding, NODE_IDS, type NodeId } from "./types.ts";

export interface AssessInput {
  sql: SqlView;
  nodes: NodesView;
  pair: Record<NodeId, PairNodeConfig>;
  thresholds?: SqlThresholds;
  previous: Pick<ClusterState, "memory"> | null;
  now: Date;
}

/** Findings that mean two hosts claim the VIP. */
export const SPLIT_BRAIN_CODES = new Set([
  "SPLIT_BRAIN_VIP_ON_BOTH",
  "KEEPALIVED_MULTIPLE_MASTERS",
  "ARP_DUPLICATE",
  "ARP_FOREIGN_MAC",
]);

export function assess(input: AssessInput): Assessment {
  const prevMemory = input.previous?.memory;
  const sqlA = assessSql(
    input.sql,
    input.pair,
    prevMemory?.sql ?? EMPTY_SQL_MEMORY,
    input.thresholds ?? DEFAULT_SQL_THRESHOLDS,
  );
  const nodesA = assessNodes(input.nodes, prevMemory?.nodes ?? EMPTY_NODE_MEMORY);
  const findings: Finding[] = [...sqlA.findings, ...nodesA.findings];
  const has = (code: string) => findings.some((f) => f.code === code);

  // ---- the five views of "who is primary"
  const macOf: Partial<Record<NodeId, string>> = {};
  for (const id of NODE_IDS) {
    const r = input.nodes[id];
    if (r.ok && r.report.vip.mac) macOf[id] = r.report.vip.mac;
  }
  const arpOwners = nodesA.arpMacs.map((m) => NODE_IDS.find((id) => macOf[id] === m) ?? `foreign:${m}`);
  const writers = NODE_IDS.filter((id) => {
    const before = prevMemory?.sql.own[id];
    const now = sqlA.memory.own[id];
    return Boolean(before && input.sql[id].server && growth(before, now));
  });
  const views: {
    keepalivedMaster: string[] | null;
    vipBound: string[] | null;
    arpAnswer: string[] | null;
    vipSqlLandedOn: string[] | null;
    takingWrites: string[] | null;
  } = {
    keepalivedMaster: nodesA.masters,
    vipBound: nodesA.holders,
    arpAnswer: arpOwners.length > 0 ? arpOwners : null,
    vipSqlLandedOn: sqlA.vipNode ? [sqlA.vipNode] : null,
    takingWrites: writers.length > 0 ? writers : null,
  };
  const missing: string[] = [];
  if (!views.keepalivedMaster || !views.vipBound)
    missing.push("keepalived state and VIP binding (node check)");
  if (!views.vipSqlLandedOn) missing.push("the VIP's SQL identity");
  for (const id of NODE_IDS) if (!input.sql[id].server) missing.push(`node ${id.toUpperCase()} over SQL`);
  const split = findings.some((f) => SPLIT_BRAIN_CODES.has(f.code));
  // The node without the VIP must hear the holder answer ARP for it: silence means the VIP is not
  // reachable on the segment even though a node says it holds it.
  if (!split && views.vipBound?.length === 1) {
    const holder = views.vipBound[0] as NodeId;
    const other: NodeId = holder === "a" ? "b" : "a";
    const r = input.nodes[other];
    const arpRan =
      r.ok &&
      (r.report.arp.tool === "habets" || r.report.arp.tool === "iputils") &&
      (r.report.arp.sent ?? 0) > 0;
    if (arpRan && r.ok && r.report.arp.replies.length === 0) {
      findings.push(
        makeFinding(
          "VIEWS_DISAGREE",
          `Node ${holder.toUpperCase()} has the VIP bound, but nobody answers ARP for it from node ${other.toUpperCase()}.`,
          { views, silentArpFrom: other },
          "pair",
        ),
      );
    }
  }

  const present = Object.entries(views).filter(
    (e): e is [string, string[]] => e[1] !== null && e[1].length > 0,
  );
  const distinct = new Set(present.map(([, v]) => [...v].sort().join("+")));
  if (!split && distinct.size > 1) {
    findings.push(
      makeFinding(
        "VIEWS_DISAGREE",
        `The views of who is primary disagree: ${present.map(([k, v]) => `${k}=${v.join("+")}`).join(", ")}.`,
        { views },
        "pair",
      ),
    );
  }
  if (missing.length > 0) {
    findings.push(makeFinding("VIEW_MISSING", `Not observed: ${missing.join("; ")}.`, { missing }, "pair"));
  }

  // ---- the VIP owner
  const single = (v: string[] | null | undefined) =>
    v && v.length === 1 && (v[0] === "a" || v[0] === "b") ? (v[0] as NodeId) : null;
  const vipOwner: NodeId | "both" | null = split
    ? "both"
    : (single(views.vipBound) ?? single(views.vipSqlLandedOn) ?? single(views.keepalivedMaster) ?? null);

  // ---- the status (see the decision table in the README)
  const nodeDown = (id: NodeId) => {
    const e = input.sql[id].error;
    return (
      !input.sql[id].alive &&
      (e?.class === "refused" || e?.class === "timeout" || e?.class === "unreachable" || e?.class === "lost")
    );
  };
  const nodeCheckOk = NODE_IDS.filter((id) => input.nodes[id].ok).length;
  const vipSqlFailed = !input.sql.vip.alive;
  /** A node keepalived can fail over to: BACKUP, its mysqld listening and answering SQL. */
  const canTakeOver = (id: NodeId): boolean => {
    const r = input.nodes[id];
    return (
      r.ok &&
      r.report.keepalived.running &&
      r.report.keepalived.instances.some((i) => i.state === "BACKUP" || i.state === "MASTER") &&
      r.report.mysqld.listening &&
      Boolean(input.sql[id].server)
    );
  };
  let status: Status;
  let awaitingFailover = false;
  const reasons: string[] = [];
  if (split) {
    status = "SPLIT_BRAIN";
    reasons.push(...findings.filter((f) => SPLIT_BRAIN_CODES.has(f.code)).map((f) => f.message));
  } else if (has("VIP_NOT_BOUND")) {
    status = "DOWN";
    reasons.push(...messages(findings, "VIP_NOT_BOUND"));
    awaitingFailover = NODE_IDS.some(canTakeOver);
  } else if (vipSqlFailed && NODE_IDS.every(nodeDown) && input.sql.vip.error?.class !== "auth") {
    status =
      nodeCheckOk === 0 && NODE_IDS.every((id) => input.sql[id].error?.class !== "refused")
        ? "UNKNOWN"
        : "DOWN";
    reasons.push(
      status === "DOWN"
        ? "Neither the VIP nor either node answers SQL."
        : "Nothing answers, not even the node checks: the prober may be cut off from the cluster.",
    );
  } else if (vipSqlFailed && views.vipBound?.length === 1 && nodeDown(views.vipBound[0] as NodeId)) {
    status = "DOWN";
    const holder = views.vipBound[0] as NodeId;
    reasons.push(`The VIP is bound on node ${holder.toUpperCase()}, whose MySQL does not answer.`);
    awaitingFailover = canTakeOver(holder === "a" ? "b" : "a");
  } else if (vipOwner === null) {
    status = "UNKNOWN";
    reasons.push(`Who holds the VIP cannot be told: ${missing.join("; ") || "the views give no owner"}.`);
  } else {
    const problems = findings.filter((f) => f.severity !== "info");
    status = problems.length > 0 ? "DEGRADED" : "HEALTHY";
    reasons.push(...problems.sort(bySeverity).map((f) => f.message));
  }

  if (awaitingFailover) reasons.push("The other node can take the VIP over: a failover is expected.");

  // ---- events since the previous state
  const events: ClusterEvent[] = [];
  const at = input.now.toISOString();
  const prevOwner = prevMemory?.vipOwner ?? null;
  const owner = vipOwner === "a" || vipOwner === "b" ? vipOwner : null;
  if (prevOwner && owner && prevOwner !== owner) {
    events.push({
      type: "VIP_MOVED",
      at,
      from: prevOwner,
      to: owner,
      message: `Failover: the VIP moved from node ${prevOwner.toUpperCase()} to node ${owner.toUpperCase()}.`,
    });
  }
  for (const f of findings.filter((x) => x.code === "KEEPALIVED_FLAPPED")) {
    events.push({ type: "KEEPALIVED_FLAPPED", at, message: f.message });
  }

  return {
    status,
    reasons,
    vipOwner,
    nodes: summaries(input, sqlA.replication),
    findings,
    events,
    awaitingFailover,
    memory: { sql: sqlA.memory, nodes: nodesA.memory, vipOwner: owner ?? prevOwner },
  };
}

function messages(findings: Finding[], code: string): string[] {
  return findings.filter((f) => f.code === code).map((f) => f.message);
}

const RANK = { critical: 0, warning: 1, info: 2 } as const;
function bySeverity(a: Finding, b: Finding): number {
  return RANK[a.severity] - RANK[b.severity];
}

function summaries(
  input: AssessInput,
  replication: ReturnType<typeof assessSql>["replication"],
): Record<NodeId, NodeSummary> {
  const out = {} as Record<NodeId, NodeSummary>;
  for (const id of NODE_IDS) {
    const o = input.sql[id];
    const r = input.nodes[id];
    const ch = replication[id];
    out[id] = {
      id,
      host: o.host,
      mysql: o.server
        ? "up"
        : o.alive
          ? "alive"
          : o.error && ["refused", "timeout", "unreachable", "lost"].includes(o.error.class)
            ? "down"
            : "unknown",
      vipBound: r.ok ? r.report.vip.bound : null,
      keepalived: r.ok
        ? r.report.keepalived.running
          ? (r.report.keepalived.instances[0]?.state ?? "UNKNOWN")
          : "DOWN"
        : null,
      replication: ch ? { io: ch.ioState, sql: ch.sqlRunning, lagSeconds: ch.lagSeconds } : null,
    };
  }
  return out;
}
