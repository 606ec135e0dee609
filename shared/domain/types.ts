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
