/** Rule group "pair config": settings both masters must agree on, and each node's own. */

import type { Finding } from "../codes.ts";
import { makeFinding } from "../codes.ts";
import type { ServerInfo } from "../sql.ts";
import type { NodeId } from "../types.ts";
import { cap } from "./mysql-endpoints.ts";

export function pairConfigFindings(a: ServerInfo, b: ServerInfo): Finding[] {
  return [...autoIncrementFindings(a, b), ...serverIdFindings(a, b), ...bothWritable(a, b)];
}

function autoIncrementFindings(a: ServerInfo, b: ServerInfo): Finding[] {
  const [ia, ib, oa, ob] = [
    a.autoIncrementIncrement,
    b.autoIncrementIncrement,
    a.autoIncrementOffset,
    b.autoIncrementOffset,
  ];
  if (ia === null || ib === null || oa === null || ob === null) return []; // unknown: named by MYSQL_FIELD_UNKNOWN
  const problems: string[] = [];
  if (ia !== ib) problems.push("auto_increment_increment differs");
  if (ia < 2 || ib < 2) problems.push("auto_increment_increment is below 2");
  if (oa === ob) problems.push("both nodes use the same auto_increment_offset");
  if (problems.length === 0) return [];
  return [
    makeFinding(
      "AUTO_INCREMENT_CONFLICT",
      `${cap(problems.join("; "))}: both masters can generate the same keys.`,
      { a: { increment: ia, offset: oa }, b: { increment: ib, offset: ob } },
      "pair",
    ),
  ];
}

function serverIdFindings(a: ServerInfo, b: ServerInfo): Finding[] {
  const sameId = a.serverId !== null && a.serverId === b.serverId;
  const sameUuid = a.serverUuid !== null && a.serverUuid === b.serverUuid;
  if (!sameId && !sameUuid) return [];
  return [
    makeFinding(
      "SERVER_ID_CONFLICT",
      `Both nodes have ${sameId ? `server_id ${a.serverId}` : ""}${sameId && sameUuid ? " and " : ""}${sameUuid ? `server_uuid ${a.serverUuid}` : ""}.`,
      {
        a: { serverId: a.serverId, serverUuid: a.serverUuid },
        b: { serverId: b.serverId, serverUuid: b.serverUuid },
      },
      "pair",
    ),
  ];
}

function bothWritable(a: ServerInfo, b: ServerInfo): Finding[] {
  return a.readOnly === false && b.readOnly === false
    ? [makeFinding("BOTH_WRITABLE", "read_only is off on both nodes (normal in this design).", {}, "pair")]
    : [];
}

export function nodeConfigFindings(id: NodeId, s: ServerInfo): Finding[] {
  const out: Finding[] = [];
  const N = id.toUpperCase();
  const g = s.gtid;
  if (g?.kind === "mysql" && (g.gtidMode !== "ON" || g.enforceGtidConsistency !== "ON")) {
    out.push(
      makeFinding(
        "GTID_DISABLED",
        `Node ${N}: gtid_mode=${g.gtidMode}, enforce_gtid_consistency=${g.enforceGtidConsistency}.`,
        { gtidMode: g.gtidMode, enforceGtidConsistency: g.enforceGtidConsistency },
        id,
      ),
    );
  }
  if (s.binlog === false)
    out.push(makeFinding("BINLOG_DISABLED", `Node ${N}: the binary log is off.`, { logBin: false }, id));
  if (s.logReplicaUpdates === false) {
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
