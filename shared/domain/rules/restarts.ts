/**
 * Rule group "restarts": what restarted between two probes, seen from counters that survive it:
 * mysqld's Uptime, keepalived's pid, the STOP SLAVE/REPLICA counter and MySQL's error timestamps.
 * Each is an event: mailed once as an incident (see incidents.ts), never a state.
 */

import type { Finding } from "../codes.ts";
import { makeFinding } from "../codes.ts";
import type { SqlMemory } from "../memory.ts";
import type { NodeCheckResult } from "../node.ts";
import type { ReplicationChannel, SqlObservation } from "../sql.ts";
import { NODE_IDS, type NodeId } from "../types.ts";

/** Uptime is whole seconds and the probe's own timing jitters: a start time that moved less is the same start. */
const START_TOLERANCE_MS = 5000;

export function startedAtOf(o: SqlObservation): number | null {
  const up = o.server?.uptimeSeconds;
  return up === null || up === undefined ? null : Date.parse(o.observedAt) - up * 1000;
}

export function mysqlRestartFindings(id: NodeId, o: SqlObservation, before: number | null): Finding[] {
  const now = startedAtOf(o);
  if (now === null || before === null || now - before <= START_TOLERANCE_MS) return [];
  const at = new Date(Math.round(now / 1000) * 1000).toISOString();
  return [
    {
      ...makeFinding(
        "MYSQL_RESTARTED",
        `mysqld on node ${id.toUpperCase()} restarted since the previous probe (up since ${at}, ${o.server?.uptimeSeconds} s).`,
        {
          startedAt: at,
          uptimeSeconds: o.server?.uptimeSeconds,
          previousStart: new Date(before).toISOString(),
        },
        id,
      ),
      key: at,
    },
  ];
}

export function replicationRestartFindings(
  id: NodeId,
  o: SqlObservation,
  channel: ReplicationChannel | null,
  previous: Pick<SqlMemory, "replicaStops" | "errorStamps" | "startedAt">,
  restarted: boolean,
): Finding[] {
  const out: Finding[] = [];
  const stops = o.server?.replicaStops ?? null;
  const before = previous.replicaStops[id];
  // After a mysqld restart the counter starts again from 0: no comparison across it. The memory holds
  // the counter only from a probe that saw replication running, and this probe sees it running again.
  const running = Boolean(channel?.ioRunning && channel.sqlRunning);
  if (!restarted && running && stops !== null && before !== null && stops > before) {
    out.push({
      ...makeFinding(
        "REPLICATION_RESTARTED",
        `Replication on node ${id.toUpperCase()} was stopped and started again since the previous probe (STOP SLAVE/REPLICA ran ${stops - before} time${stops - before > 1 ? "s" : ""}).`,
        { stopCommands: stops - before, counter: stops },
        id,
      ),
      key: `stops:${stops}`,
    });
  }
  const stamp = errorStamp(channel);
  const was = previous.errorStamps[id];
  if (stamp && was !== null && stamp !== was && channel?.ioRunning && channel.sqlRunning) {
    out.push({
      ...makeFinding(
        "REPLICATION_RESTARTED",
        `Replication into node ${id.toUpperCase()} stopped with an error since the previous probe and runs again (${channel.lastIoError || channel.lastSqlError || stamp}).`,
        {
          lastIoErrorTimestamp: channel.lastIoErrorTimestamp,
          lastSqlErrorTimestamp: channel.lastSqlErrorTimestamp,
          lastIoError: channel.lastIoError,
          lastSqlError: channel.lastSqlError,
        },
        id,
      ),
      key: `error:${stamp}`,
    });
  }
  return out;
}

export function errorStamp(c: ReplicationChannel | null): string | null {
  if (!c) return null;
  const s = `${c.lastIoErrorTimestamp}|${c.lastSqlErrorTimestamp}`;
  return s === "|" ? "" : s;
}

export function keepalivedRestartFindings(
  id: NodeId,
  r: NodeCheckResult,
  beforePid: number | null,
): Finding[] {
  if (!r.ok || !r.report.keepalived.running) return [];
  const pid = r.report.keepalived.pid;
  if (pid === null || beforePid === null || pid === beforePid) return [];
  return [
    {
      ...makeFinding(
        "KEEPALIVED_RESTARTED",
        `keepalived on node ${id.toUpperCase()} restarted since the previous probe (pid ${beforePid} → ${pid}).`,
        { pid, previousPid: beforePid },
        id,
      ),
      key: `pid:${pid}`,
    },
  ];
}

/** keepalived's pid per node, null when not seen running (a restart after a seen outage is no news). */
export function keepalivedPids(nodes: Record<NodeId, NodeCheckResult>): Record<NodeId, number | null> {
  const out: Record<NodeId, number | null> = { a: null, b: null };
  for (const id of NODE_IDS) {
    const r = nodes[id];
    if (r.ok && r.report.keepalived.running) out[id] = r.report.keepalived.pid;
  }
  return out;
}
