/**
 * Node findings from the node-check reports, pure: VIP holders, duplicate ARP answers read by the
 * reporter's role, keepalived masters, failover candidates, transitions since the previous probe.
 */
import { makeFinding } from "../codes.ts";
import type { NodeCheckResult, NodeReport } from "../node.ts";
import { type Finding, NODE_IDS, type NodeId } from "../types.ts";

export interface NodesView {
  a: NodeCheckResult;
  b: NodeCheckResult;
  /** Other hosts on the VIP's segment running the same check: their ARP view is a third opinion. */
  witnesses?: { name: string; result: NodeCheckResult }[];
}

export interface NodeMemory {
  /** The node's own clock at its last report: the next check asks for transitions after it. */
  lastEpoch: Record<NodeId, number | null>;
}

export const EMPTY_NODE_MEMORY: NodeMemory = { lastEpoch: { a: null, b: null } };

export interface NodesAssessment {
  findings: Finding[];
  /** Nodes with the VIP bound; null when a node could not be checked. */
  holders: NodeId[] | null;
  /** Nodes whose keepalived is MASTER; null when a node could not be checked. */
  masters: NodeId[] | null;
  /** Every MAC seen answering ARP for the VIP, by anyone. */
  arpMacs: string[];
  /** A duplicate ARP answer was seen (by role). */
  arpDuplicate: boolean;
  memory: NodeMemory;
}

const isMaster = (r: NodeReport) =>
  r.keepalived.running && r.keepalived.instances.some((i) => i.state === "MASTER");
const isFault = (r: NodeReport) => r.keepalived.instances.some((i) => i.state === "FAULT");

export function assessNodes(view: NodesView, previous: NodeMemory = EMPTY_NODE_MEMORY): NodesAssessment {
  const findings: Finding[] = [];
  const reports: Partial<Record<NodeId, NodeReport>> = {};
  for (const id of NODE_IDS) {
    const r = view[id];
    if (r.ok) {
      reports[id] = r.report;
      if (r.report.errors.length > 0) {
        findings.push(
          makeFinding(
            "NODE_CHECK_WARNING",
            `Node ${up(id)}'s check could not see everything: ${r.report.errors.join("; ")}.`,
            { errors: r.report.errors },
            id,
          ),
        );
      }
    } else {
      findings.push(
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
      findings.push(
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
  const a = reports.a;
  const b = reports.b;
  const both = a && b ? { a, b } : null;

  // ---- VIP binding
  const holders = both ? NODE_IDS.filter((id) => both[id].vip.bound) : null;
  const knownHolders = NODE_IDS.filter((id) => reports[id]?.vip.bound);
  if (knownHolders.length === 2) {
    findings.push(
      makeFinding(
        "SPLIT_BRAIN_VIP_ON_BOTH",
        `SPLIT BRAIN: the VIP ${a?.vip.address} is bound on both nodes.`,
        {
          a: { interface: a?.vip.interface, mac: a?.vip.mac },
          b: { interface: b?.vip.interface, mac: b?.vip.mac },
        },
        "pair",
      ),
    );
  }

  // ---- ARP answers, read by the reporter's role
  const nodeMacs = new Set(NODE_IDS.map((id) => reports[id]?.vip.mac).filter((m): m is string => Boolean(m)));
  const arpMacs = new Set<string>();
  const duplicates: { seenBy: string; role: string; macs: string[] }[] = [];
  const readArp = (seenBy: string, r: NodeReport, role: "holder" | "non-holder" | "witness") => {
    const replies = [...new Set(r.arp.replies)];
    for (const m of replies) arpMacs.add(m);
    const others = replies.filter((m) => m !== r.vip.mac);
    if (role === "holder" ? others.length >= 1 : replies.length >= 2) {
      duplicates.push({ seenBy, role, macs: replies });
    }
  };
  for (const id of NODE_IDS) {
    const r = reports[id];
    if (r) readArp(`node ${up(id)}`, r, r.vip.bound ? "holder" : "non-holder");
  }
  for (const w of view.witnesses ?? [])
    if (w.result.ok)
      readArp(`witness ${w.name}`, w.result.report, w.result.report.vip.bound ? "holder" : "witness");
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
  if (both) {
    const foreign = [...arpMacs].filter((m) => !nodeMacs.has(m));
    if (foreign.length > 0) {
      findings.push(
        makeFinding(
          "ARP_FOREIGN_MAC",
          `A MAC that belongs to neither node answers for the VIP: ${foreign.join(", ")}.`,
          {
            foreign,
            nodeMacs: [...nodeMacs],
          },
          "pair",
        ),
      );
    }
    if (holders?.length === 0) {
      findings.push(
        makeFinding(
          "VIP_NOT_BOUND",
          `The VIP ${both.a.vip.address} is bound on neither node${arpMacs.size ? ` (yet ${[...arpMacs].join(", ")} answers ARP for it)` : " and nobody answers ARP for it"}.`,
          {
            arpMacs: [...arpMacs],
          },
          "pair",
        ),
      );
    }
  }

  // ---- keepalived
  const masters = both ? NODE_IDS.filter((id) => isMaster(both[id])) : null;
  for (const id of NODE_IDS) {
    const r = reports[id];
    if (!r) continue;
    const k = r.keepalived;
    const state = k.instances.map((i) => i.state).join(",") || "unknown";
    if (!k.running) {
      findings.push(makeFinding("KEEPALIVED_DOWN", `keepalived is not running on node ${up(id)}.`, {}, id));
    } else if (isFault(r)) {
      findings.push(
        makeFinding(
          "KEEPALIVED_FAULT",
          `keepalived is in FAULT on node ${up(id)}.`,
          { instances: k.instances },
          id,
        ),
      );
    }
    if (k.running && isMaster(r) && !r.vip.bound) {
      findings.push(
        makeFinding(
          "VIP_STATE_MISMATCH",
          `keepalived on node ${up(id)} is MASTER but the VIP is not bound there.`,
          { state },
          id,
        ),
      );
    }
    if (r.vip.bound && (!k.running || !isMaster(r))) {
      findings.push(
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
    if (!r.mysqld.listening) {
      findings.push(
        makeFinding(
          "MYSQLD_NOT_LISTENING",
          `Nothing listens on port ${r.mysqld.port} on node ${up(id)}.`,
          { port: r.mysqld.port },
          id,
        ),
      );
    }
    // transitions since the previous probe
    const since = previous.lastEpoch[id];
    if (since !== null && k.transitionsSource !== "none") {
      const recent = k.transitions.filter((t) => t.at > since);
      if (recent.length > 0) {
        const states = recent.map((t) => t.state);
        const masterEntries = states.filter((s) => s === "MASTER").length;
        const leftMaster = states.some((s, i) => i > 0 && states[i - 1] === "MASTER" && s !== "MASTER");
        const flapped = masterEntries >= 2 || (masterEntries >= 1 && leftMaster);
        findings.push(
          makeFinding(
            flapped ? "KEEPALIVED_FLAPPED" : "KEEPALIVED_TRANSITION",
            `keepalived on node ${up(id)} ${flapped ? "flapped" : "changed state"} since the previous probe: ${states.join(" → ")}.`,
            { transitions: recent, source: k.transitionsSource },
            id,
          ),
        );
      }
    }
  }
  if (masters && masters.length === 2) {
    findings.push(
      makeFinding(
        "KEEPALIVED_MULTIPLE_MASTERS",
        "SPLIT BRAIN: keepalived is MASTER on both nodes.",
        {},
        "pair",
      ),
    );
  }
  if (both && masters?.length === 0 && both.a.keepalived.running && both.b.keepalived.running) {
    findings.push(
      makeFinding(
        "KEEPALIVED_NO_MASTER",
        "keepalived runs on both nodes but neither is MASTER.",
        {
          a: both.a.keepalived.instances,
          b: both.b.keepalived.instances,
        },
        "pair",
      ),
    );
  }
  // failover candidate: the node that does not hold the VIP must be able to take it
  if (both && holders?.length === 1) {
    const standby: NodeId = holders[0] === "a" ? "b" : "a";
    const s = both[standby];
    const why = !s.keepalived.running
      ? "keepalived is not running"
      : isFault(s)
        ? "keepalived is in FAULT"
        : !s.mysqld.listening
          ? "mysqld is not listening"
          : null;
    if (why) {
      findings.push(
        makeFinding(
          "NO_FAILOVER_CANDIDATE",
          `No failover candidate: on node ${up(standby)}, which does not hold the VIP, ${why}.`,
          { standby, why },
          standby,
        ),
      );
    }
  }

  return {
    findings,
    holders,
    masters,
    arpMacs: [...arpMacs].sort(),
    arpDuplicate: duplicates.length > 0,
    memory: {
      lastEpoch: {
        a: a ? a.epoch : previous.lastEpoch.a,
        b: b ? b.epoch : previous.lastEpoch.b,
      },
    },
  };
}

function up(id: NodeId): string {
  return id.toUpperCase();
}
