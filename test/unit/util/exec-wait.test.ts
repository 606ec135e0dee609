import { describe, expect, it } from "vitest";
import { CommandError, run } from "../../../shared/util/exec.ts";
import { WaitTimeoutError, waitFor } from "../../../shared/util/wait.ts";

describe("run", () => {
  it("returns output and status", async () => {
    const r = await run("sh", ["-c", "echo out; echo err >&2"], { timeoutMs: 5000 });
    expect(r).toMatchObject({ code: 0, stdout: "out\n", stderr: "err\n", timedOut: false });
  });

  it("passes arguments without a shell", async () => {
    const r = await run("printf", ["%s", "$(id); rm -rf /"], { timeoutMs: 5000 });
    expect(r.stdout).toBe("$(id); rm -rf /");
  });

  it("throws a CommandError naming the command and its stderr on failure", async () => {
    await expect(run("sh", ["-c", "echo boom >&2; exit 3"], { timeoutMs: 5000 })).rejects.toThrow(
      /sh -c .* exited with 3: boom/,
    );
  });

  it("kills the whole process group at the deadline", async () => {
    const started = Date.now();
    const error = await run("sh", ["-c", "sleep 30 & sleep 30"], { timeoutMs: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).result?.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("waitFor", () => {
  it("returns the first truthy value", async () => {
    let n = 0;
    expect(await waitFor(() => (++n >= 3 ? n : false), { timeoutMs: 2000, intervalMs: 1, what: "n" })).toBe(
      3,
    );
  });

  it("times out naming what it waited for, with the last error as cause", async () => {
    const e = await waitFor(
      () => {
        throw new Error("not yet");
      },
      { timeoutMs: 50, intervalMs: 10, what: "the VIP to move" },
    ).catch((x) => x);
    expect(e).toBeInstanceOf(WaitTimeoutError);
    expect(e.message).toMatch(/the VIP to move/);
    expect(e.cause.message).toBe("not yet");
  });
});
