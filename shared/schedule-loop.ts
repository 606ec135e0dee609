/**
 * The one schedule loop: probe rounds evenly spaced on a fixed grid (start + i x interval), each with
 * its own deadline, until a window closes, a count is reached or the caller aborts. The function's
 * sub-minute mode, `watch`, the demo and the bench all run this. A {@link Wake} adds pushed rounds
 * (keepalived said something changed): coalesced, never concurrent with another round, spaced by a
 * minimum gap, and never moving the grid.
 */
import type { Deadline } from "./domain/types.ts";

/**
 * The least time between two pushed probes. A failover notifies twice (FAULT on the old holder, then
 * MASTER on the new one 0.3-0.6 s later): measured with 1 s, the probe that sees the new holder came
 * 0.96-1.02 s after its MASTER; 800 ms keeps a flap to about one probe per 0.8 s.
 */
export const PUSH_MIN_GAP_MS = 800;

/** Push triggers for a loop: only hints ("probe now"), never a verdict. */
export class Wake {
  /** A trigger arrived that no pushed round has served yet. */
  pending = false;
  /** When the first trigger not yet served arrived (epoch ms). */
  pendingSince = 0;
  /** Triggers received in all. */
  received = 0;
  private waiter: (() => void) | null = null;

  nudge(): void {
    this.received++;
    if (!this.pending) this.pendingSince = Date.now();
    this.pending = true;
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Resolves at the next nudge (or at once when one is pending). */
  next(): { promise: Promise<void>; cancel: () => void } {
    let cancel = () => {};
    const promise = new Promise<void>((resolve) => {
      if (this.pending) return resolve();
      this.waiter = resolve;
      cancel = () => {
        if (this.waiter === resolve) this.waiter = null;
        resolve();
      };
    });
    return { promise, cancel };
  }
}

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
  /** Stop after this many rounds (pushed ones included). */
  readonly count?: number;
  /** Stop (between rounds; a sleeping loop wakes at once). */
  readonly signal?: AbortSignal;
  /** Push triggers: each burst gives one extra round. */
  readonly wake?: Wake;
  /**
   * How long a pushed round waits after the first trigger of a burst (keepalived sends several per
   * transition, and the VIP is bound a moment after the state changes).
   * @default 200
   */
  readonly pushDebounceMs?: number;
  /**
   * The least time between the starts of two pushed rounds: a flapping keepalived cannot cause a probe storm.
   * @default 800 (PUSH_MIN_GAP_MS)
   */
  readonly pushMinGapMs?: number;
  /** The first round's start. @default now */
  readonly startAt?: number;
  /** For tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RoundInfo {
  readonly index: number;
  /** Started by a push trigger rather than by the grid. */
  readonly pushed: boolean;
}

/** Runs `round` on the grid (and on pushes); returns how many rounds ran. A round that throws ends the loop. */
export async function runSchedule(
  o: ScheduleOptions,
  round: (index: number, deadline: Deadline, info: RoundInfo) => Promise<void>,
): Promise<number> {
  const now = o.now ?? Date.now;
  const pause = o.sleep ?? sleepUnlessAborted;
  const start = o.startAt ?? now();
  const budget =
    o.roundBudgetMs ?? (o.intervalMs > 0 ? Math.max(o.intervalMs, 8000) : Number.POSITIVE_INFINITY);
  const debounce = o.pushDebounceMs ?? 200;
  const minGap = o.pushMinGapMs ?? PUSH_MIN_GAP_MS;
  const hardEnd = o.hardEndAt ?? Number.POSITIVE_INFINITY;
  const tooLate = (deadlineAt: number, from: number) =>
    o.hardEndAt !== undefined && deadlineAt - from < Math.min(budget, 1000);
  let ran = 0;
  let lastPush = Number.NEGATIVE_INFINITY;
  for (let slot = 0; ; ) {
    if (o.signal?.aborted) break;
    if (o.count !== undefined && ran >= o.count) break;
    const slotAt = start + slot * o.intervalMs;
    const windowClosed = o.windowEndAt !== undefined && slotAt >= o.windowEndAt && ran > 0;
    const pushAt = o.wake?.pending ? Math.max(lastPush + minGap, now()) : Number.POSITIVE_INFINITY;
    if (windowClosed && pushAt === Number.POSITIVE_INFINITY) break;
    if (pushAt <= now() && (pushAt < slotAt || windowClosed)) {
      // ---- a pushed round: gather the burst (unless waiting for the gap already did), then probe
      const since = o.wake?.pendingSince ?? now();
      const gather = Math.max(0, Math.min(debounce, since + debounce - now()));
      if (gather > 0) await pause(gather, o.signal);
      if (o.signal?.aborted) break;
      if (o.wake) o.wake.pending = false;
      const deadlineAt = Math.min(now() + budget, hardEnd);
      if (tooLate(deadlineAt, now())) break;
      lastPush = now();
      await round(ran, { at: deadlineAt }, { index: ran, pushed: true });
      ran++;
      continue;
    }
    if (windowClosed) break;
    const until = Math.min(slotAt, pushAt);
    if (until > now()) {
      // ---- sleep until the slot, a due push, or a trigger
      // one signal for the caller's abort and a trigger, so the sleep's timer is always cleared
      const stop = new AbortController();
      const onAbort = () => stop.abort();
      o.signal?.addEventListener("abort", onAbort, { once: true });
      const woken = o.wake?.next();
      void woken?.promise.then(() => stop.abort());
      await pause(until - now(), stop.signal);
      woken?.cancel();
      o.signal?.removeEventListener("abort", onAbort);
      continue;
    }
    // ---- the slot's round
    const deadlineAt = Math.min(slotAt + budget, hardEnd);
    if (ran > 0 && tooLate(deadlineAt, Math.max(slotAt, now()))) break;
    await round(ran, { at: deadlineAt }, { index: ran, pushed: false });
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
