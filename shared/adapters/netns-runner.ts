/** NodeChecker that runs the node-check script inside a network namespace (the lab's nodes). */
import { fileURLToPath } from "node:url";
import { NAMESPACE_NAME } from "../config.ts";
import { type NodeCheckResult, parseNodeCheckOutput } from "../domain/node.ts";
import { type Deadline, remainingMs } from "../domain/types.ts";
import { type NodeCheckParams, paramStrings } from "../node-check/params.ts";
import { NODE_CHECK_SCRIPT_PATH } from "../node-check/script.ts";
import type { NodeChecker } from "../ports.ts";
import { run } from "../util/exec.ts";
import { runnerFailure } from "./runner-failure.ts";

export class NetnsNodeChecker implements NodeChecker {
  readonly target: string;

  constructor(private readonly namespace: string) {
    if (!NAMESPACE_NAME.test(namespace))
      throw new Error(`invalid network namespace name ${JSON.stringify(namespace)}`);
    this.target = `netns:${namespace}`;
  }

  async check(params: NodeCheckParams, deadline: Deadline): Promise<NodeCheckResult> {
    const started = Date.now();
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" };
    for (const [k, v] of Object.entries(paramStrings(params))) env[`SSM_${k}`] = v;
    try {
      const r = await run(
        "ip",
        ["netns", "exec", this.namespace, "bash", fileURLToPath(NODE_CHECK_SCRIPT_PATH)],
        {
          timeoutMs: Math.max(1, remainingMs(deadline)),
          env,
          allowFailure: true,
        },
      );
      // entering a network namespace needs root: `ip netns exec` refuses before the script runs. Say
      // so, not "the node check printed nothing".
      if (r.stdout.trim() === "" && /Operation not permitted|Permission denied/i.test(r.stderr))
        return {
          ok: false,
          reason: "access-denied",
          detail: `entering the network namespace ${this.namespace} needs root: run as root (sudo) (${r.stderr.trim().slice(0, 200)})`,
          durationMs: Date.now() - started,
        };
      return parseNodeCheckOutput(r.stdout, Date.now() - started);
    } catch (e) {
      return runnerFailure(e, started);
    }
  }
}
