/**
 * Rule group "keepalived pair": the seed design's rules for the two keepalived configurations, read
 * from both nodes' own DATA dumps (the VIP's VRRP instance): nopreempt in force on both (keepalived
 * clears it when an instance starts as MASTER, so this also catches `state MASTER`), the same
 * virtual_router_id, advert_int, authentication and VIP, distinct priorities, and unicast peers
 * pointing at each other where unicast is used.
 */

import type { Finding } from "../codes.ts";
import { makeFinding } from "../codes.ts";
import type { NodeReport } from "../node.ts";
import { NODE_IDS, type NodeId } from "../types.ts";
import { vipInstances } from "./vrrp-instance.ts";

type Instance = NodeReport["keepalived"]["instances"][number];

export function keepalivedPairFindings(
  reports: Partial<Record<NodeId, NodeReport>>,
  hosts: Record<NodeId, string>,
  name?: string,
): Finding[] {
  const inst: Partial<Record<NodeId, Instance>> = {};
  for (const id of NODE_IDS) {
    const r = reports[id];
    const i =
      r?.keepalived.running && r.keepalived.source === "data" ? vipInstances(r, name)?.[0] : undefined;
    if (i) inst[id] = i;
  }
  const out: Finding[] = [];
  for (const id of NODE_IDS) {
    if (inst[id]?.preempt === true) {
      out.push(
        makeFinding(
          "KEEPALIVED_PREEMPT_ON",
          `keepalived on node ${id.toUpperCase()} preempts (nopreempt is missing, or keepalived cleared it because the instance's initial state is MASTER): a recovered node takes the VIP back.`,
          { instance: inst[id]?.name },
          id,
        ),
      );
    }
  }
  const a = inst.a;
  const b = inst.b;
  if (!a || !b) return out;
  const differ: string[] = [];
  const cmp = (what: string, x: unknown, y: unknown) => {
    if (x !== null && y !== null && x !== undefined && y !== undefined && String(x) !== String(y))
      differ.push(`${what} A=${x} B=${y}`);
  };
  cmp("virtual_router_id", a.vrid, b.vrid);
  cmp("advert_int (ms)", a.advertMs, b.advertMs);
  cmp("authentication", a.auth || null, b.auth || null);
  cmp("virtual IPs", [...a.vips].sort().join(","), [...b.vips].sort().join(","));
  if (a.unicastPeers.length > 0 || b.unicastPeers.length > 0) {
    if (!a.unicastPeers.includes(hosts.b))
      differ.push(`node A's unicast peers (${a.unicastPeers.join(",") || "none"}) lack node B (${hosts.b})`);
    if (!b.unicastPeers.includes(hosts.a))
      differ.push(`node B's unicast peers (${b.unicastPeers.join(",") || "none"}) lack node A (${hosts.a})`);
  }
  if (differ.length > 0) {
    out.push(
      makeFinding(
        "KEEPALIVED_PAIR_MISMATCH",
        `The two keepalived configurations disagree: ${differ.join("; ")}.`,
        { differ, a: settings(a), b: settings(b) },
        "pair",
      ),
    );
  }
  if (a.basePriority !== null && a.basePriority === b.basePriority) {
    out.push(
      makeFinding(
        "KEEPALIVED_EQUAL_PRIORITIES",
        `Both nodes have priority ${a.basePriority} for the VIP's instance: which one wins an election is left to chance (the higher IP address).`,
        { priority: a.basePriority },
        "pair",
      ),
    );
  }
  return out;
}

function settings(i: Instance) {
  return {
    instance: i.name,
    vrid: i.vrid,
    advertMs: i.advertMs,
    auth: i.auth,
    vips: i.vips,
    priority: i.basePriority,
    preempt: i.preempt,
    unicastPeers: i.unicastPeers,
  };
}
