/** One SDK call under a deadline: aborted and rejected at the deadline (or the cap), never later. */
import { describe, expect, it } from "vitest";
import { sendBy } from "../../../shared/adapters/sdk-deadline.ts";
import { deadlineIn } from "../../../shared/domain/types.ts";

/** A client that answers after `ms` (never, when null), recording the signal it was given. */
function client(ms: number | null, ignoresSignal = false) {
  const seen: { signal?: AbortSignal; command?: unknown } = {};
  return {
    seen,
    send(command: unknown, o: { abortSignal: AbortSignal }) {
      seen.signal = o.abortSignal;
      seen.command = command;
      return new Promise((resolve, reject) => {
        if (ms !== null) setTimeout(() => resolve({ answered: command }), ms);
        if (!ignoresSignal)
          o.abortSignal.addEventListener("abort", () =>
            reject(Object.assign(new Error("aborted by signal"), { name: "AbortError" })),
          );
      });
    },
  };
}

describe("sendBy", () => {
  it("an answer before the deadline is returned, and the signal is left alone", async () => {
    const c = client(5);
    await expect(sendBy(c, { cmd: 1 }, deadlineIn(5_000))).resolves.toEqual({ answered: { cmd: 1 } });
    expect(c.seen.command).toEqual({ cmd: 1 });
    expect(c.seen.signal?.aborted).toBe(false);
  });

  it("at the deadline the request is aborted and the call rejects with an AbortError", async () => {
    const c = client(null);
    const t0 = Date.now();
    await expect(sendBy(c, {}, deadlineIn(150))).rejects.toMatchObject({ name: "AbortError" });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(c.seen.signal?.aborted).toBe(true);
  });

  it("a client that ignores the signal still cannot hold the call past the deadline", async () => {
    const c = client(null, true);
    const t0 = Date.now();
    await expect(sendBy(c, {}, deadlineIn(150))).rejects.toThrow("deadline reached");
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("the cap shortens a far deadline", async () => {
    const t0 = Date.now();
    await expect(sendBy(client(null, true), {}, deadlineIn(60_000), 150)).rejects.toThrow("deadline reached");
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("a deadline already past still gives the call its 1 ms, then rejects", async () => {
    await expect(sendBy(client(null, true), {}, { at: Date.now() - 1000 })).rejects.toThrow(
      "deadline reached",
    );
  });
});
