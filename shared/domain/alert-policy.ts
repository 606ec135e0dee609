/**
 * Noise control and the alert decision, pure. A probe's verdict becomes the declared status at once
 * for SPLIT_BRAIN, DOWN (unless a failover is under way) and a failover (the VIP moved); any other
 * change must be seen by N
 * consecutive probes. Mail on every declared change, exactly one "resolved" when it clears, and
 * reminders while it lasts (split brain every M minutes, other problems every H hours).
 */
import type { Alert } from "./alert.ts";
import { type Incident, latchIncidents } from "./incidents.ts";
import { type MailContext, renderMail } from "./mail.ts";
import { silenceActive } from "./silence.ts";
import type { Assessment, ClusterEvent, ClusterState, Status } from "./state.ts";
import { NODE_IDS, type NodeId } from "./types.ts";

export interface AlertPolicy {
  /** Consecutive agreeing probes before DEGRADED/UNKNOWN/HEALTHY is declared or cleared. @default 2 */
  confirmations: number;
  /** Re-notify an ongoing split brain every this many minutes. @default 15 */
  splitBrainRepeatMinutes: number;
  /** Re-notify other non-healthy states every this many hours. @default 4 */
  repeatHours: number;
  /**
   * How long DOWN may last while the other node can take the VIP over before it is declared: the time
   * keepalived needs to fail over (track script fall x interval + 3 adverts + skew). @default 10
   */
  failoverGraceSeconds: number;
  /** An unacknowledged incident closes by itself after this many hours. @default 24 */
  incidentExpiryHours: number;
}

export const DEFAULT_ALERT_POLICY: AlertPolicy = {
  confirmations: 2,
  splitBrainRepeatMinutes: 15,
  repeatHours: 4,
  failoverGraceSeconds: 10,
  incidentExpiryHours: 24,
};

export type { Alert } from "./alert.ts";

export interface Decision {
  state: ClusterState;
  alert: Alert | null;
  /** The declared status changed (a history item is written). */
  transition: { from: Status | null; to: Status } | null;
  /** Incidents this probe opened (each is mailed now and written to the history). */
  opened: Incident[];
  /** A mail was due but a silence held it back. */
  silenced: boolean;
}

const IMMEDIATE: ReadonlySet<Status> = new Set(["SPLIT_BRAIN", "DOWN"]);

/** The writes of each node since a split brain began: kept while it lasts and in the state that ends it. */
/** Each event once (a move can be both carried by a pending change and held for its mail). */
function distinctEvents(events: readonly ClusterEvent[]): ClusterEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const k = JSON.stringify([e.type, e.at, e.from ?? null, e.to ?? null, e.message]);
    return !seen.has(k) && Boolean(seen.add(k));
  });
}

/**
 * One mail for a failover and what goes with it. A VIP move seen at a probe with nothing else to mail is
 * held one probe: an ordinary failover's status change often shows one probe later, and both go in that
 * mail. Incidents opened while no node held the VIP (keepalived restarted on the holder) are held one probe
 * too: the move they cause shows next, in the same mail. Whatever is held is mailed at the next probe, with
 * its mail or alone (kind "incident", the subject naming the failover). Never held twice.
 */
function holdMail(
  previous: ClusterState | null,
  a: Assessment,
  kind: Alert["kind"] | null,
  opened: readonly Incident[],
  incidents: readonly Incident[],
): {
  kind: Alert["kind"] | null;
  carried: ClusterEvent[];
  mailed: Incident[];
  held: { events: ClusterEvent[]; incidentIds: string[] } | null;
} {
  const before = previous?.held;
  const moved = a.events.filter((e) => e.type === "VIP_MOVED");
  if (before) {
    // the held mail goes now: with this probe's mail, or alone
    const heldIncidents = incidents.filter((i) => before.incidentIds.includes(i.id));
    return {
      kind: kind ?? "incident",
      carried: before.events,
      mailed: [...heldIncidents, ...opened.filter((i) => !before.incidentIds.includes(i.id))],
      held: null,
    };
  }
  if (kind === null && moved.length > 0)
    return { kind: null, carried: [], mailed: [], held: { events: moved, incidentIds: [] } };
  if (kind === "incident" && a.vipOwner === null && moved.length === 0)
    return {
      kind: null,
      carried: [],
      mailed: [],
      held: { events: [], incidentIds: opened.map((i) => i.id) },
    };
  return { kind, carried: [], mailed: [...opened], held: null };
}

function splitBrainRecord(
  previous: ClusterState | null,
  next: Status,
  declared: Status | null,
  statusSince: string,
  a: Assessment,
): Pick<ClusterState, "splitBrain"> {
  const before = previous?.status === "SPLIT_BRAIN" ? previous.splitBrain : undefined;
  if (next !== "SPLIT_BRAIN") return declared === "SPLIT_BRAIN" && before ? { splitBrain: before } : {};
  const join = (x: string | null | undefined, y: string | null | undefined) =>
    [x, y].filter((v): v is string => Boolean(v)).join(",") || null;
  const union = (x: readonly NodeId[] | null | undefined, y: readonly NodeId[] | null | undefined) =>
    NODE_IDS.filter((id) => x?.includes(id) || y?.includes(id));
  const heartbeatOnly = union(before?.heartbeatOnly, a.heartbeatOnly);
  const arpSeen = union(before?.arpSeen, a.arpAnswer);
  return {
    splitBrain: {
      since: before?.since ?? statusSince,
      writes: { a: join(before?.writes.a, a.writes?.a), b: join(before?.writes.b, a.writes?.b) },
      ...(heartbeatOnly.length ? { heartbeatOnly } : {}),
      ...(arpSeen.length ? { arpSeen } : {}),
    },
  };
}

/** The status declared after this probe: at once, after its confirmations, or after the failover grace. */
function confirmStatus(
  previous: ClusterState | null,
  a: Assessment,
  now: Date,
  policy: AlertPolicy,
  allEvents: ClusterEvent[],
): { next: Status; pending: ClusterState["pending"] } {
  const declared = previous?.status ?? null;
  const failover = allEvents.some((e) => e.type === "VIP_MOVED");
  if (declared === null || a.status === declared) return { next: a.status, pending: null };
  if ((IMMEDIATE.has(a.status) || failover) && !a.awaitingFailover) return { next: a.status, pending: null };
  const at = now.toISOString();
  const count = previous?.pending?.status === a.status ? previous.pending.count + 1 : 1;
  const since = previous?.pending?.status === a.status ? previous.pending.since : at;
  // DOWN while keepalived should be moving the VIP: give it the grace period, not a probe count.
  const confirmed = a.awaitingFailover
    ? now.getTime() - Date.parse(since) >= policy.failoverGraceSeconds * 1000
    : count >= policy.confirmations;
  return confirmed
    ? { next: a.status, pending: null }
    : { next: declared, pending: { status: a.status, count, since, events: allEvents } };
}

/** The events of a declared change of status. */
function statusEvents(declared: Status, next: Status, at: string): ClusterEvent[] {
  const out: ClusterEvent[] = [
    { type: "STATUS_CHANGED", at, from: declared, to: next, message: `Status ${declared} -> ${next}.` },
  ];
  if (next === "SPLIT_BRAIN") out.push({ type: "SPLIT_BRAIN_STARTED", at, message: "Split brain detected." });
  if (declared === "SPLIT_BRAIN") out.push({ type: "SPLIT_BRAIN_ENDED", at, message: "Split brain ended." });
  return out;
}

/** The status mail this probe owes: a transition, a resolution, a reminder, or none. */
function statusMailKind(
  previous: ClusterState | null,
  next: Status,
  changed: boolean,
  now: Date,
  policy: AlertPolicy,
): Alert["kind"] | null {
  if (changed) {
    // The very first probe mails only when something is wrong.
    if (previous?.status != null) return next === "HEALTHY" ? "resolved" : "transition";
    return next !== "HEALTHY" ? "transition" : null;
  }
  if (next === "HEALTHY" || !previous) return null;
  const last = previous.lastAlertAt ? Date.parse(previous.lastAlertAt) : Number.NEGATIVE_INFINITY;
  const every =
    next === "SPLIT_BRAIN" ? policy.splitBrainRepeatMinutes * 60_000 : policy.repeatHours * 3_600_000;
  return now.getTime() - last >= every ? "reminder" : null;
}

export function decide(
  cluster: string,
  previous: ClusterState | null,
  a: Assessment,
  now: Date,
  policy: AlertPolicy = DEFAULT_ALERT_POLICY,
  context: MailContext = {},
): Decision {
  const at = now.toISOString();
  const declared = previous?.status ?? null;
  // Events seen while a change waited for confirmation are carried until it is declared (or dropped).
  // ... and a VIP move held one probe for its mail (holdMail) counts as a failover now
  const carried = [...(previous?.pending?.events ?? []), ...(previous?.held?.events ?? [])];
  const allEvents = distinctEvents([...carried, ...a.events]);
  const { next, pending } = confirmStatus(previous, a, now, policy, allEvents);
  const changed = next !== declared;
  const events: ClusterEvent[] = changed || pending ? allEvents : [...a.events];
  if (changed && declared !== null) events.push(...statusEvents(declared, next, at));
  // First detection: the first of the consecutive probes that saw the new status.
  const firstSeen = previous?.pending?.status === next ? previous.pending.since : at;
  const statusSince = changed ? firstSeen : (previous?.statusSince ?? at);

  let kind = statusMailKind(previous, next, changed, now, policy);
  // Events latch as incidents: mailed at once, with the status mail when there is one, else alone.
  const latched = latchIncidents(previous?.incidents ?? [], a.findings, now, {
    incidentExpiryHours: policy.incidentExpiryHours ?? DEFAULT_ALERT_POLICY.incidentExpiryHours,
  });
  if (kind === null && latched.opened.length > 0) kind = "incident";
  // A VIP move is always mailed, in the same mail as what caused it or followed from it (holdMail).
  const hold = holdMail(previous, a, kind, latched.opened, latched.incidents);
  kind = hold.kind;
  const mailEvents = hold.carried.length ? distinctEvents([...hold.carried, ...events]) : events;
  // A silence: keep probing and recording, mail only a split brain (unless told otherwise). When it
  // ends on a cluster that is not healthy, one mail says what it is now.
  const silence = silenceActive(previous?.silence, now) ? previous?.silence : undefined;
  const silenceEnded = Boolean(previous?.silence) && !silence;
  if (kind === null && silenceEnded && next !== "HEALTHY") kind = "reminder";
  const suppressed =
    Boolean(silence) && kind !== null && !(next === "SPLIT_BRAIN" && silence?.mailSplitBrain);
  const statusMail = kind !== null && kind !== "incident" && !suppressed;

  const state: ClusterState = {
    cluster,
    observedAt: at,
    status: next,
    probeStatus: a.status,
    statusSince,
    reasons: a.reasons,
    vipOwner: a.vipOwner,
    nodes: a.nodes,
    findings: a.findings,
    events: mailEvents,
    pending: changed ? null : pending,
    lastAlertAt: statusMail ? at : changed ? null : (previous?.lastAlertAt ?? null),
    incidents: latched.incidents,
    ...(hold.held ? { held: { ...hold.held, since: previous?.held?.since ?? at } } : {}),
    ...(silence ? { silence } : {}),
    ...splitBrainRecord(previous, next, declared, statusSince, a),
    ...(a.ec2 ? { ec2: a.ec2 } : {}),
    memory: a.memory,
  };
  const alert: Alert | null =
    kind && !suppressed
      ? {
          id: `${cluster}:${at}:${kind}`,
          cluster,
          kind,
          from: declared,
          to: next,
          createdAt: at,
          ...renderMail(state, kind, declared, hold.mailed, context),
        }
      : null;
  return {
    state,
    alert,
    transition: changed ? { from: declared, to: next } : null,
    opened: latched.opened,
    silenced: suppressed,
  };
}
