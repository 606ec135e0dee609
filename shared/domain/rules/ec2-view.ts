/**
 * Rule group "EC2": where the VPC routes the VIP (the EC2 API's view), cross-checked with who holds it
 * (the VIP bound in the OS, else the VIP's SQL identity, else keepalived MASTER). A reassignment is
 * asynchronous: a mismatch is EC2_VIP_MOVE_PENDING within the grace, then critical. A split brain with
 * the VIP routed to one node is reported for what it is: that node is the one the applications reach.
 */

import type { Finding } from "../codes.ts";
import { makeFinding } from "../codes.ts";
import { type Ec2NodeMap, type Ec2Observation, type Ec2Summary, nodeOfTarget } from "../ec2.ts";
import type { NodeId } from "../types.ts";

export interface Ec2Memory {
  /** When EC2 first disagreed with the holder (epoch ms), while it does. */
  mismatchSince: number | null;
}

export const EMPTY_EC2_MEMORY: Ec2Memory = { mismatchSince: null };

export interface Ec2RuleInput {
  observation: Ec2Observation;
  map: Ec2NodeMap;
  graceMs: number;
  /** Who holds the VIP by the other views; null when they cannot tell (or nobody binds it). */
  holder: NodeId | "both" | null;
  now: number;
  previous: Ec2Memory;
}

export interface Ec2RuleResult {
  findings: Finding[];
  summary: Ec2Summary;
  memory: Ec2Memory;
}

const up = (s: string) =>
  s === "a" || s === "b"
    ? `node ${s.toUpperCase()}`
    : s === "unrouted"
      ? "nowhere in a route table without the route"
      : s.startsWith("blackhole:")
        ? `a blackhole route in ${s.slice(10)}`
        : s.startsWith("foreign:")
          ? s.slice(8)
          : s;

/** Who holds the VIP by the other views: bound in the OS, else the VIP's SQL, else the one MASTER. */
export function holderForEc2(views: {
  vipBound: string[] | null;
  vipSqlLandedOn: string[] | null;
  keepalivedMaster: string[] | null;
}): NodeId | "both" | null {
  const one = (v: string[] | null) => (v?.length === 1 ? (v[0] as NodeId) : null);
  if (views.vipBound) {
    if (views.vipBound.length >= 2) return "both";
    return one(views.vipBound);
  }
  if ((views.keepalivedMaster?.length ?? 0) >= 2) return "both";
  return one(views.vipSqlLandedOn) ?? one(views.keepalivedMaster);
}

export function ec2Rules(i: Ec2RuleInput): Ec2RuleResult {
  const o = i.observation;
  if (!o.ok) {
    return {
      findings: [
        makeFinding(
          "EC2_VIEW_FAILED",
          `The EC2 API did not say where the VIP is routed (${o.errorClass}): ${o.error}`,
          { mode: o.mode, errorClass: o.errorClass, error: o.error },
          "pair",
        ),
      ],
      summary: {
        mode: o.mode,
        routedTo: null,
        interfaces: [],
        mismatchSince: iso(i.previous.mismatchSince),
      },
      // not seen is not resolved: a mismatch keeps its start
      memory: i.previous,
    };
  }
  const routedTo = [
    ...new Set([...o.targets.map((t) => nodeOfTarget(t, i.map)), ...missingRoutes(o)]),
  ].sort();
  const summary = (since: number | null): Ec2Summary => ({
    mode: o.mode,
    routedTo,
    interfaces: [...new Set(o.targets.map((t) => t.interfaceId ?? t.instanceId ?? "?"))],
    mismatchSince: iso(since),
  });
  const evidence = { mode: o.mode, targets: o.targets, routedTo, holder: i.holder };
  if (i.holder === "both") {
    const nodes = routedTo.filter((r) => r === "a" || r === "b");
    const findings =
      nodes.length === 1
        ? [
            makeFinding(
              "EC2_SPLIT_BRAIN_ROUTED",
              `Both nodes hold the VIP; EC2 routes it to ${up(nodes[0] as string)}: the applications reach ${up(nodes[0] as string)} only, while ${up(nodes[0] === "a" ? "b" : "a")} also believes it is the writer.`,
              { ...evidence, routedNode: nodes[0] },
              "pair",
            ),
          ]
        : [];
    return { findings, summary: summary(null), memory: EMPTY_EC2_MEMORY };
  }
  if (i.holder === null || (routedTo.length === 1 && routedTo[0] === i.holder))
    return { findings: [], summary: summary(null), memory: EMPTY_EC2_MEMORY };

  // EC2 disagrees with the holder: pending within the grace, then what it is
  const since = i.previous.mismatchSince ?? i.now;
  const elapsedS = Math.round((i.now - since) / 1000);
  const routed = routedTo.length ? routedTo.map(up).join(" and ") : "no interface";
  const withTiming = { ...evidence, mismatchSince: iso(since), graceSeconds: i.graceMs / 1000 };
  let finding: Finding;
  if (i.now - since < i.graceMs) {
    finding = makeFinding(
      "EC2_VIP_MOVE_PENDING",
      `${up(i.holder)} holds the VIP, but EC2 routes it to ${routed} (for ${elapsedS} s; grace ${i.graceMs / 1000} s).`,
      withTiming,
      "pair",
    );
  } else if (routedTo.length === 0 || routedTo.every((r) => r.startsWith("blackhole:") || r === "unrouted")) {
    finding = makeFinding(
      "EC2_VIP_UNASSIGNED",
      `${up(i.holder)} holds the VIP, but EC2 routes it nowhere (for ${elapsedS} s): the VPC delivers the VIP's traffic to no host.`,
      withTiming,
      "pair",
    );
  } else if (routedTo.some((r) => r.startsWith("foreign:"))) {
    finding = makeFinding(
      "EC2_VIP_FOREIGN",
      `${up(i.holder)} holds the VIP, but EC2 routes it to ${routed}, which is neither node (for ${elapsedS} s).`,
      withTiming,
      "pair",
    );
  } else {
    finding = makeFinding(
      "EC2_VIP_MISMATCH",
      `${up(i.holder)} holds the VIP, but EC2 routes it to ${routed} (for ${elapsedS} s): the VPC delivers the VIP's traffic to a host that does not hold it.`,
      withTiming,
      "pair",
    );
  }
  return { findings: [finding], summary: summary(since), memory: { mismatchSince: since } };
}

/** route-table mode: a configured table without a route sends the VIP nowhere. */
function missingRoutes(o: Extract<Ec2Observation, { ok: true }>): string[] {
  return (o.tablesWithoutRoute ?? []).length > 0 ? ["unrouted"] : [];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The EC2 findings that mean the VIP's traffic reaches no holder: the status is DOWN. */
export const EC2_DOWN_CODES = new Set(["EC2_VIP_MISMATCH", "EC2_VIP_UNASSIGNED", "EC2_VIP_FOREIGN"]);
