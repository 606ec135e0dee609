/**
 * Incidents: events that latch. Some things are events, not states (a write on the standby, a restart,
 * a flap): they are over before the next probe, so a status that waits for confirmation would never
 * show them. A finding with a `key` opens an incident at once (mailed once, no confirmation count);
 * it stays in the state until an operator acknowledges it or it expires. While it is open, later
 * events of the same code on the same node update it instead of opening (and mailing) another. An
 * acknowledged incident is kept (silently) while the same event is still reported, so it does not open
 * again.
 */
import type { Finding, FindingCode } from "./codes.ts";
import type { EndpointName, Severity } from "./types.ts";

/** The codes that are events (their findings carry a key): each opens an incident. */
export const INCIDENT_CODES: readonly FindingCode[] = [
  "ERRANT_WRITES_ON_STANDBY",
  "WRITES_ON_PREVIOUS_HOLDER",
  "MYSQL_RESTARTED",
  "KEEPALIVED_RESTARTED",
  "KEEPALIVED_FLAPPED",
  "REPLICATION_RESTARTED",
  "DATA_DIVERGENCE",
];

export interface Incident {
  /** Short and stable (the code, the subject and a hash of the event's key): what `ack` takes. */
  id: string;
  code: FindingCode;
  severity: Severity;
  subject?: EndpointName | "pair";
  message: string;
  evidence: Record<string, unknown>;
  key: string;
  openedAt: string;
  lastSeenAt: string;
  /** Probes that reported it. */
  seen: number;
  expiresAt: string;
  acknowledged?: { at: string; by: string };
}

export interface IncidentPolicy {
  /** An unacknowledged incident closes by itself after this many hours. @default 24 */
  incidentExpiryHours: number;
}

/** FNV-1a, 32 bits, as 8 hex digits: a short, stable id. */
export function hash8(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

export function incidentId(f: Pick<Finding, "code" | "subject" | "key">): string {
  return `${f.code.toLowerCase().replace(/_/g, "-")}-${f.subject ?? "pair"}-${hash8(f.key ?? "")}`;
}

export interface Latched {
  /** Incidents kept in the state: open ones, and acknowledged ones still being reported. */
  incidents: Incident[];
  /** Opened by this probe: mailed now. */
  opened: Incident[];
}

export function latchIncidents(
  previous: readonly Incident[],
  findings: readonly Finding[],
  now: Date,
  policy: IncidentPolicy,
): Latched {
  const at = now.toISOString();
  const live = previous.filter((i) => Date.parse(i.expiresAt) > now.getTime());
  const byId = new Map(live.map((i) => [i.id, i]));
  const seen = new Set<string>();
  const opened: Incident[] = [];
  for (const f of findings) {
    if (f.key === undefined) continue;
    const id = incidentId(f);
    if (seen.has(id)) continue;
    seen.add(id);
    const known = byId.get(id);
    if (known) {
      byId.set(id, { ...known, lastSeenAt: at, seen: known.seen + 1 });
      continue;
    }
    // Still open for the same code on the same node: the same episode goes on (an application writing
    // to the standby all the time, a keepalived flapping again). It is updated, not mailed again: one
    // mail per episode, until an operator acknowledges it.
    const ongoing = [...byId.values()].find(
      (i) => !i.acknowledged && i.code === f.code && i.subject === f.subject && !opened.includes(i),
    );
    if (ongoing) {
      byId.set(ongoing.id, {
        ...ongoing,
        message: f.message,
        evidence: f.evidence,
        key: f.key,
        lastSeenAt: at,
        seen: ongoing.seen + 1,
      });
      seen.add(ongoing.id);
      continue;
    }
    const incident: Incident = {
      id,
      code: f.code,
      severity: f.severity,
      ...(f.subject ? { subject: f.subject } : {}),
      message: f.message,
      evidence: f.evidence,
      key: f.key,
      openedAt: at,
      lastSeenAt: at,
      seen: 1,
      expiresAt: new Date(now.getTime() + policy.incidentExpiryHours * 3_600_000).toISOString(),
    };
    byId.set(id, incident);
    opened.push(incident);
  }
  // An acknowledged incident no longer reported is done; an open one stays until acknowledged.
  const incidents = [...byId.values()].filter((i) => !i.acknowledged || seen.has(i.id));
  return { incidents, opened };
}

export const openIncidents = (incidents: readonly Incident[] | undefined): Incident[] =>
  (incidents ?? []).filter((i) => !i.acknowledged);

/** Acknowledges incidents by id (or all open ones). Unknown ids are returned, not ignored. */
export function acknowledge(
  incidents: readonly Incident[],
  ids: readonly string[] | "all",
  by: string,
  now: Date,
): { incidents: Incident[]; acknowledged: Incident[]; unknown: string[] } {
  const want = ids === "all" ? null : new Set(ids);
  const acknowledged: Incident[] = [];
  const next = incidents.map((i) => {
    if (i.acknowledged || (want && !want.has(i.id))) return i;
    const done = { ...i, acknowledged: { at: now.toISOString(), by } };
    acknowledged.push(done);
    return done;
  });
  const unknown = want ? [...want].filter((id) => !incidents.some((i) => i.id === id)) : [];
  return { incidents: next, acknowledged, unknown };
}
