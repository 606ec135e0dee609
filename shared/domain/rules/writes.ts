/**
 * Rule group "writes": who takes writes. The VIP holder must accept them (read_only off; the
 * heartbeat write succeeds); the standby must not originate any (errant writes), apart from the
 * prober's own heartbeat when it landed there.
 */

import type { Finding } from "../codes.ts";
import { makeFinding } from "../codes.ts";
import { formatMariadbGtids, GtidSet, MariadbPosition, parseMariadbGtidList } from "../gtid.ts";
import type { HeartbeatWrite } from "../heartbeat.ts";
import type { OwnTransactions, SqlMemory } from "../memory.ts";
import type { ServerInfo } from "../sql.ts";
import { NODE_IDS, type NodeId } from "../types.ts";
import type { SqlView } from "./vip-identity.ts";

export function ownTransactions(s: ServerInfo): OwnTransactions | null {
  if (!s.gtid) return null;
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

/** The growth without the prober's own heartbeat transaction (null when nothing else is left). */
/** A MariaDB GTID (domain-server-seq), as the heartbeat reports one; a MySQL one is uuid:N. */
const isMariadbGtid = (g: string) => /^\d+-\d+-\d+$/.test(g);

export function growthBesides(
  before: OwnTransactions,
  now: OwnTransactions | null,
  heartbeats: readonly string[] | string | null,
): string | null {
  const grown = growth(before, now);
  const hbs = (typeof heartbeats === "string" ? [heartbeats] : (heartbeats ?? [])).filter(Boolean);
  if (!grown || hbs.length === 0 || !now) return grown;
  if (now.kind === "mysql") {
    let rest = GtidSet.parse(grown);
    for (const h of hbs.filter((x) => !isMariadbGtid(x))) rest = rest.subtract(GtidSet.parse(h));
    return rest.isEmpty ? null : rest.toString();
  }
  // MariaDB keeps only the last GTID per (domain, server): the growth is the prober's own when every
  // sequence number since the previous probe is one of its heartbeats.
  const beats = hbs.filter(isMariadbGtid).flatMap((x) => parseMariadbGtidList(x));
  const prev = before.kind === "mariadb" ? parseMariadbGtidList(before.position) : [];
  const rest = parseMariadbGtidList(grown).filter((g) => {
    const was = prev.find((p) => p.domain === g.domain && p.server === g.server)?.seq ?? 0;
    const ours = new Set(
      beats
        .filter((h) => h.domain === g.domain && h.server === g.server && h.seq > was && h.seq <= g.seq)
        .map((h) => h.seq),
    );
    return ours.size !== g.seq - was;
  });
  return rest.length ? formatMariadbGtids(rest) : null;
}

/** A list of transactions without the prober's heartbeat GTIDs (they may not have replicated yet). */
function withoutHeartbeat(list: string | null, heartbeats: readonly string[]): string | null {
  if (!list || heartbeats.length === 0) return list;
  if (/^\d+-\d+-\d+(,\d+-\d+-\d+)*$/.test(list)) {
    const rest = parseMariadbGtidList(list).filter((g) => !heartbeats.includes(formatMariadbGtids([g])));
    return rest.length ? formatMariadbGtids(rest) : null;
  }
  let rest = GtidSet.parse(list);
  for (const h of heartbeats.filter((x) => !isMariadbGtid(x))) rest = rest.subtract(GtidSet.parse(h));
  return rest.isEmpty ? null : rest.toString();
}

/** The standby's own transactions that the holder has not executed; null when none. */
function notAppliedOn(own: OwnTransactions | null, holder: ServerInfo): string | null {
  if (!own || !holder.gtid) return null;
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

/** Did the heartbeat write land on this server? */
export function heartbeatLandedOn(hb: HeartbeatWrite | undefined, s: ServerInfo | undefined): boolean {
  if (!hb?.ok || !s) return false;
  if (hb.serverUuid && s.serverUuid) return hb.serverUuid === s.serverUuid;
  return hb.serverId !== null && hb.serverId === s.serverId;
}

/** Writes the standby originated since the previous probe, or that the holder has not applied. */
export function standbyWriteFindings(
  view: SqlView,
  vipNode: NodeId,
  own: Record<NodeId, OwnTransactions | null>,
  previous: SqlMemory,
  previousHolder: NodeId | null,
  heartbeat?: HeartbeatWrite,
): Finding[] {
  const standby: NodeId = vipNode === "a" ? "b" : "a";
  const standbyServer = view[standby].server;
  const holderServer = view[vipNode].server;
  if (!standbyServer) return [];
  // Writes the standby made since the last probe, unless it held the VIP at that probe (then they
  // may be legitimate writes made just before the failover), and apart from the prober's heartbeat.
  const before = previous.own[standby];
  // the prober's own heartbeats (this probe's and recent ones) are never a write of the applications
  const hbGtids = [
    ...(previous.heartbeatGtids ?? []),
    ...(heartbeatLandedOn(heartbeat, standbyServer) && heartbeat?.gtid ? [heartbeat.gtid] : []),
  ];
  const grown = before && previous.vipNode !== standby ? growthBesides(before, own[standby], hbGtids) : null;
  if (grown) {
    const code = previousHolder === standby ? "WRITES_ON_PREVIOUS_HOLDER" : "ERRANT_WRITES_ON_STANDBY";
    return [
      {
        ...makeFinding(
          code,
          code === "WRITES_ON_PREVIOUS_HOLDER"
            ? `Node ${standby.toUpperCase()}, which held the VIP before the failover, still receives writes (${grown}).`
            : `Node ${standby.toUpperCase()} does not hold the VIP but originated new transactions: ${grown}.`,
          { node: standby, reason: "grew", newTransactions: grown, before, now: own[standby] },
          standby,
        ),
        key: grown,
      },
    ];
  }
  const missing = withoutHeartbeat(holderServer ? notAppliedOn(own[standby], holderServer) : null, hbGtids);
  if (!missing) return [];
  return [
    {
      ...makeFinding(
        "ERRANT_WRITES_ON_STANDBY",
        `Node ${standby.toUpperCase()} has transactions of its own that the VIP holder ${vipNode.toUpperCase()} has not applied: ${missing}.`,
        { node: standby, reason: "not-applied-on-holder", missing },
        standby,
        "warning",
      ),
      key: missing,
    },
  ];
}

/**
 * The VIP holder must take writes: read_only (or super_read_only) on it means every application write
 * fails; a heartbeat write that fails or times out (a global read lock, a full disk) says so directly.
 */
export function holderWriteFindings(
  view: SqlView,
  vipNode: NodeId | null,
  heartbeat?: HeartbeatWrite,
): Finding[] {
  const out: Finding[] = [];
  const holder = view.vip.server;
  if (holder && (holder.readOnly === true || holder.superReadOnly === true)) {
    out.push(
      makeFinding(
        "HOLDER_READ_ONLY",
        `The VIP holder${vipNode ? ` (node ${vipNode.toUpperCase()})` : ""} is read-only (read_only=${holder.readOnlyValue ?? "?"}${holder.superReadOnly !== null ? `, super_read_only=${holder.superReadOnly ? "ON" : "OFF"}` : ""}): applications cannot write.`,
        { node: vipNode, readOnly: holder.readOnlyValue, superReadOnly: holder.superReadOnly },
        "vip",
      ),
    );
  }
  // Only when the VIP answered reads: a VIP that does not answer at all is VIP_UNREACHABLE already.
  if (heartbeat && !heartbeat.ok && holder) {
    const e = heartbeat.error;
    const evidence = {
      durationMs: heartbeat.durationMs,
      class: e?.class,
      code: e?.code,
      error: e?.message,
      during: e?.during,
    };
    const reason = e ? ` (${e.class}${e.code ? ` ${e.code}` : ""}, during ${e.during}: ${e.message})` : "";
    // The heartbeat's own connection failing (its login, TLS, a VIP that answered another connection a
    // moment before) says nothing of the applications' writes: not the write-failure advice.
    if (e?.during === "connect")
      out.push(
        makeFinding(
          "HEARTBEAT_CONNECT_FAILED",
          `The heartbeat could not connect to the VIP after ${heartbeat.durationMs} ms${reason}, though the VIP answered the probe's reads: the write path was not tried.`,
          evidence,
          "vip",
        ),
      );
    else
      out.push(
        makeFinding(
          "HOLDER_WRITES_FAILED",
          `The heartbeat write through the VIP failed after ${heartbeat.durationMs} ms${reason}: applications cannot write either.`,
          evidence,
          "vip",
        ),
      );
  }
  return out;
}

/**
 * A node without the heartbeat row (its read found none, or the write through the VIP matched none):
 * the prober writes no heartbeat until both nodes have it (pipeline), since an update replicated to a
 * node without the row would stop its replication.
 */
export function heartbeatRowFindings(
  view: SqlView,
  vipNode: NodeId | null,
  heartbeat?: HeartbeatWrite,
): Finding[] {
  const missing = NODE_IDS.filter((id) => view[id].server?.heartbeatRowMissing === true);
  const holder = heartbeat?.rowMissing ? (vipNode ?? null) : null;
  if (holder && !missing.includes(holder)) missing.push(holder);
  const unnamed = heartbeat?.rowMissing === true && holder === null;
  return [
    ...missing.map((id) =>
      makeFinding(
        "HEARTBEAT_ROW_MISSING",
        `Node ${id.toUpperCase()} has no heartbeat row: the prober writes no heartbeat until it has one (run the kit's heartbeat lines there with sql_log_bin=0).`,
        { node: id, seenBy: view[id].server?.heartbeatRowMissing ? "read" : "write" },
        id,
      ),
    ),
    ...(unnamed
      ? [
          makeFinding(
            "HEARTBEAT_ROW_MISSING",
            "The server answering at the VIP has no heartbeat row: the prober writes no heartbeat until it has one.",
            { node: null, seenBy: "write" },
            "vip",
          ),
        ]
      : []),
  ];
}
