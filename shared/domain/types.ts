import type { FindingCode } from "./codes.ts";
/** The domain's vocabulary: what the probes observe and what the assessment concludes. */

export type NodeId = "a" | "b";
export const NODE_IDS: readonly NodeId[] = ["a", "b"];
/** A SQL endpoint: the VIP or one node's real IP. */
export type EndpointName = "vip" | NodeId;

export type Severity = "info" | "warning" | "critical";

/** A point in time (epoch ms) by which work must be done. */
export interface Deadline {
  readonly at: number;
}

export function deadlineIn(ms: number, now = Date.now()): Deadline {
  return { at: now + ms };
}

export function remainingMs(d: Deadline, now = Date.now()): number {
  return Math.max(0, d.at - now);
}

export interface Finding {
  /** Stable code from the catalog (shared/domain/codes.ts): operators filter mail and alarms on it. */
  code: FindingCode;
  severity: Severity;
  /** Which node or endpoint it is about, when it is about one. */
  subject?: EndpointName | "pair";
  message: string;
  evidence: Record<string, unknown>;
  /**
   * For findings about an event (see INCIDENT_CODES): what tells this event from another of the same
   * code on the same subject (the GTIDs, the start time), so an incident opens once per event.
   */
  key?: string;
}
