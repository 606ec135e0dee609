/** The one schedule loop: rounds on a fixed grid, deadlines, the window, the abort, no listener leak. */
import { describe, expect, it } from "vitest";
import { runSchedule, sleepUnlessAborted, Wake } from "../../shared/schedule-loop.ts";

/** A virtual clock: sleeping advances it, rounds take the time they are given. */
function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    spend: (ms: number) => {
      now += ms;
    },
  };
}

describe("runSchedule", () => {
  it("sub-minute mode covers the whole window: a 10 s interval in a 60 s window gives 6 rounds at 0, 10 ... 50 s", async () => {
    // Prepare
    const c = clock();
    const starts: number[] = [];
    const deadlines: number[] = [];
    // Act
    const n = await runSchedule(
      {
        intervalMs: 10_000,
        startAt: c.now(),
        windowEndAt: c.now() + 60_000,
        hardEndAt: c.now() + 72_000,
        now: c.now,
        sleep: c.sleep,
      },
      async (_i, d) => {
        starts.push(c.now() - 1_000_000);
        deadlines.push(d.at - 1_000_000);
        c.spend(700);
      },
    );
    // Assess
    expect(n).toBe(6);
    expect(starts).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000]);
    // each round may take max(interval, 8 s), never past the end of the invocation
    expect(deadlines).toEqual([10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
  });

  it("never gives a round a deadline past the end of the invocation, and starts none that could not finish", async () => {
    const c = clock();
    const deadlines: number[] = [];
    const n = await runSchedule(
      {
        intervalMs: 10_000,
        startAt: c.now(),
        windowEndAt: c.now() + 60_000,
        hardEndAt: c.now() + 35_500,
        now: c.now,
        sleep: c.sleep,
      },
      async (_i, d) => {
        deadlines.push(d.at - 1_000_000);
        c.spend(500);
      },
    );
    expect(n).toBe(4);
    expect(deadlines).toEqual([10_000, 20_000, 30_000, 35_500]);
  });

  it("a round that overruns its slot skips the slots it missed instead of bunching up", async () => {
    const c = clock();
    const starts: number[] = [];
    await runSchedule(
      { intervalMs: 1000, count: 4, startAt: c.now(), now: c.now, sleep: c.sleep },
      async (i) => {
        starts.push(c.now() - 1_000_000);
        if (i === 0) c.spend(2500);
      },
    );
    expect(starts).toEqual([0, 3000, 4000, 5000]);
  });

  it("interval 0 runs one round with the invocation's deadline", async () => {
    const c = clock();
    const deadlines: number[] = [];
    const n = await runSchedule(
      { intervalMs: 0, hardEndAt: c.now() + 47_000, now: c.now, sleep: c.sleep },
      async (_i, d) => {
        deadlines.push(d.at - c.now());
      },
    );
    expect(n).toBe(1);
    expect(deadlines).toEqual([47_000]);
  });

  it("stops at once when aborted, even while sleeping, and leaves no abort listener behind (watch ran 11+ rounds)", async () => {
    const controller = new AbortController();
    let listeners = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...a: Parameters<typeof add>) => {
      listeners++;
      add(...a);
    }) as typeof add;
    signal.removeEventListener = ((...a: Parameters<typeof remove>) => {
      listeners--;
      remove(...a);
    }) as typeof remove;
    let rounds = 0;
    const done = runSchedule({ intervalMs: 5, signal }, async () => {
      rounds++;
      if (rounds === 30) setTimeout(() => controller.abort(), 20);
    });
    await done;
    expect(rounds).toBeGreaterThanOrEqual(30);
    expect(rounds).toBeLessThan(40);
    expect(listeners).toBe(0);
  });

  it("sleepUnlessAborted resolves early on abort", async () => {
    const c = new AbortController();
    const t = Date.now();
    setTimeout(() => c.abort(), 10);
    await sleepUnlessAborted(5000, c.signal);
    expect(Date.now() - t).toBeLessThan(1000);
  });
});

describe("runSchedule with push triggers", () => {
  it("a trigger while sleeping starts a pushed round after the debounce, without moving the grid", async () => {
    // Prepare: a 60 s grid, a trigger 5 s in
    const wake = new Wake();
    const rounds: { at: number; pushed: boolean }[] = [];
    const t0 = Date.now();
    setTimeout(() => wake.nudge(), 300);
    // Act
    await runSchedule({ intervalMs: 60_000, count: 2, wake, pushDebounceMs: 50 }, async (_i, _d, info) => {
      rounds.push({ at: Date.now() - t0, pushed: info.pushed });
    });
    // Assess: the grid's first round at once, the pushed one about 350 ms in, long before the next slot
    expect(rounds.map((r) => r.pushed)).toEqual([false, true]);
    expect(rounds[1]?.at).toBeGreaterThanOrEqual(340);
    expect(rounds[1]?.at).toBeLessThan(2000);
  });

  it("a flapping keepalived (10 triggers in 1 s) gives at most one round per minimum gap, never two at once", async () => {
    const wake = new Wake();
    const ctl = new AbortController();
    let inFlight = 0;
    let maxInFlight = 0;
    const pushed: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) setTimeout(() => wake.nudge(), 50 + i * 100);
    setTimeout(() => ctl.abort(), 2500);
    await runSchedule(
      { intervalMs: 60_000, wake, signal: ctl.signal, pushDebounceMs: 50, pushMinGapMs: 500 },
      async (_i, _d, info) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (info.pushed) pushed.push(Date.now() - t0);
        await new Promise((r) => setTimeout(r, 150)); // a probe takes time; triggers keep coming
        inFlight--;
      },
    );
    expect(wake.received).toBe(10);
    expect(maxInFlight).toBe(1);
    // 10 triggers over ~1 s, rounds 500 ms apart at least: 2 to 4 pushed rounds (the last one trailing), not 10
    expect(pushed.length).toBeGreaterThanOrEqual(2);
    expect(pushed.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < pushed.length; i++)
      expect((pushed[i] ?? 0) - (pushed[i - 1] ?? 0)).toBeGreaterThanOrEqual(490);
  });

  it("ends promptly once aborted while waiting for a far slot (the sleep's timer is cleared)", async () => {
    const wake = new Wake();
    const ctl = new AbortController();
    setTimeout(() => wake.nudge(), 50);
    setTimeout(() => ctl.abort(), 400);
    const t0 = Date.now();
    const n = await runSchedule(
      { intervalMs: 60_000, wake, signal: ctl.signal, pushDebounceMs: 10 },
      async () => {},
    );
    expect(n).toBe(2);
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});
