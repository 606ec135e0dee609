/**
 * Rule group "node views": what the node checks report. VIP binding (on a live link), ARP answers read
 * by the reporter's role, keepalived's role in the VIP's own VRRP instance, mysqld listening,
 * transitions between probes and the failover candidate.
 */

import type { Finding } from "../codes.ts";
import { makeFinding } from "../codes.ts";
import { EMPTY_NODE_MEMORY, type NodeMemory } from "../memory.ts";
import type { NodeCheckResult, NodeReport } from "../node.ts";
import { NODE_IDS, type NodeId } from "../types.ts";
import { keepalivedPairFindings } from "./keepalived-pair.ts";
import { roleOf, vipInstances } from "./vrrp-instance.ts";

export interface NodesView {
  /** The nodes' real addresses (for the unicast peer rule). */
  hosts?: Record<NodeId, string>;
  a: NodeCheckResult;
  b: NodeCheckResult;
  /** Other hosts on the VIP's segment running the same check: their ARP view is a third opinion. */
  witnesses?: { name: string; result: NodeCheckResult }[];
  /** The VRRP instance that carries the VIP, when configured; else found by the VIP in each instance. */
  vrrpInstance?: string;
}

export interface NodesAssessment {
  findings: Finding[];
  /** Nodes with the VIP bound on a live link; null when a node could not be checked. */
  holders: NodeId[] | null;
  /** Nodes whose keepalived is MASTER of the VIP's instance; null when that cannot be told. */
  masters: NodeId[] | null;
  /** Every MAC seen answering ARP for the VIP, by anyone. */
  arpMacs: string[];
  /** The VIP instance's state per node ("DOWN" when keepalived is not running), for summaries. */
  roles: Record<NodeId, string | null>;
  memory: NodeMemory;
}

export { roleOf, vipInstances } from "./vrrp-instance.ts";

const servesVip = (r: NodeReport) => r.vip.bound && r.vip.link !== "down";

/**
 * The VIP instance's present state as one view of the node: the state dump, unless the transition log
 * (read after it by the node check) holds a later transition of the instance than the dump's own last
 * one (more than a second after it: the notify script logs a moment after keepalived's change). Then the
 * dump is stale and the log says where keepalived is now. What the next probe compares against.
 */
export function presentRole(r: NodeReport, role: string | null, name?: string): string | null {
  if (role === null || role === "DOWN") return role;
  const inst = vipInstances(r, name) ?? [];
  const names = new Set(inst.map((i) => i.name).filter(Boolean));
  const dumpLast = Math.max(0, ...inst.map((i) => i.lastTransition ?? 0));
  const log = r.keepalived.transitions.filter(
    (t) => names.size === 0 || !t.instance || names.has(t.instance),
  );
  const last = log[log.length - 1];
  return last && last.state !== role && last.at > dumpLast + 1 ? last.state : role;
}

export function assessNodes(
  view: NodesView,
  previousMemory: NodeMemory = EMPTY_NODE_MEMORY,
): NodesAssessment {
  const previous = { ...EMPTY_NODE_MEMORY, ...previousMemory };
  const reports: Partial<Record<NodeId, NodeReport>> = {};
  for (const id of NODE_IDS) {
    const r = view[id];
    if (r.ok) reports[id] = r.report;
  }
  const both = reports.a && reports.b ? { a: reports.a, b: reports.b } : null;
  const roles: Record<NodeId, string | null> = { a: null, b: null };
  for (const id of NODE_IDS) {
    const r = reports[id];
    if (r) roles[id] = roleOf(r, view.vrrpInstance);
  }
  const holders = both ? NODE_IDS.filter((id) => servesVip(both[id])) : null;
  const masters =
    both && roles.a !== null && roles.b !== null ? NODE_IDS.filter((id) => roles[id] === "MASTER") : null;
  const arp = arpFindings(view, reports, previous.foreignMacs);
  const findings = [
    ...checkFindings(view),
    ...bindingFindings(reports),
    ...arp.findings,
    ...NODE_IDS.flatMap((id) => {
      const r = reports[id];
      return r ? [...keepalivedFindings(id, r, roles[id], view.vrrpInstance), ...mysqldFindings(id, r)] : [];
    }),
    ...NODE_IDS.flatMap((id) => {
      const r = reports[id];
      return r ? transitionFindings(id, r, roles[id], previous, view.vrrpInstance) : [];
    }),
    ...pairRoleFindings(both, masters),
    ...(view.hosts ? keepalivedPairFindings(reports, view.hosts, view.vrrpInstance) : []),
    ...candidateFindings(both, holders, roles),
  ];
  if (both && holders?.length === 0) {
    findings.push(
      makeFinding(
        "VIP_NOT_BOUND",
        `The VIP ${both.a.vip.address} is bound on neither node${NODE_IDS.some((id) => both[id].vip.bound) ? " with its link up" : ""}${arp.macs.length ? ` (yet ${arp.macs.join(", ")} answers ARP for it)` : " and nobody answers ARP for it"}.`,
        { arpMacs: arp.macs },
        "pair",
      ),
    );
  }
  return {
    findings,
    holders,
    masters,
    arpMacs: arp.macs,
    roles,
    memory: {
      lastEpoch: {
        a: reports.a ? reports.a.epoch : previous.lastEpoch.a,
        b: reports.b ? reports.b.epoch : previous.lastEpoch.b,
      },
      keepalivedPid: previous.keepalivedPid,
      // the present state of each node as one view (the dump, or the later log): the next probe's prior
      keepalivedState: {
        a:
          (reports.a ? presentRole(reports.a, roles.a, view.vrrpInstance) : null) ??
          previous.keepalivedState.a,
        b:
          (reports.b ? presentRole(reports.b, roles.b, view.vrrpInstance) : null) ??
          previous.keepalivedState.b,
      },
      lastTransitionAt: {
        a: lastTransition(reports.a, previous.lastTransitionAt.a),
        b: lastTransition(reports.b, previous.lastTransitionAt.b),
      },
      // what was not seen (a node report missing) is not "gone": the previous list stays
      foreignMacs: arp.foreign ?? previous.foreignMacs,
    },
  };
}

function lastTransition(r: NodeReport | undefined, before: number | null): number | null {
  const ats = (r?.keepalived.transitions ?? []).map((t) => t.at);
  return ats.length ? Math.max(before ?? 0, ...ats) : before;
}

function checkFindings(view: NodesView): Finding[] {
  const out: Finding[] = [];
  for (const id of NODE_IDS) {
    const r = view[id];
    if (r.ok && r.report.untrusted.length > 0) {
      out.push(
        makeFinding(
          "NODE_FILE_UNTRUSTED",
          `Node ${up(id)}'s check refused to read ${r.report.untrusted.map((u) => `${u.file} (${u.reason})`).join(", ")}: what it says is unknown.`,
          { untrusted: r.report.untrusted },
          id,
        ),
      );
    }
    if (r.ok && r.report.errors.length > 0) {
      out.push(
        makeFinding(
          "NODE_CHECK_WARNING",
          `Node ${up(id)}'s check could not see everything: ${r.report.errors.join("; ")}.`,
          { errors: r.report.errors },
          id,
        ),
      );
    } else if (!r.ok) {
      out.push(
        makeFinding(
          "NODE_CHECK_FAILED",
          `Node ${up(id)} could not be checked (${r.reason}): ${r.detail}`,
          { reason: r.reason, detail: r.detail },
          id,
        ),
      );
    }
  }
  for (const w of view.witnesses ?? []) {
    if (!w.result.ok) {
      out.push(
        makeFinding(
          "NODE_CHECK_FAILED",
          `Witness ${w.name} could not be checked (${w.result.reason}): ${w.result.detail}`,
          { witness: w.name, reason: w.result.reason, detail: w.result.detail },
          "pair",
          "warning",
        ),
      );
    }
  }
  return out;
}

function bindingFindings(reports: Partial<Record<NodeId, NodeReport>>): Finding[] {
  const out: Finding[] = [];
  for (const id of NODE_IDS) {
    const r = reports[id];
    if (r?.vip.bound && r.vip.link === "down") {
      out.push(
        makeFinding(
          "VIP_LINK_DOWN",
          `The VIP ${r.vip.address} is bound on node ${up(id)}, but its interface ${r.vip.interface} is down: it serves nobody.`,
          { interface: r.vip.interface },
          id,
        ),
      );
    }
  }
  const serving = NODE_IDS.filter((id) => {
    const r = reports[id];
    return r ? servesVip(r) : false;
  });
  if (serving.length === 2) {
    const { a, b } = reports as Record<NodeId, NodeReport>;
    out.push(
      makeFinding(
        "SPLIT_BRAIN_VIP_ON_BOTH",
        `SPLIT BRAIN: the VIP ${a.vip.address} is bound on both nodes.`,
        {
          a: { interface: a.vip.interface, mac: a.vip.mac },
          b: { interface: b.vip.interface, mac: b.vip.mac },
        },
        "pair",
      ),
    );
  }
  return out;
}

/**
 * ARP answers for the VIP. Two of the pair's own MACs answering (or, on a holder, the other node's) is
 * a split brain. A MAC that belongs to neither node is an address conflict to investigate, not a split
 * brain: one spoofed reply must not page everyone and ask them to drop a node. It is confirmed when two
 * observers saw it in one probe, or one saw it in two probes in a row (ARP_FOREIGN_MAC); before that it
 * is ARP_FOREIGN_MAC_UNCONFIRMED. With a node report missing, the pair's MACs are not all known: any
 * second MAC then counts as a duplicate (it may be the other node's), as before.
 */
function arpFindings(
  view: NodesView,
  reports: Partial<Record<NodeId, NodeReport>>,
  previousForeign: readonly string[],
): { findings: Finding[]; macs: string[]; foreign: string[] | null } {
  const bothKnown = Boolean(reports.a && reports.b);
  const nodeMacs = new Set(NODE_IDS.map((id) => reports[id]?.vip.mac).filter((m): m is string => Boolean(m)));
  const ours = (m: string) => !bothKnown || nodeMacs.has(m);
  const arpMacs = new Set<string>();
  const foreignSeenBy = new Map<string, string[]>();
  const duplicates: { seenBy: string; role: string; macs: string[] }[] = [];
  const readArp = (seenBy: string, r: NodeReport, role: "holder" | "non-holder" | "witness") => {
    const replies = [...new Set(r.arp.replies)];
    for (const m of replies) arpMacs.add(m);
    for (const m of replies.filter((x) => !ours(x)))
      foreignSeenBy.set(m, [...(foreignSeenBy.get(m) ?? []), seenBy]);
    const pairs = replies.filter(ours);
    const others = pairs.filter((m) => m !== r.vip.mac);
    if (role === "holder" ? others.length >= 1 : pairs.length >= 2)
      duplicates.push({ seenBy, role, macs: pairs });
  };
  for (const id of NODE_IDS) {
    const r = reports[id];
    if (r) readArp(`node ${up(id)}`, r, r.vip.bound ? "holder" : "non-holder");
  }
  for (const w of view.witnesses ?? [])
    if (w.result.ok)
      readArp(`witness ${w.name}`, w.result.report, w.result.report.vip.bound ? "holder" : "witness");
  const findings: Finding[] = [];
  if (duplicates.length > 0) {
    findings.push(
      makeFinding(
        "ARP_DUPLICATE",
        `Duplicate ARP answers for the VIP, seen by ${duplicates.map((d) => d.seenBy).join(", ")}: ${[...new Set(duplicates.flatMap((d) => d.macs))].join(", ")}.`,
        { duplicates },
        "pair",
      ),
    );
  }
  findings.push(...foreignMacFindings(foreignSeenBy, nodeMacs, previousForeign));
  return {
    findings,
    macs: [...arpMacs].sort(),
    // remembered only when the pair's MACs were known and someone ran arping
    foreign: bothKnown ? [...foreignSeenBy.keys()].sort() : null,
  };
}

function foreignMacFindings(
  seenBy: Map<string, string[]>,
  nodeMacs: Set<string>,
  previous: readonly string[],
): Finding[] {
  if (seenBy.size === 0) return [];
  const all = [...seenBy.keys()].sort();
  const confirmed = all.filter((m) => (seenBy.get(m)?.length ?? 0) >= 2 || previous.includes(m));
  const evidence = (macs: string[]) => ({
    foreign: macs,
    seenBy: Object.fromEntries(macs.map((m) => [m, seenBy.get(m) ?? []])),
    nodeMacs: [...nodeMacs],
  });
  const unconfirmed = all.filter((m) => !confirmed.includes(m));
  return [
    ...(confirmed.length
      ? [
          makeFinding(
            "ARP_FOREIGN_MAC",
            `A MAC that belongs to neither node answers for the VIP: ${confirmed.map((m) => `${m} (seen by ${seenBy.get(m)?.join(", ")}${previous.includes(m) ? ", and at the previous probe" : ""})`).join(", ")}.`,
            evidence(confirmed),
            "pair",
          ),
        ]
      : []),
    ...(unconfirmed.length
      ? [
          makeFinding(
            "ARP_FOREIGN_MAC_UNCONFIRMED",
            `A MAC that belongs to neither node answered once for the VIP: ${unconfirmed.map((m) => `${m} (seen by ${seenBy.get(m)?.join(", ")})`).join(", ")}; the next probe tells whether it persists.`,
            evidence(unconfirmed),
            "pair",
          ),
        ]
      : []),
  ];
}

function keepalivedFindings(id: NodeId, r: NodeReport, role: string | null, name?: string): Finding[] {
  const out: Finding[] = [];
  const k = r.keepalived;
  const decisive = vipInstances(r, name);
  const state = decisive?.map((i) => `${i.name || "?"}=${i.state}`).join(",") || "unknown";
  if (!k.running) {
    out.push(makeFinding("KEEPALIVED_DOWN", `keepalived is not running on node ${up(id)}.`, {}, id));
  } else if (role === "FAULT") {
    out.push(
      makeFinding(
        "KEEPALIVED_FAULT",
        `keepalived is in FAULT on node ${up(id)}.`,
        { instances: k.instances },
        id,
      ),
    );
  }
  if (k.running && decisive === null) {
    out.push(
      makeFinding(
        "KEEPALIVED_VIP_INSTANCE_UNKNOWN",
        `keepalived on node ${up(id)} runs ${k.instances.length} VRRP instances and none lists the VIP ${r.vip.address}: its role for the VIP cannot be told.`,
        { instances: k.instances.map((i) => ({ name: i.name, state: i.state, vips: i.vips })) },
        id,
      ),
    );
  }
  const others = decisive ? k.instances.filter((i) => !decisive.includes(i)) : [];
  if (others.length > 0) {
    out.push(
      makeFinding(
        "KEEPALIVED_OTHER_INSTANCES",
        `keepalived on node ${up(id)} also runs ${others.map((i) => `${i.name}=${i.state}`).join(", ")}, which do not carry the VIP (not counted).`,
        { others: others.map((i) => ({ name: i.name, state: i.state, vips: i.vips })) },
        id,
      ),
    );
  }
  if (k.running && role === "MASTER" && !servesVip(r)) {
    out.push(
      makeFinding(
        "VIP_STATE_MISMATCH",
        `keepalived on node ${up(id)} is MASTER but the VIP is not ${r.vip.bound ? "on a live link" : "bound"} there.`,
        { state },
        id,
      ),
    );
  }
  if (r.vip.bound && (!k.running || (role !== null && role !== "MASTER"))) {
    out.push(
      makeFinding(
        "VIP_STATE_MISMATCH",
        k.running
          ? `The VIP is bound on node ${up(id)} but its keepalived is ${state}.`
          : `The VIP is bound on node ${up(id)} but keepalived is not running there (a stale VIP).`,
        { state, keepalivedRunning: k.running },
        id,
      ),
    );
  }
  return out;
}

const isLoopback = (addr: string) => /^(127\.|\[::1\]|::1|\[::ffff:127\.)/.test(addr);

/** mysqld must listen where the VIP and the peer can reach it, not on loopback only. */
export function reachableListener(r: NodeReport): boolean | null {
  if (r.mysqld.listening === null) return null;
  if (!r.mysqld.listening) return false;
  return r.mysqld.addresses.length === 0 || r.mysqld.addresses.some((a) => !isLoopback(a));
}

function mysqldFindings(id: NodeId, r: NodeReport): Finding[] {
  if (r.mysqld.listening === false) {
    return [
      makeFinding(
        "MYSQLD_NOT_LISTENING",
        `Nothing listens on port ${r.mysqld.port} on node ${up(id)}.`,
        { port: r.mysqld.port },
        id,
      ),
    ];
  }
  if (reachableListener(r) === false) {
    return [
      makeFinding(
        "MYSQLD_LOOPBACK_ONLY",
        `mysqld on node ${up(id)} listens on loopback only (${r.mysqld.addresses.join(", ")}): neither the VIP nor the peer can reach it.`,
        { addresses: r.mysqld.addresses, port: r.mysqld.port },
        id,
      ),
    ];
  }
  return [];
}

/**
 * keepalived's transitions since the previous probe (notify log or journal), for the VIP's instance.
 * A flap is a change the next probe cannot see: MASTER entered twice, or the node is back in the
 * state it had at the previous probe after passing through another (the VIP moved and came back).
 */
function transitionFindings(
  id: NodeId,
  r: NodeReport,
  role: string | null,
  previous: NodeMemory,
  name?: string,
): Finding[] {
  const k = r.keepalived;
  const since = previous.lastEpoch[id];
  if (since === null || k.transitionsSource === "none") return [];
  const names = new Set((vipInstances(r, name) ?? []).map((i) => i.name).filter(Boolean));
  const after = Math.max(since, previous.lastTransitionAt[id] ?? 0);
  const recent = k.transitions.filter(
    (t) => t.at > after && (names.size === 0 || !t.instance || names.has(t.instance)),
  );
  if (recent.length === 0) return [];
  const states = recent.map((t) => t.state);
  const prior = previous.keepalivedState[id];
  const masterEntries = states.filter((s) => s === "MASTER").length;
  const leftMaster = states.some((s, i) => i > 0 && states[i - 1] === "MASTER" && s !== "MASTER");
  // back where it was: the dump says so AND the log's last transition says so. The dump and the log are
  // read at different moments: a log ending in BACKUP while the dump still says FAULT is a recovery under
  // way (FAULT -> BACKUP), never a flap.
  const last = states[states.length - 1];
  const backToPrior = prior !== null && role === prior && last === prior && states.some((s) => s !== prior);
  const flapped = masterEntries >= 2 || (masterEntries >= 1 && leftMaster) || backToPrior;
  const lagging =
    role !== null && last !== undefined && role !== last
      ? ` (the state dump, read a moment apart, still says ${role})`
      : "";
  const message = `keepalived on node ${up(id)} ${flapped ? "flapped" : "changed state"} since the previous probe: ${prior && flapped ? `${prior} → ` : ""}${states.join(" → ")}${lagging}.`;
  const finding = makeFinding(
    flapped ? "KEEPALIVED_FLAPPED" : "KEEPALIVED_TRANSITION",
    message,
    { transitions: recent, source: k.transitionsSource, previousState: prior },
    id,
  );
  return [flapped ? { ...finding, key: `at:${recent[recent.length - 1]?.at}` } : finding];
}

function pairRoleFindings(both: Record<NodeId, NodeReport> | null, masters: NodeId[] | null): Finding[] {
  if (masters?.length === 2) {
    return [
      makeFinding(
        "KEEPALIVED_MULTIPLE_MASTERS",
        "SPLIT BRAIN: keepalived is MASTER on both nodes.",
        {},
        "pair",
      ),
    ];
  }
  if (both && masters?.length === 0 && both.a.keepalived.running && both.b.keepalived.running) {
    return [
      makeFinding(
        "KEEPALIVED_NO_MASTER",
        "keepalived runs on both nodes but neither is MASTER.",
        { a: both.a.keepalived.instances, b: both.b.keepalived.instances },
        "pair",
      ),
    ];
  }
  return [];
}

/** The node that does not hold the VIP must be able to take it. */
function candidateFindings(
  both: Record<NodeId, NodeReport> | null,
  holders: NodeId[] | null,
  roles: Record<NodeId, string | null>,
): Finding[] {
  if (!both || holders?.length !== 1) return [];
  const standby: NodeId = holders[0] === "a" ? "b" : "a";
  const s = both[standby];
  const why = !s.keepalived.running
    ? "keepalived is not running"
    : roles[standby] === "FAULT"
      ? "keepalived is in FAULT"
      : reachableListener(s) === false
        ? "mysqld is not listening where the VIP can reach it"
        : null;
  if (!why) return [];
  return [
    makeFinding(
      "NO_FAILOVER_CANDIDATE",
      `No failover candidate: on node ${up(standby)}, which does not hold the VIP, ${why}.`,
      { standby, why },
      standby,
    ),
  ];
}

function up(id: NodeId): string {
  return id.toUpperCase();
}
