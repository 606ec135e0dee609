/**
 * NodeChecker over SSM Run Command: SendCommand with the node-check document to one managed node
 * (EC2 `i-` or hybrid `mi-`), then GetCommandInvocation polling until a final status or the
 * deadline, whichever comes first (with a batcher: one command for many nodes, polled through
 * ListCommandInvocations). Never waits past the deadline; never throws.
 *
 * The SSMClient is passed in (as middy does): create it with `retryMode: "adaptive"` so throttling
 * is retried with client-side rate limiting.
 */
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  SendCommandCommand,
  type SendCommandCommandOutput,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { type NodeCheckResult, parseNodeCheckOutput, SSM_STDOUT_LIMIT } from "../domain/node.ts";
import { type Deadline, remainingMs } from "../domain/types.ts";
import { type NodeCheckParams, paramStrings } from "../node-check/params.ts";
import type { NodeChecker } from "../ports.ts";
import { sendBy } from "./sdk-deadline.ts";
import type { SsmCommandBatcher } from "./ssm-batch.ts";

export interface SsmNodeCheckerOptions {
  client: SSMClient;
  /** Name (or ARN) of the node-check SSM document. */
  documentName: string;
  /** Managed node id: i-0123456789abcdef0 or mi-0123456789abcdef0. */
  instanceId: string;
  /** First pause between polls; it doubles up to 1 s. @default 200 */
  pollIntervalMs?: number;
  /**
   * Once this node's checks have succeeded, wait 0.8 x the shortest of its last 5 durations (at most
   * 2 s) before the first poll: an SSM round trip of 1 to 3 s then costs 1 to 3 `GetCommandInvocation`
   * calls instead of 3 to 5, which is what a fleet's account-wide SSM rate is spent on. @default true
   */
  learnFirstPoll?: boolean;
  /** How long SSM may wait to deliver the command (SSM's minimum is 30). @default 30 */
  deliveryTimeoutSeconds?: number;
  /**
   * Send and poll through this batcher: one command for the node checks started together, and one
   * ListCommandInvocations for the polls of its nodes (ssm-batch.ts). Its document is used instead of
   * `documentName`.
   * @default undefined (one command per check, parameters as the document's own)
   */
  batcher?: SsmCommandBatcher;
}

const INSTANCE_ID = /^(i|mi)-[0-9a-f]{8,17}$/;

/**
 * GetCommandInvocation StatusDetails that say more than the Status does, by their letters alone: the API
 * reference prints "Delivery Timed Out", real answers say "DeliveryTimedOut" (and "ExecutionTimedOut",
 * "AccessDenied"); every spelling counts the same.
 */
const DETAIL_REASON: Record<string, Extract<NodeCheckResult, { ok: false }>["reason"]> = {
  undeliverable: "undeliverable",
  deliverytimedout: "undeliverable",
  executiontimedout: "timeout",
  accessdenied: "access-denied",
  terminated: "cancelled",
};

/** The reason a StatusDetails spelling stands for ("Delivery Timed Out", "DeliveryTimedOut"...). */
export function detailReason(
  details: string | undefined,
): Extract<NodeCheckResult, { ok: false }>["reason"] | undefined {
  return DETAIL_REASON[(details ?? "").replace(/[^A-Za-z]/g, "").toLowerCase()];
}

export class SsmNodeChecker implements NodeChecker {
  readonly target: string;
  private readonly o: Required<Omit<SsmNodeCheckerOptions, "batcher">>;
  private readonly batcher: SsmCommandBatcher | undefined;
  /** The last successful checks' durations (ms), newest last: when to poll first next time. */
  private readonly recent: number[] = [];

  constructor(options: SsmNodeCheckerOptions) {
    if (!INSTANCE_ID.test(options.instanceId)) {
      throw new Error(
        `instanceId: ${JSON.stringify(options.instanceId)} is not an EC2 (i-) or hybrid (mi-) managed node id`,
      );
    }
    const { batcher, ...rest } = options;
    this.o = { pollIntervalMs: 200, deliveryTimeoutSeconds: 30, learnFirstPoll: true, ...rest };
    this.batcher = batcher;
    this.target = `ssm:${options.instanceId}`;
  }

  /** A final status as the node check's result; null while the command is still under way. */
  private finalResult(
    inv: Pick<
      GetCommandInvocationCommandOutput,
      "Status" | "StatusDetails" | "ResponseCode" | "StandardOutputContent" | "StandardErrorContent"
    >,
    took: number,
    fail: (reason: Extract<NodeCheckResult, { ok: false }>["reason"], detail: string) => NodeCheckResult,
  ): NodeCheckResult | null {
    switch (inv.Status) {
      case "Pending":
      case "InProgress":
      case "Delayed":
      case undefined:
        return null;
      case "Success":
        this.learn(took);
        return parseNodeCheckOutput(inv.StandardOutputContent ?? "", took, {
          truncatedAt: SSM_STDOUT_LIMIT,
        });
      case "Failed": {
        const reason = detailReason(inv.StatusDetails);
        if (reason) return fail(reason, `SSM reports Failed (${inv.StatusDetails})`);
        const out = parseNodeCheckOutput(inv.StandardOutputContent ?? "", took, {
          truncatedAt: SSM_STDOUT_LIMIT,
        });
        if (!out.ok && out.reason === "script-error") return out;
        return fail(
          "failed",
          `exit ${inv.ResponseCode ?? "?"}: ${(inv.StandardErrorContent ?? "").trim().slice(0, 300) || inv.StatusDetails || "Failed"}`,
        );
      }
      case "TimedOut":
        return fail(
          detailReason(inv.StatusDetails) ?? "timeout",
          `SSM reports TimedOut${inv.StatusDetails ? ` (${inv.StatusDetails})` : ""}`,
        );
      case "Cancelled":
      case "Cancelling":
        return fail("cancelled", `SSM reports ${inv.Status}`);
      default:
        // Undeliverable (agent offline or node unknown), Terminated, or a status SSM adds later.
        return fail(
          inv.Status === "Undeliverable" ? "undeliverable" : (detailReason(inv.StatusDetails) ?? "failed"),
          `SSM reports ${inv.Status}${inv.StatusDetails ? ` (${inv.StatusDetails})` : ""}`,
        );
    }
  }

  async check(params: NodeCheckParams, deadline: Deadline): Promise<NodeCheckResult> {
    const started = Date.now();
    const took = () => Date.now() - started;
    const fail = (
      reason: Extract<NodeCheckResult, { ok: false }>["reason"],
      detail: string,
    ): NodeCheckResult => ({
      ok: false,
      reason,
      detail,
      durationMs: took(),
    });
    let commandId: string | undefined;
    try {
      commandId = this.batcher
        ? await this.batcher.send(this.o.instanceId, params, deadline)
        : await this.sendOwn(params, deadline);
      if (!commandId) return fail("runner-error", "SendCommand returned no CommandId");

      let pause = this.firstPause();
      for (;;) {
        if (remainingMs(deadline) <= 0) break;
        await sleep(Math.min(pause, remainingMs(deadline)));
        pause = Math.min(Math.max(pause, this.o.pollIntervalMs) * 2, 1000);
        if (remainingMs(deadline) <= 0) break;
        let inv: Pick<
          GetCommandInvocationCommandOutput,
          "Status" | "StatusDetails" | "ResponseCode" | "StandardOutputContent" | "StandardErrorContent"
        >;
        try {
          // batched: one ListCommandInvocations answers the polls of all the command's nodes
          inv = this.batcher
            ? await this.batcher.invocation(commandId, this.o.instanceId, deadline)
            : await this.send<GetCommandInvocationCommandOutput>(
                new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: this.o.instanceId }),
                deadline,
              );
        } catch (e) {
          // Right after SendCommand the invocation may not exist yet: poll again.
          if (errorName(e) === "InvocationDoesNotExist") continue;
          throw e;
        }
        const result = this.finalResult(inv, took(), fail);
        if (result) return result;
      }
      this.cancelQuietly(commandId);
      return fail("timeout", `no final status within the deadline (command ${commandId})`);
    } catch (e) {
      if (commandId) this.cancelQuietly(commandId);
      const name = errorName(e);
      if (name === "AbortError" || remainingMs(deadline) <= 0)
        return fail("timeout", `deadline reached: ${(e as Error).message}`);
      if (/Throttl|TooManyRequests|RequestLimitExceeded/.test(name))
        return fail("throttled", `${name}: ${(e as Error).message}`);
      if (/AccessDenied|UnauthorizedOperation/.test(name))
        return fail("access-denied", `${name}: ${(e as Error).message}`);
      if (name === "InvalidInstanceId") return fail("undeliverable", `${name}: ${(e as Error).message}`);
      return fail("runner-error", `${name}: ${(e as Error).message}`);
    }
  }

  /** One command for this check alone, with the parameters as the document's own. */
  private async sendOwn(params: NodeCheckParams, deadline: Deadline): Promise<string | undefined> {
    const parameters: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(paramStrings(params))) parameters[k] = [v];
    const sent = await this.send<SendCommandCommandOutput>(
      new SendCommandCommand({
        DocumentName: this.o.documentName,
        InstanceIds: [this.o.instanceId],
        Parameters: parameters,
        TimeoutSeconds: this.o.deliveryTimeoutSeconds,
        Comment: "mysql-ha-prober node check",
      }),
      deadline,
    );
    return sent.Command?.CommandId;
  }

  /** The pause before the first poll: learned from this node's last checks, or pollIntervalMs. */
  firstPause(): number {
    if (!this.o.learnFirstPoll || this.recent.length === 0) return this.o.pollIntervalMs;
    return Math.max(this.o.pollIntervalMs, Math.min(2000, Math.floor(0.8 * Math.min(...this.recent))));
  }

  private learn(ms: number): void {
    this.recent.push(ms);
    if (this.recent.length > 5) this.recent.shift();
  }

  private send<T>(command: unknown, deadline: Deadline): Promise<T> {
    return sendBy<T>(this.o.client, command, deadline);
  }

  /** Best effort: a command nobody waits for any more should not keep running. */
  private cancelQuietly(commandId: string): void {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 2000);
    this.o.client
      .send(new CancelCommandCommand({ CommandId: commandId, InstanceIds: [this.o.instanceId] }), {
        abortSignal: controller.signal,
      })
      .catch(() => {})
      .finally(() => clearTimeout(timer));
  }
}

function errorName(e: unknown): string {
  return (e as { name?: string })?.name ?? "Error";
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
