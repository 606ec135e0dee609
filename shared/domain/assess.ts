/**
 * The assessment, pure: from the three SQL observations, the node reports, the heartbeat write and
 * the previous state, the cluster's status, its VIP owner, a summary per node, all findings and the
 * events since the previous state. Each rule group lives in rules/; this file only composes them.
 */

import type { Finding } from "./codes.ts";
import type { Ec2NodeMap, Ec2Observation } from "./ec2.ts";
import { type HeartbeatWrite, heartbeatWritten } from "./heartbeat.ts";
import { EMPTY_SQL_MEMORY, type Memory, memoryOf, type OwnTransactions, type SqlMemory } from "./memory.ts";
import {
  arpOwners,
  disagreementFindings,
  missingViews,
  silentArpFindings,
  type Views,
  viewMissingFindings,
  vipOwnerOf,
} from "./rules/cross-check.ts";
import { ec2Rules, holderForEc2 } from "./rules/ec2-view.ts";
import { endpointFindings } from "./rules/mysql-endpoints.ts";
import { assessNodes, type NodesView } from "./rules/node-views.ts";
import { nodeConfigFindings, pairConfigFindings } from "./rules/pair-config.ts";
import {
  channelFromPeer,
  DEFAULT_SQL_THRESHOLDS,
  heartbeatLagMs,
  type Lag,
  lagOf,
  type PairNodeConfig,
  replicationFindings,
  type SqlThresholds,
} from "./rules/replication.ts";
import {
  errorStamp,
  keepalivedPids,
  keepalivedRestartFindings,
  mysqlRestartFindings,
  replicationRestartFindings,
  startedAtOf,
} from "./rules/restarts.ts";
import { decideStatus, SPLIT_BRAIN_CODES } from "./rules/status.ts";
import { matchVip, type SqlView, vipIdentityFindings } from "./rules/vip-identity.ts";
import {
  growthBesides,
  heartbeatRowFindings,
  holderWriteFindings,
  ownTransactions,
  standbyWriteFindings,
} from "./rules/writes.ts";
import type { ReplicationChannel } from "./sql.ts";
import type { Assessment, ClusterEvent, ClusterState, NodeSummary } from "./state.ts";
import { NODE_IDS, type NodeId } from "./types.ts";

export { SPLIT_BRAIN_CODES };

export interface AssessInput {
  sql: SqlView;
  nodes: NodesView;
  pair: Record<NodeId, PairNodeConfig>;
  thresholds?: SqlThresholds;
  /** This probe's heartbeat write through the VIP, when the heartbeat is on. */
  heartbeat?: HeartbeatWrite;
  /** The EC2 view of the VIP, when the cluster has it on. */
  ec2?: { observation: Ec2Observation; map: Ec2NodeMap; graceMs: number };
  previous: { memory?: Partial<Memory> } | Pick<ClusterState, "memory"> | null;
  now: Date;
}

export interface SqlRulesResult {
  findings: Finding[];
  vipNode: NodeId | null;
  replication: Record<NodeId, ReplicationChannel | null>;
  lag: Record<NodeId, Lag | null>;
  memory: SqlMemory;
}

/** The SQL side: endpoints, the VIP's identity, replication per direction, pair config, writes, restarts. */
export function assessSql(
  view: SqlView,
  pair: Record<NodeId, PairNodeConfig>,
  previous: SqlMemory = EMPTY_SQL_MEMORY,
  t: SqlThresholds = DEFAULT_SQL_THRESHOLDS,
  hb?: HeartbeatWrite,
): SqlRulesResult {
  previous = { ...EMPTY_SQL_MEMORY, ...previous };
  const vipNode = matchVip(view);
  const findings: Finding[] = [
    ...(["vip", "a", "b"] as const).flatMap((name) => endpointFindings(view[name])),
    ...vipIdentityFindings(view, vipNode),
  ];
  const heartbeatWrites = heartbeatWritten(hb)
    ? [...previous.heartbeatWrites, hb.writtenAt].slice(-30)
    : previous.heartbeatWrites;
  const heartbeatGtids = ownHeartbeats(previous.heartbeatGtids ?? [], hb);
  const replication: Record<NodeId, ReplicationChannel | null> = { a: null, b: null };
  const lag: Record<NodeId, Lag | null> = { a: null, b: null };
  const startedAt = { ...previous.startedAt };
  const unseen = { a: 0, b: 0, ...previous.unseen };
  const replicaStops = { ...previous.replicaStops };
  const errorStamps = { ...previous.errorStamps };
  for (const id of NODE_IDS) {
    const o = view[id];
    const server = o.server;
    if (!server) {
      // One probe that cannot see mysqld keeps its start time: back at the next probe with another one,
      // it restarted (a crash too short to confirm, so not mailed as an outage, is still reported). A
      // second one drops it: that outage is confirmed and mailed.
      unseen[id] = (previous.unseen?.[id] ?? 0) + 1;
      if (unseen[id] > 1) startedAt[id] = null;
      replicaStops[id] = null;
      continue;
    }
    const peer: NodeId = id === "a" ? "b" : "a";
    const direction = `${peer.toUpperCase()}→${id.toUpperCase()}`;
    const channel = channelFromPeer(server, pair[peer], view[peer].server);
    replication[id] = channel;
    // The heartbeat measures the direction into the standby (the holder is the one writing it).
    const hbMs =
      vipNode === peer
        ? heartbeatLagMs(server.heartbeatSeen, heartbeatWrites, Date.parse(o.observedAt))
        : null;
    lag[id] = lagOf(channel, hbMs);
    findings.push(
      ...replicationFindings(id, direction, channel, t, lag[id]),
      ...nodeConfigFindings(id, server),
    );
    const restart = mysqlRestartFindings(id, o, previous.startedAt[id]);
    findings.push(...restart, ...replicationRestartFindings(id, o, channel, previous, restart.length > 0));
    // Kept from a probe that saw the node up (see above for one probe that did not: measured in the peers
    // bench, a crash and restart of the holder's mysqld seen by one probe, unconfirmed, mailed nothing).
    startedAt[id] = startedAtOf(o);
    unseen[id] = 0;
    replicaStops[id] = channel?.ioRunning && channel.sqlRunning ? server.replicaStops : null;
    errorStamps[id] = errorStamp(channel);
  }
  const a = view.a.server;
  const b = view.b.server;
  if (a && b) findings.push(...pairConfigFindings(a, b));

  const own: Record<NodeId, OwnTransactions | null> = {
    a: a ? ownTransactions(a) : previous.own.a,
    b: b ? ownTransactions(b) : previous.own.b,
  };
  let previousHolder = previous.previousHolder;
  if (vipNode && previous.vipNode && vipNode !== previous.vipNode) previousHolder = previous.vipNode;
  if (vipNode) findings.push(...standbyWriteFindings(view, vipNode, own, previous, previousHolder, hb));
  findings.push(...holderWriteFindings(view, vipNode, hb), ...heartbeatRowFindings(view, vipNode, hb));
  // a node not read keeps what its last read said
  const heartbeatRowMissing = NODE_IDS.filter((id) =>
    view[id].server
      ? view[id].server?.heartbeatRowMissing === true || (hb?.rowMissing === true && vipNode === id)
      : (previous.heartbeatRowMissing ?? []).includes(id),
  );
  return {
    findings,
    vipNode,
    replication,
    lag,
    memory: {
      vipNode: vipNode ?? previous.vipNode,
      previousHolder,
      own,
      startedAt,
      unseen,
      replicaStops,
      errorStamps,
      heartbeatWrites,
      heartbeatGtids,
      ...(heartbeatRowMissing.length > 0 ? { heartbeatRowMissing } : {}),
    },
  };
}

/** The prober's recent heartbeat GTIDs (the last 20), this probe's included. */
export function ownHeartbeats(before: readonly string[], hb: HeartbeatWrite | undefined): string[] {
  return heartbeatWritten(hb) && hb.gtid
    ? [...before.filter((g) => g !== hb.gtid), hb.gtid].slice(-20)
    : [...before];
}

export function assess(input: AssessInput): Assessment {
  const prev = memoryOf(input.previous);
  const sqlA = assessSql(input.sql, input.pair, prev.sql, input.thresholds, input.heartbeat);
  const nodesA = assessNodes(
    { hosts: { a: input.pair.a.host, b: input.pair.b.host }, ...input.nodes },
    prev.nodes,
  );
  const nodeResults = { a: input.nodes.a, b: input.nodes.b };
  const findings: Finding[] = [
    ...sqlA.findings,
    ...nodesA.findings,
    ...NODE_IDS.flatMap((id) => keepalivedRestartFindings(id, nodeResults[id], prev.nodes.keepalivedPid[id])),
  ];

  // ---- the five views of "who is primary"
  const writes: Record<NodeId, string | null> = { a: null, b: null };
  const heartbeatOnly: NodeId[] = [];
  for (const id of NODE_IDS) {
    const before = prev.sql.own[id];
    const server = input.sql[id].server;
    // the prober's own heartbeat is not a write of the applications: not in this view, not in the
    // split-brain record of who took writes
    // every recent heartbeat GTID: one written after the previous probe's read shows only now
    if (before && server) {
      writes[id] = growthBesides(before, sqlA.memory.own[id], sqlA.memory.heartbeatGtids ?? []);
      // grew, but by the prober's heartbeats only: said so in a split brain's record
      if (writes[id] === null && growthBesides(before, sqlA.memory.own[id], []) !== null)
        heartbeatOnly.push(id);
    }
  }
  const writers = NODE_IDS.filter((id) => writes[id] !== null);
  const owners = arpOwners(nodesA.arpMacs, nodeResults);
  const views: Views = {
    keepalivedMaster: nodesA.masters,
    vipBound: nodesA.holders,
    arpAnswer: owners.length > 0 ? owners : null,
    vipSqlLandedOn: sqlA.vipNode ? [sqlA.vipNode] : null,
    takingWrites: writers.length > 0 ? writers : null,
  };
  const missing = missingViews(views, { a: Boolean(input.sql.a.server), b: Boolean(input.sql.b.server) });
  const split = findings.some((f) => SPLIT_BRAIN_CODES.has(f.code));
  if (!split) findings.push(...silentArpFindings(views, nodeResults), ...disagreementFindings(views));
  findings.push(...viewMissingFindings(missing));
  const vipOwner = vipOwnerOf(views, split);
  const ec2 = input.ec2
    ? ec2Rules({
        ...input.ec2,
        holder: holderForEc2(views),
        now: input.now.getTime(),
        previous: prev.ec2,
      })
    : null;
  if (ec2) findings.push(...ec2.findings);

  const verdict = decideStatus({
    findings,
    views,
    vipOwner,
    missing,
    sql: input.sql,
    nodes: nodeResults,
    ...(input.nodes.vrrpInstance ? { vrrpInstance: input.nodes.vrrpInstance } : {}),
  });
  const owner = vipOwner === "a" || vipOwner === "b" ? vipOwner : null;
  return {
    ...verdict,
    vipOwner,
    nodes: summaries(input, sqlA, nodesA.roles),
    findings,
    writes,
    ...(heartbeatOnly.length ? { heartbeatOnly } : {}),
    arpAnswer: views.arpAnswer ? NODE_IDS.filter((id) => views.arpAnswer?.includes(id)) : null,
    events: eventsOf(findings, prev.vipOwner, owner, input.now.toISOString()),
    ...(ec2 ? { ec2: ec2.summary } : {}),
    memory: {
      sql: sqlA.memory,
      nodes: { ...nodesA.memory, keepalivedPid: keepalivedPids(nodeResults) },
      vipOwner: owner ?? prev.vipOwner,
      ec2: ec2?.memory ?? prev.ec2,
    },
  };
}

/**
 * An interface name as the node check reports it and the runbooks print it (`ip addr del ... dev IFACE`):
 * what the kernel allows in practice (IFNAMSIZ 16 with its NUL), and nothing a shell would read as syntax.
 */
export const INTERFACE_NAME = /^[A-Za-z0-9_.@:-]{1,15}$/;

/** Events since the previous state: a failover, keepalived flaps. */
function eventsOf(
  findings: Finding[],
  prevOwner: NodeId | null,
  owner: NodeId | null,
  at: string,
): ClusterEvent[] {
  const events: ClusterEvent[] = [];
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
  return events;
}

function summaries(
  input: AssessInput,
  sqlA: SqlRulesResult,
  roles: Record<NodeId, string | null>,
): Record<NodeId, NodeSummary> {
  const out = {} as Record<NodeId, NodeSummary>;
  for (const id of NODE_IDS) {
    const o = input.sql[id];
    const r = input.nodes[id];
    const ch = sqlA.replication[id];
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
      // printed into the mail's shell commands: only a plain interface name, else unknown ("<interface>")
      vipInterface: r.ok && INTERFACE_NAME.test(r.report.vip.interface) ? r.report.vip.interface : null,
      vipPrefix: r.ok ? r.report.vip.prefix : null,
      keepalived: r.ok ? (roles[id] ?? "UNKNOWN") : null,
      replication: ch
        ? { io: ch.ioState, sql: ch.sqlRunning, lagSeconds: sqlA.lag[id]?.seconds ?? null }
        : null,
    };
  }
  return out;
}
