/**
 * Pair findings from the three SQL observations (VIP, node A, node B), pure. Also returns the memory
 * the next probe needs to tell new writes on the standby from old ones.
 */
import { makeFinding } from "../codes.ts";
import { formatMariadbGtids, GtidSet, MariadbPosition, parseMariadbGtidList } from "../gtid.ts";
import type { ReplicationChannel, ServerInfo, SqlObservation } from "../sql.ts";
import { type Finding, NODE_IDS, type NodeId } from "../types.ts";

export interface PairNodeConfig {
  /** The node's real address, as the prober (and the peer's replication channel) reaches it. */
  host: string;
  /** Other names the peer's replication channel may use for this node (hostname, another IP). */
  aliases?: string[];
}

export interface SqlThresholds {
  /** Lag that makes REPLICATION_LAG a warning. @default 30 */
  lagWarningSeconds: number;
  /** Lag that makes REPLICATION_LAG critical. @default 300 */
  lagCriticalSeconds: number;
}

export const DEFAULT_SQL_THRESHOLDS: SqlThresholds = { lagWarningSeconds: 30, lagCriticalSeconds: 300 };

/** The transactions a node originated itself, in a form the next probe can compare with. */
export type OwnTransactions = { kind: "mysql"; set: string } | { kind: "mariadb"; position: string };

export interface SqlMemory {
  /** Who held the VIP (by SQL) at the last probe that could tell. */
  vipNode: NodeId | null;
  /** The node that held the VIP before the last VIP move. */
  previousHolder: NodeId | null;
  own: Record<NodeId, OwnTransactions | null>;
}

export const EMPTY_SQL_MEMORY: SqlMemory = { vipNode: null, previousHolder: null, own: { a: null, b: null } };

export interface SqlView {
  vip: SqlObservation;
  a: SqlObservation;
  b: SqlObservation;
}

export interface SqlAssessment {
  findings: Finding[];
  /** The node the VIP connection landed on; null when the VIP did not answer or could not be matched. */
  vipNode: NodeId | null;
  /** Replication into each node from its peer (A→B is in b), for summaries and metrics. */
  replication: Record<NodeId, ReplicationChannel | null>;
  memory: SqlMemory;
}

export function assessSql(
  view: SqlView,
  nodes: Record<NodeId, PairNodeConfig>,
  previous: SqlMemory = EMPTY_SQL_MEMORY,
  thresholds: SqlThresholds = DEFAULT_SQL_THRESHOLDS,
): SqlAssessment {
  const findings: Finding[] = [];
  for (const name of ["vip", "a", "b"] as const) findings.push(...endpointFindings(view[name]));

  // ---- where the VIP landed
  const vipNode = matchVip(view);
  if (view.vip.server) {
    if (vipNode) {
      findings.push(
        makeFinding(
          "VIP_ON_NODE",
          `The VIP connection landed on node ${vipNode.toUpperCase()}.`,
          {
            node: vipNode,
            serverId: view.vip.server.serverId,
            serverUuid: view.vip.server.serverUuid,
            hostname: view.vip.server.hostname,
          },
          "vip",
        ),
      );
    } else {
      findings.push(
        makeFinding(
          "VIP_IDENTITY_UNKNOWN",
          `The server on the VIP (server_id ${view.vip.server.serverId}, ${view.vip.server.hostname}) matches neither node.`,
          {
            serverId: view.vip.server.serverId,
            serverUuid: view.vip.server.serverUuid,
            hostname: view.vip.server.hostname,
          },
          "vip",
        ),
      );
    }
  }

  // ---- replication, per direction
  const replication: Record<NodeId, ReplicationChannel | null> = { a: null, b: null };
  for (const id of NODE_IDS) {
    const server = view[id].server;
    if (!server) continue;
    const peer: NodeId = id === "a" ? "b" : "a";
    const direction = `${peer.toUpperCase()}→${id.toUpperCase()}`;
    const channel = channelFromPeer(server, nodes[peer], view[peer].server);
    replication[id] = channel;
    findings.push(...replicationFindings(id, direction, channel, thresholds));
  }

  // ---- pair configuration
  const a = view.a.server;
  const b = view.b.server;
  if (a && b) findings.push(...pairConfigFindings(a, b));
  for (const id of NODE_IDS) {
    const s = view[id].server;
    if (s) findings.push(...nodeConfigFindings(id, s));
  }
  if (a && b && !a.readOnly && !b.readOnly) {
    findings.push(
      makeFinding("BOTH_WRITABLE", "read_only is off on both nodes (normal in this design).", {}, "pair"),
    );
  }

  // ---- writes on the standby
  const own: Record<NodeId, OwnTransactions | null> = {
    a: a ? ownTransactions(a) : previous.own.a,
    b: b ? ownTransactions(b) : previous.own.b,
  };
  let previousHolder = previous.previousHolder;
  if (vipNode && previous.vipNode && vipNode !== previous.vipNode) previousHolder = previous.vipNode;
  if (vipNode) {
    const standby: NodeId = vipNode === "a" ? "b" : "a";
    const standbyServer = view[standby].server;
    const holderServer = view[vipNode].server;
    if (standbyServer) {
      // Writes the standby made since the last probe, unless it held the VIP at that probe (then
      // they may be legitimate writes made just before the failover).
      const before = previous.own[standby];
      const grown = before && previous.vipNode !== standby ? growth(before, own[standby]) : null;
      if (grown) {
        const code = previousHolder === standby ? "WRITES_ON_PREVIOUS_HOLDER" : "ERRANT_WRITES_ON_STANDBY";
        findings.push(
          makeFinding(
            code,
            code === "WRITES_ON_PREVIOUS_HOLDER"
              ? `Node ${standby.toUpperCase()}, which held the VIP before the failover, still receives writes (${grown}).`
              : `Node ${standby.toUpperCase()} does not hold the VIP but originated new transactions: ${grown}.`,
            { node: standby, reason: "grew", newTransactions: grown, before, now: own[standby] },
            standby,
          ),
        );
      } else if (holderServer) {
        const missing = notAppliedOn(own[standby], holderServer);
        if (missing) {
          findings.push(
            makeFinding(
              "ERRANT_WRITES_ON_STANDBY",
              `Node ${standby.toUpperCase()} has transactions of its own that the VIP holder ${vipNode.toUpperCase()} has not applied: ${missing}.`,
              { node: standby, reason: "not-applied-on-holder", missing },
              standby,
              "warning",
            ),
          );
        }
      }
    }
  }

  return {
    findings,
    vipNode,
    replication,
    memory: { vipNode: vipNode ?? previous.vipNode, previousHolder, own },
  };
}

function endpointFindings(o: SqlObservation): Finding[] {
  if (!o.error) return [];
  const e = o.error;
  const where = o.endpoint === "vip" ? `the VIP (${o.host})` : `node ${o.endpoint.toUpperCase()} (${o.host})`;
  const evidence = {
    host: o.host,
    port: o.port,
    class: e.class,
    code: e.code,
    error: e.message,
    during: e.during,
  };
  switch (e.class) {
    case "auth":
      return [
        makeFinding(
          "MYSQL_AUTH_FAILED",
          `The prober could not log in to ${where}: ${e.message}`,
          evidence,
          o.endpoint,
        ),
      ];
    case "too_many_connections":
      return [
        makeFinding(
          "MYSQL_TOO_MANY_CONNECTIONS",
          `${cap(where)} refused the prober: too many connections.`,
          evidence,
          o.endpoint,
        ),
      ];
    case "privilege":
      return [
        makeFinding(
          "MYSQL_PRIVILEGE_MISSING",
          `The monitoring user lacks a privilege on ${where}: ${e.message}`,
          evidence,
          o.endpoint,
        ),
      ];
    case "bad_result":
      return [
        makeFinding(
          "MYSQL_BAD_RESULT",
          `Unexpected result from ${where}: ${e.message}`,
          evidence,
          o.endpoint,
        ),
      ];
    default:
      if (o.connected) {
        // connected, then a query failed or hung
        return [
          makeFinding(
            "MYSQL_UNREACHABLE",
            `${cap(where)} stopped answering during ${e.during}: ${e.message}`,
            evidence,
            o.endpoint,
          ),
        ];
      }
      return o.endpoint === "vip"
        ? [
            makeFinding(
              "VIP_UNREACHABLE",
              `No MySQL answered on ${where}: ${e.class} (${e.message}).`,
              evidence,
              "vip",
            ),
          ]
        : [
            makeFinding(
              "MYSQL_UNREACHABLE",
              `MySQL on ${where} did not answer: ${e.class} (${e.message}).`,
              evidence,
              o.endpoint,
            ),
          ];
  }
}

/** Which node the VIP connection landed on: server_uuid when both have one, else server_id + hostname. */
export function matchVip(view: SqlView): NodeId | null {
  const v = view.vip.server;
  if (!v) return null;
  const matches = NODE_IDS.filter((id) => {
    const s = view[id].server;
    if (!s) return false;
    if (v.serverUuid && s.serverUuid) return v.serverUuid === s.serverUuid;
    return v.serverId === s.serverId && v.hostname === s.hostname;
  });
  if (matches.length === 1) return matches[0] ?? null;
  if (matches.length === 0) {
    // One node unobserved: the VIP server is that node if it differs from the observed one.
    const observed = NODE_IDS.filter((id) => view[id].server);
    if (observed.length === 1) {
      const other = observed[0] === "a" ? "b" : "a";
      const s = view[observed[0] as NodeId].server as ServerInfo;
      const differs =
        v.serverUuid && s.serverUuid ? v.serverUuid !== s.serverUuid : v.serverId !== s.serverId;
      return differs ? other : null;
    }
  }
  return null;
}

function channelFromPeer(
  server: ServerInfo,
  peer: PairNodeConfig,
  peerServer?: ServerInfo,
): ReplicationChannel | null {
  const names = new Set([peer.host, ...(peer.aliases ?? [])].map((h) => h.toLowerCase()));
  return (
    server.replication.find((c) => names.has(c.sourceHost.toLowerCase())) ??
    server.replication.find(
      (c) =>
        peerServer !== undefined &&
        ((c.sourceUuid !== null && c.sourceUuid === peerServer.serverUuid) ||
          c.sourceServerId === peerServer.serverId),
    ) ??
    null
  );
}

function replicationFindings(
  id: NodeId,
  direction: string,
  c: ReplicationChannel | null,
  t: SqlThresholds,
): Finding[] {
  if (!c) {
    return [
      makeFinding(
        "REPLICATION_NOT_CONFIGURED",
        `Replication ${direction} is not configured: node ${id.toUpperCase()} has no channel from its peer.`,
        { direction },
        id,
      ),
    ];
  }
  const ev = {
    direction,
    channel: c.channel,
    source: `${c.sourceHost}:${c.sourcePort}`,
    ioState: c.ioState,
    sqlRunning: c.sqlRunning,
    lagSeconds: c.lagSeconds,
    lastIoErrno: c.lastIoErrno,
    lastIoError: c.lastIoError,
    lastSqlErrno: c.lastSqlErrno,
    lastSqlError: c.lastSqlError,
  };
  const out: Finding[] = [];
  if (!c.ioRunning) {
    out.push(
      makeFinding(
        "REPLICATION_IO_STOPPED",
        `Replication ${direction}: IO thread ${c.ioState}${c.lastIoErrno ? ` (error ${c.lastIoErrno}: ${c.lastIoError})` : ""}.`,
        ev,
        id,
      ),
    );
  }
  if (!c.sqlRunning) {
    out.push(
      makeFinding(
        "REPLICATION_SQL_STOPPED",
        `Replication ${direction}: SQL thread stopped${c.lastSqlErrno ? ` (error ${c.lastSqlErrno}: ${c.lastSqlError})` : ""}.`,
        ev,
        id,
      ),
    );
  }
  if (c.ioRunning && c.sqlRunning && (c.lastIoErrno || c.lastSqlErrno)) {
    out.push(
      makeFinding(
        "REPLICATION_ERROR",
        `Replication ${direction} runs but reports an error: ${c.lastIoError || c.lastSqlError}`,
        ev,
        id,
      ),
    );
  }
  if (c.lagSeconds !== null && c.lagSeconds > t.lagWarningSeconds) {
    out.push(
      makeFinding(
        "REPLICATION_LAG",
        `Replication ${direction} lags ${c.lagSeconds} s (threshold ${c.lagSeconds > t.lagCriticalSeconds ? t.lagCriticalSeconds : t.lagWarningSeconds} s).`,
        { ...ev, thresholds: t },
        id,
        c.lagSeconds > t.lagCriticalSeconds ? "critical" : "warning",
      ),
    );
  }
  if (!c.gtidAutoPosition) {
    out.push(
      makeFinding(
        "REPLICATION_NO_GTID_AUTO_POSITION",
        `Replication ${direction} does not use GTID auto-positioning.`,
        ev,
        id,
      ),
    );
  }
  return out;
}

function pairConfigFindings(a: ServerInfo, b: ServerInfo): Finding[] {
  const out: Finding[] = [];
  const ai = {
    a: { increment: a.autoIncrementIncrement, offset: a.autoIncrementOffset },
    b: { increment: b.autoIncrementIncrement, offset: b.autoIncrementOffset },
  };
  const problems: string[] = [];
  if (a.autoIncrementIncrement !== b.autoIncrementIncrement)
    problems.push("auto_increment_increment differs");
  if (a.autoIncrementIncrement < 2 || b.autoIncrementIncrement < 2)
    problems.push("auto_increment_increment is below 2");
  if (a.autoIncrementOffset === b.autoIncrementOffset)
    problems.push("both nodes use the same auto_increment_offset");
  if (problems.length > 0) {
    out.push(
      makeFinding(
        "AUTO_INCREMENT_CONFLICT",
        `${cap(problems.join("; "))}: both masters can generate the same keys.`,
        ai,
        "pair",
      ),
    );
  }
  if (a.serverId === b.serverId || (a.serverUuid !== null && a.serverUuid === b.serverUuid)) {
    out.push(
      makeFinding(
        "SERVER_ID_CONFLICT",
        `Both nodes have server_id ${a.serverId}${a.serverUuid === b.serverUuid && a.serverUuid ? ` and server_uuid ${a.serverUuid}` : ""}.`,
        {
          a: { serverId: a.serverId, serverUuid: a.serverUuid },
          b: { serverId: b.serverId, serverUuid: b.serverUuid },
        },
        "pair",
      ),
    );
  }
  return out;
}

function nodeConfigFindings(id: NodeId, s: ServerInfo): Finding[] {
  const out: Finding[] = [];
  const N = id.toUpperCase();
  if (s.gtid.kind === "mysql" && (s.gtid.gtidMode !== "ON" || s.gtid.enforceGtidConsistency !== "ON")) {
    out.push(
      makeFinding(
        "GTID_DISABLED",
        `Node ${N}: gtid_mode=${s.gtid.gtidMode}, enforce_gtid_consistency=${s.gtid.enforceGtidConsistency}.`,
        {
          gtidMode: s.gtid.gtidMode,
          enforceGtidConsistency: s.gtid.enforceGtidConsistency,
        },
        id,
      ),
    );
  }
  if (!s.binlog)
    out.push(makeFinding("BINLOG_DISABLED", `Node ${N}: the binary log is off.`, { logBin: false }, id));
  if (!s.logReplicaUpdates) {
    out.push(
      makeFinding(
        "LOG_REPLICA_UPDATES_OFF",
        `Node ${N}: log_slave_updates / log_replica_updates is off.`,
        { logReplicaUpdates: false },
        id,
      ),
    );
  }
  return out;
}

export function ownTransactions(s: ServerInfo): OwnTransactions | null {
  if (s.gtid.kind === "mysql") {
    if (!s.serverUuid) return null;
    return { kind: "mysql", set: GtidSet.parse(s.gtid.executed).restrictToUuid(s.serverUuid).toString() };
  }
  const own = parseMariadbGtidList(s.gtid.binlogState).filter((g) => g.server === s.serverId);
  return { kind: "mariadb", position: formatMariadbGtids(own) };
}

/** The transactions in `now` that were not in `before`, as text; null when none. */
export function growth(before: OwnTransactions, now: OwnTransactions | null): string | null {
  if (!now || now.kind !== before.kind) return null;
  if (now.kind === "mysql" && before.kind === "mysql") {
    const g = GtidSet.parse(now.set).subtract(GtidSet.parse(before.set));
    return g.isEmpty ? null : g.toString();
  }
  if (now.kind === "mariadb" && before.kind === "mariadb") {
    const prev = parseMariadbGtidList(before.position);
    const ahead = parseMariadbGtidList(now.position).filter(
      (g) => g.seq > (prev.find((p) => p.domain === g.domain && p.server === g.server)?.seq ?? 0),
    );
    return ahead.length ? formatMariadbGtids(ahead) : null;
  }
  return null;
}

/** The standby's own transactions that the holder has not executed; null when none. */
function notAppliedOn(own: OwnTransactions | null, holder: ServerInfo): string | null {
  if (!own) return null;
  if (own.kind === "mysql" && holder.gtid.kind === "mysql") {
    const missing = GtidSet.parse(own.set).subtract(GtidSet.parse(holder.gtid.executed));
    return missing.isEmpty ? null : missing.toString();
  }
  if (own.kind === "mariadb" && holder.gtid.kind === "mariadb") {
    // The holder has applied a GTID of the standby when its binlog state holds that (domain, server)
    // at or past it, or its current position in that domain is past it.
    const state = parseMariadbGtidList(holder.gtid.binlogState);
    const current = MariadbPosition.parse(holder.gtid.currentPos);
    const missing = parseMariadbGtidList(own.position).filter(
      (g) =>
        g.seq > (state.find((h) => h.domain === g.domain && h.server === g.server)?.seq ?? 0) &&
        !(current.domain(g.domain)?.server === g.server && (current.domain(g.domain)?.seq ?? 0) >= g.seq),
    );
    return missing.length ? formatMariadbGtids(missing) : null;
  }
  return null;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
