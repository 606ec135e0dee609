/**
 * Noise control over a long scripted timeline with a non-default policy (3 confirmations, split-brain
 * reminders every 5 minutes, others every hour, a 30 s failover grace, incidents expiring after 2 hours),
 * a silence in the middle: every decision (declared status, pending count, first detection, mail kind,
 * events, incidents opened) against a reviewed golden file, alert-timeline.golden.json.
 * Re-record after a reviewed change: `npx vitest run --project unit -u test/unit/domain/alert-timeline.test.ts`.
 */
import { describe, expect, it } from "vitest";
import { type AlertPolicy, decide } from "../../../shared/domain/alert-policy.ts";
import { assess } from "../../../shared/domain/assess.ts";
import type { Finding } from "../../../shared/domain/codes.ts";
import { makeFinding } from "../../../shared/domain/codes.ts";
import type { Silence } from "../../../shared/domain/silence.ts";
import type { Assessment, ClusterEvent, ClusterState, Status } from "../../../shared/domain/state.ts";
import { input, nodesView, sqlView } from "../../helpers/cluster.ts";

const POLICY: AlertPolicy = {
  confirmations: 3,
  splitBrainRepeatMinutes: 5,
  repeatHours: 1,
  failoverGraceSeconds: 30,
  incidentExpiryHours: 2,
};
const T0 = Date.parse("2026-11-24T03:00:00Z");
const base = assess(input(sqlView("a"), nodesView("a")));

interface Step {
  t: number;
  status: Status;
  awaitingFailover?: boolean;
  events?: ClusterEvent["type"][];
  writes?: Assessment["writes"];
  findings?: Finding[];
  /** set (or clear, with null) a silence on the stored state before this probe */
  silence?: Silence | null;
}

const restart = (key: string) => ({
  ...makeFinding("MYSQL_RESTARTED", `mysqld on node B restarted (${key}).`, {}, "b"),
  key,
});
const silence = (untilT: number, mailSplitBrain: boolean): Silence => ({
  since: new Date(T0).toISOString(),
  until: new Date(T0 + untilT * 1000).toISOString(),
  reason: "planned work",
  by: "ops",
  mailSplitBrain,
});

const STEPS: Step[] = [
  { t: 0, status: "HEALTHY" },
  { t: 60, status: "DEGRADED" },
  { t: 120, status: "DEGRADED" },
  { t: 180, status: "HEALTHY" },
  { t: 240, status: "DEGRADED" },
  { t: 300, status: "DEGRADED" },
  { t: 360, status: "DEGRADED" },
  { t: 420, status: "DEGRADED", findings: [restart("k1")] },
  { t: 480, status: "DEGRADED", findings: [restart("k1")] },
  { t: 3900, status: "DEGRADED" },
  { t: 3960, status: "DEGRADED" },
  { t: 4020, status: "SPLIT_BRAIN", writes: { a: null, b: "2-2-5" } },
  { t: 4260, status: "SPLIT_BRAIN", writes: { a: "1-1-9", b: null } },
  { t: 4320, status: "SPLIT_BRAIN" },
  { t: 4380, status: "DOWN", awaitingFailover: true },
  { t: 4400, status: "DOWN", awaitingFailover: true },
  { t: 4410, status: "DOWN", awaitingFailover: true },
  { t: 4470, status: "HEALTHY", events: ["VIP_MOVED"] },
  { t: 4530, status: "UNKNOWN", events: ["KEEPALIVED_FLAPPED"] },
  { t: 4590, status: "UNKNOWN" },
  { t: 4650, status: "HEALTHY" },
  { t: 4710, status: "DEGRADED", silence: silence(8000, false) },
  { t: 4770, status: "DEGRADED" },
  { t: 4830, status: "DEGRADED" },
  { t: 4890, status: "SPLIT_BRAIN" },
  { t: 4950, status: "SPLIT_BRAIN", silence: silence(8000, true) },
  { t: 5250, status: "SPLIT_BRAIN" },
  { t: 5310, status: "DEGRADED", findings: [restart("k2")] },
  { t: 8000, status: "DEGRADED" },
  { t: 8060, status: "DEGRADED", findings: [restart("k1")] },
  { t: 8120, status: "HEALTHY", events: ["VIP_MOVED"] },
  { t: 11000, status: "HEALTHY", findings: [restart("k1")] },
];

function assessmentOf(s: Step, at: string): Assessment {
  return {
    ...base,
    status: s.status,
    awaitingFailover: s.awaitingFailover ?? false,
    writes: s.writes ?? { a: null, b: null },
    findings: [...base.findings, ...(s.findings ?? [])],
    events: (s.events ?? []).map((type) => ({ type, at, message: `${type} at ${at}.` })),
  };
}

describe("noise control over a long timeline, golden", () => {
  it("every decision", async () => {
    let state: ClusterState | null = null;
    const out: unknown[] = [];
    for (const s of STEPS) {
      const now = new Date(T0 + s.t * 1000);
      if (state && s.silence !== undefined) {
        const { silence: _drop, ...rest } = state;
        state = s.silence ? { ...rest, silence: s.silence } : rest;
      }
      const d = decide("prod", state, assessmentOf(s, now.toISOString()), now, POLICY, {
        vip: "192.0.2.100",
      });
      out.push({
        t: s.t,
        probe: s.status,
        declared: d.state.status,
        statusSince: d.state.statusSince,
        pending: d.state.pending && {
          status: d.state.pending.status,
          count: d.state.pending.count,
          since: d.state.pending.since,
          events: d.state.pending.events.map((e) => e.type),
        },
        transition: d.transition,
        alert: d.alert && {
          id: d.alert.id,
          kind: d.alert.kind,
          from: d.alert.from,
          to: d.alert.to,
          subject: d.alert.subject,
        },
        silenced: d.silenced,
        lastAlertAt: d.state.lastAlertAt,
        events: d.state.events.map((e) => `${e.type}: ${e.message}`),
        opened: d.opened.map((i) => i.id),
        incidents: (d.state.incidents ?? []).map((i) => `${i.id} seen ${i.seen} until ${i.expiresAt}`),
        splitBrain: d.state.splitBrain ?? null,
        silence: d.state.silence?.until ?? null,
      });
      state = d.state;
    }
    await expect(`${JSON.stringify(out, null, 2)}\n`).toMatchFileSnapshot("./alert-timeline.golden.json");
  });
});
