/** Rule group "VIP identity": which node the SQL connection to the VIP landed on. */

import type { Finding } from "../codes.ts";
import { makeFinding } from "../codes.ts";
import type { ServerInfo, SqlObservation } from "../sql.ts";
import { NODE_IDS, type NodeId } from "../types.ts";

export interface SqlView {
  vip: SqlObservation;
  a: SqlObservation;
  b: SqlObservation;
}

function sameServer(x: ServerInfo, y: ServerInfo): boolean {
  if (x.serverUuid && y.serverUuid) return x.serverUuid === y.serverUuid;
  return x.serverId !== null && x.serverId === y.serverId && x.hostname === y.hostname;
}

/** Which node the VIP connection landed on: server_uuid when both have one, else server_id + hostname. */
export function matchVip(view: SqlView): NodeId | null {
  const v = view.vip.server;
  if (!v) return null;
  const matches = NODE_IDS.filter((id) => {
    const s = view[id].server;
    return s ? sameServer(v, s) : false;
  });
  if (matches.length === 1) return matches[0] ?? null;
  if (matches.length === 0) {
    // One node unobserved: the VIP server is that node if it differs from the observed one.
    const observed = NODE_IDS.filter((id) => view[id].server);
    if (observed.length === 1) {
      const other = observed[0] === "a" ? "b" : "a";
      const s = view[observed[0] as NodeId].server as ServerInfo;
      const differs =
        v.serverUuid && s.serverUuid
          ? v.serverUuid !== s.serverUuid
          : v.serverId !== null && s.serverId !== null && v.serverId !== s.serverId;
      return differs ? other : null;
    }
  }
  return null;
}

export function vipIdentityFindings(view: SqlView, vipNode: NodeId | null): Finding[] {
  const v = view.vip.server;
  if (!v) return [];
  const evidence = { serverId: v.serverId, serverUuid: v.serverUuid, hostname: v.hostname };
  return vipNode
    ? [
        makeFinding(
          "VIP_ON_NODE",
          `The VIP connection landed on node ${vipNode.toUpperCase()}.`,
          { node: vipNode, ...evidence },
          "vip",
        ),
      ]
    : [
        makeFinding(
          "VIP_IDENTITY_UNKNOWN",
          `The server on the VIP (server_id ${v.serverId ?? "?"}, ${v.hostname}) matches neither node.`,
          evidence,
          "vip",
        ),
      ];
}
