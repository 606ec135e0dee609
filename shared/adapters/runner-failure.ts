/** How a runner that could not run the script (or ran out of time) reports it. */
import type { NodeCheckResult } from "../domain/node.ts";
import { CommandError } from "../util/exec.ts";

export function runnerFailure(e: unknown, started: number): NodeCheckResult {
  const timedOut = e instanceof CommandError && e.result?.timedOut;
  return {
    ok: false,
    reason: timedOut ? "timeout" : "runner-error",
    detail: (e as Error).message,
    durationMs: Date.now() - started,
  };
}
