/**
 * Rule group "cross-check": the five views of who is primary (keepalived MASTER, VIP bound, ARP
 * answer, where the VIP's SQL landed, who takes writes) compared, what could not be seen, and the
 * VIP owner they point to.
 */

import type { Finding } from "../codes.ts";
import { makeFinding } from "../codes.ts";
import type { NodeCheckResult } from "../node.ts";
import { NODE_IDS, type NodeId } from "../types.ts";

export interface Views {
  keepalivedMaster: string[] | null;
  vipBound: string[] | null;
  arpAnswer: string[] | null;
  vipSqlLandedOn: string[] | null;
  takingWrites: string[] | null;
}

export function arpOwners(arpMacs: string[], nodes: Record<NodeId, NodeCheckResult>): string[] {
  const macOf: Partial<Record<NodeId, string>> = {};
  for (const id of NODE_IDS) {
    const r = nodes[id];
    if (r.ok && r.report.vip.mac) macOf[id] = r.report.vip.mac;
  }
  return arpMacs.map((m) => NODE_IDS.find((id) => macOf[id] === m) ?? `foreign:${m}`);
}

export function missingViews(views: Views, sqlSeen: Record<NodeId, boolean>): string[] {
  const missing: string[] = [];
  if (!views.keepalivedMaster || !views.vipBound)
    missing.push("keepalived state and VIP binding (node check)");
  if (!views.vipSqlLandedOn) missing.push("the VIP's SQL identity");
  for (const id of NODE_IDS) if (!sqlSeen[id]) missing.push(`node ${id.toUpperCase()} over SQL`);
  return missing;
}

/**
 * The node without the VIP must hear the holder answer ARP for it: silence means the VIP is not
 * reachable on the segment even though a node says it holds it.
 */
export function silentArpFindings(views: Views, nodes: Record<NodeId, NodeCheckResult>): Finding[] {
  if (views.vipBound?.length !== 1) return [];
  const holder = views.vipBound[0] as NodeId;
  const other: NodeId = holder === "a" ? "b" : "a";
  const r = nodes[other];
  const arpRan =
    r.ok &&
    (r.report.arp.tool === "habets" || r.report.arp.tool === "iputils") &&
    (r.report.arp.sent ?? 0) > 0;
  if (!arpRan || !r.ok || r.report.arp.replies.length > 0) return [];
  return [
    makeFinding(
      "VIEWS_DISAGREE",
      `Node ${holder.toUpperCase()} has the VIP bound, but nobody answers ARP for it from node ${other.toUpperCase()}.`,
      { views, silentArpFrom: other },
      "pair",
    ),
  ];
}

export function disagreementFindings(views: Views): Finding[] {
  const present = Object.entries(views).filter(
    (e): e is [string, string[]] => e[1] !== null && e[1].length > 0,
  );
  const distinct = new Set(present.map(([, v]) => [...v].sort().join("+")));
  if (distinct.size <= 1) return [];
  return [
    makeFinding(
      "VIEWS_DISAGREE",
      `The views of who is primary disagree: ${present.map(([k, v]) => `${k}=${v.join("+")}`).join(", ")}.`,
      { views },
      "pair",
    ),
  ];
}

export function viewMissingFindings(missing: string[]): Finding[] {
  return missing.length > 0
    ? [makeFinding("VIEW_MISSING", `Not observed: ${missing.join("; ")}.`, { missing }, "pair")]
    : [];
}

/** The VIP owner: one node bound, else where the VIP's SQL landed, else the one MASTER; "both" in a split. */
export function vipOwnerOf(views: Views, split: boolean): NodeId | "both" | null {
  if (split) return "both";
  const single = (v: string[] | null | undefined) =>
    v && v.length === 1 && (v[0] === "a" || v[0] === "b") ? (v[0] as NodeId) : null;
  return single(views.vipBound) ?? single(views.vipSqlLandedOn) ?? single(views.keepalivedMaster) ?? null;
}
