/**
 * The one schedule loop: probe rounds evenly spaced on a fixed grid (start + i x interval), each with
 * its own deadline, until a window closes, a count is reached or the caller aborts. The function's
 * sub-minute mode, `watch`, the demo and the bench all run this.
 */
import type { Deadline } from "./domain/types.ts";

export interface ScheduleOptions {
  /** Time between two round starts; 0: a single round. */
  readonly intervalMs: number;
  /**
   * The longest a round may take (its deadline is its start plus this, or `hardEndAt` when sooner).
   * @default max(intervalMs, 8000); with interval 0, up to `hardEndAt`
   */
  readonly roundBudgetMs?: number;
  /** No round starts at or after this time (epoch ms): the next invocation takes over from there. */
  readonly windowEndAt?: number;
  /** No round's deadline passes this time (epoch ms): the end of the invocation. */
  readonly hardEndAt?: number;
  /** Stop after this many rounds. */
  readonly count?: number;
  /** Stop (between rounds; a sleeping loop wakes at once). */
  readonly signal?: AbortSignal;
  /** The first round's start. @default now */
  readonly startAt?: number;
  /** For tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Runs `round` on the grid; returns how many rounds ran. A round that throws ends the loop (rethrown). */
export async function runSchedule(
  o: ScheduleOptions,
  round: (index: number, deadline: Deadline) => Promise<void>,
): Promise<number> {
  const now = o.now ?? Date.now;
  const pause = o.sleep ?? sleepUnlessAborted;
  const start = o.startAt ?? now();
  const budget =
    o.roundBudgetMs ?? (o.intervalMs > 0 ? Math.max(o.intervalMs, 8000) : Number.POSITIVE_INFINITY);
  let ran = 0;
  for (let slot = 0; ; ) {
    if (o.signal?.aborted) break;
    if (o.count !== undefined && ran >= o.count) break;
    const slotAt = start + slot * o.intervalMs;
    if (o.windowEndAt !== undefined && slotAt >= o.windowEndAt && ran > 0) break;
    const deadlineAt = Math.min(slotAt + budget, o.hardEndAt ?? Number.POSITIVE_INFINITY);
    // a round that could not finish in time is not started
    if (o.hardEndAt !== undefined && ran > 0 && deadlineAt - Math.max(slotAt, now()) < Math.min(budget, 1000))
      break;
    const wait = slotAt - now();
    if (wait > 0) {
      await pause(wait, o.signal);
      if (o.signal?.aborted) break;
    }
    await round(ran, { at: deadlineAt });
    ran++;
    if (o.intervalMs <= 0) break;
    // the next slot on the grid that has not passed (an overrun skips slots rather than bunching up)
    slot = Math.max(slot + 1, Math.ceil((now() - start) / o.intervalMs));
  }
  return ran;
}

/** Sleeps, waking early when the signal aborts; the abort listener is removed either way. */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
