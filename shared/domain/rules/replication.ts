/**
 * Rule group "replication": each direction of the ring (A→B is read on B), its threads, errors and
 * delay. The delay comes from the heartbeat when it is on (the time since the oldest heartbeat write
 * the node has not applied, on the prober's clock), else from Seconds_Behind_Source.
 */

import type { Finding } from "../codes.ts";
import { makeFinding } from "../codes.ts";
import type { ReplicationChannel, ServerInfo } from "../sql.ts";
import type { NodeId } from "../types.ts";

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

export interface Lag {
  seconds: number;
  source: "heartbeat" | "seconds_behind_source";
}

/** The channel on `server` that replicates from its peer: by host name, else by the peer's identity. */
export function channelFromPeer(
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
          (c.sourceServerId !== null && c.sourceServerId === peerServer.serverId)),
    ) ??
    null
  );
}

/**
 * Heartbeat delay of a node, in ms: 0 when it has the latest write; else how long ago the prober made
 * the oldest write it has not applied. null when the node's heartbeat row was not read.
 */
export function heartbeatLagMs(
  seen: number | null | undefined,
  writes: readonly number[],
  readAt: number,
): number | null {
  if (seen === undefined || seen === null || writes.length === 0) return null;
  const unseen = writes.filter((w) => w > seen);
  if (unseen.length === 0) return 0;
  return Math.max(0, readAt - Math.min(...unseen));
}

export function lagOf(c: ReplicationChannel | null, heartbeatMs: number | null): Lag | null {
  if (heartbeatMs !== null) return { seconds: Math.round(heartbeatMs / 100) / 10, source: "heartbeat" };
  if (c?.lagSeconds !== null && c?.lagSeconds !== undefined)
    return { seconds: c.lagSeconds, source: "seconds_behind_source" };
  return null;
}

export function replicationFindings(
  id: NodeId,
  direction: string,
  c: ReplicationChannel | null,
  t: SqlThresholds,
  lag: Lag | null,
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
    source: `${c.sourceHost}:${c.sourcePort ?? "?"}`,
    ioState: c.ioState,
    sqlRunning: c.sqlRunning,
    lagSeconds: lag?.seconds ?? null,
    lagSource: lag?.source ?? null,
    secondsBehindSource: c.lagSeconds,
    lastIoErrno: c.lastIoErrno,
    lastIoError: c.lastIoError,
    lastSqlErrno: c.lastSqlErrno,
    lastSqlError: c.lastSqlError,
  };
  const out: Finding[] = [];
  if (c.ioRunning === false) {
    out.push(
      makeFinding(
        "REPLICATION_IO_STOPPED",
        `Replication ${direction}: IO thread ${c.ioState}${c.lastIoErrno ? ` (error ${c.lastIoErrno}: ${c.lastIoError})` : ""}.`,
        ev,
        id,
      ),
    );
  }
  if (c.sqlRunning === false) {
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
  if (lag !== null && lag.seconds > t.lagWarningSeconds) {
    const critical = lag.seconds > t.lagCriticalSeconds;
    out.push(
      makeFinding(
        "REPLICATION_LAG",
        `Replication ${direction} lags ${lag.seconds} s${lag.source === "heartbeat" ? " (heartbeat)" : ""} (threshold ${critical ? t.lagCriticalSeconds : t.lagWarningSeconds} s).`,
        { ...ev, thresholds: t },
        id,
        critical ? "critical" : "warning",
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
