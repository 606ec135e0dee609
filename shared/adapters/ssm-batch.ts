/**
 * One SSM `SendCommand` for many node checks. The node checks a function starts together (its pairs'
 * probes, side by side) are collected for a short window and sent as one command to up to 50 managed
 * nodes; the parameters all its nodes share travel as the document's own, the others in the document's
 * `NodeParams` value, keyed by node id, and each node's script keeps its own (the agent sets
 * AWS_SSM_INSTANCE_ID). Each node's invocation is then polled on
 * its own (SsmNodeChecker). This turns 2 commands per pair and minute into 1 per invocation.
 *
 * A node id may appear once per command (SSM refuses duplicates): a second check of the same node goes
 * into the next command. SSM refuses a whole command when one of its ids is not a managed node it knows
 * (InvalidInstanceId): the batch is then sent again node by node, so only that node's check fails.
 */
import {
  type CommandInvocation,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  ListCommandInvocationsCommand,
  type ListCommandInvocationsCommandOutput,
  SendCommandCommand,
  type SendCommandCommandOutput,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import type { Deadline } from "../domain/types.ts";
import { type NodeCheckParams, nodeParamsBlob, paramStrings } from "../node-check/params.ts";
import { sendBy } from "./sdk-deadline.ts";

export interface SsmCommandBatcherOptions {
  readonly client: SSMClient;
  /** Name (or ARN) of the node-check SSM document; it must declare `NodeParams`. */
  readonly documentName: string;
  /** How long the first check of a command waits for others to join it. @default 25 */
  readonly windowMs?: number;
  /** Managed nodes per command (SendCommand takes at most 50). @default 50 */
  readonly maxNodes?: number;
  /** Characters of `NodeParams` per command (the document's pattern allows 8,192). @default 8192 */
  readonly maxParamChars?: number;
  /** How long SSM may wait to deliver the command (SSM's minimum is 30). @default 30 */
  readonly deliveryTimeoutSeconds?: number;
  /**
   * A node's poll answered from a `ListCommandInvocations` of its command at most this old: one call
   * then answers the polls of all the command's nodes. @default 250
   */
  readonly listMaxAgeMs?: number;
}

/** How the agent marks a plugin's Output that holds stderr or was cut (iohandler.go). */
const OUTPUT_NOT_STDOUT_ALONE = [
  "\n----------ERROR-------\n",
  "\n---Output truncated---",
  "\n---Error truncated----",
];
/** ListCommandInvocations cuts a plugin's Output at 2,500 characters. */
const LIST_OUTPUT_LIMIT = 2500;

interface Waiting {
  readonly instanceId: string;
  readonly params: NodeCheckParams;
  readonly deadline: Deadline;
  readonly resolve: (commandId: string) => void;
  readonly reject: (e: unknown) => void;
}

export class SsmCommandBatcher {
  readonly documentName: string;
  private readonly o: Required<SsmCommandBatcherOptions>;
  private readonly lists = new Map<
    string,
    { at: number; answer: Promise<ListCommandInvocationsCommandOutput> }
  >();
  private queue: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Checks announced by expect() and not arrived yet, and until when they are waited for. */
  private expected = 0;
  private expectedUntil = 0;

  constructor(options: SsmCommandBatcherOptions) {
    const o = {
      windowMs: 25,
      maxNodes: 50,
      maxParamChars: 8192,
      deliveryTimeoutSeconds: 30,
      listMaxAgeMs: 250,
      ...options,
    };
    if (!Number.isInteger(o.maxNodes) || o.maxNodes < 1 || o.maxNodes > 50)
      throw new RangeError(`maxNodes: ${o.maxNodes} is not an integer from 1 to 50 (SendCommand's limit)`);
    if (!(o.windowMs >= 0)) throw new RangeError(`windowMs: ${o.windowMs} is not a duration`);
    this.o = o;
    this.documentName = o.documentName;
  }

  /**
   * `count` checks are about to start (an invocation's pairs, each after its own store read): the
   * command waits for all of them, at most `maxWaitMs`, instead of the window alone, so checks whose
   * store reads answered some milliseconds apart still share it.
   */
  expect(count: number, maxWaitMs = 1000): void {
    this.expected = Math.max(0, Math.floor(count));
    this.expectedUntil = Date.now() + maxWaitMs;
  }

  /** Sends the node check to `instanceId` with the next command; resolves with that command's id. */
  send(instanceId: string, params: NodeCheckParams, deadline: Deadline): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ instanceId, params, deadline, resolve, reject });
      const waiting = this.expected > 0 && Date.now() < this.expectedUntil;
      if (this.queue.length >= this.o.maxNodes || (waiting && this.queue.length >= this.expected))
        this.flush();
      else
        this.timer ??= setTimeout(
          () => this.flush(),
          waiting ? Math.max(this.o.windowMs, this.expectedUntil - Date.now()) : this.o.windowMs,
        );
    });
  }

  /**
   * One node's invocation of a command this batcher sent, as GetCommandInvocation answers it: read from
   * one `ListCommandInvocations` of the whole command (Details on), shared by the polls of its nodes. A
   * final answer whose Output is not stdout alone (stderr appended, or cut) is asked again with
   * GetCommandInvocation, which keeps 24,000 characters of each apart. A node not listed yet throws
   * InvocationDoesNotExist, as GetCommandInvocation does right after the send.
   */
  async invocation(
    commandId: string,
    instanceId: string,
    deadline: Deadline,
  ): Promise<
    Pick<
      GetCommandInvocationCommandOutput,
      "Status" | "StatusDetails" | "ResponseCode" | "StandardOutputContent" | "StandardErrorContent"
    >
  > {
    const listed = (await this.list(commandId, deadline)).CommandInvocations?.find(
      (i) => i.InstanceId === instanceId,
    );
    if (!listed)
      throw Object.assign(new Error(`${instanceId} is not listed under command ${commandId} yet`), {
        name: "InvocationDoesNotExist",
      });
    const plugin = listed.CommandPlugins?.[0];
    const output = plugin?.Output ?? "";
    const final = isFinal(listed);
    if (
      final &&
      (output.length >= LIST_OUTPUT_LIMIT || OUTPUT_NOT_STDOUT_ALONE.some((m) => output.includes(m)))
    ) {
      return sendBy<GetCommandInvocationCommandOutput>(
        this.o.client,
        new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
        deadline,
      );
    }
    return {
      Status: listed.Status,
      StatusDetails: listed.StatusDetails,
      ResponseCode: plugin?.ResponseCode,
      StandardOutputContent: final ? output : "",
      StandardErrorContent: "",
    };
  }

  /** The command's invocations, from a call at most listMaxAgeMs old (or the one in flight). */
  private list(commandId: string, deadline: Deadline): Promise<ListCommandInvocationsCommandOutput> {
    const known = this.lists.get(commandId);
    if (known && Date.now() - known.at <= this.o.listMaxAgeMs) return known.answer;
    const answer = sendBy<ListCommandInvocationsCommandOutput>(
      this.o.client,
      new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: 50 }),
      deadline,
    );
    const entry = { at: Number.POSITIVE_INFINITY, answer };
    this.lists.set(commandId, entry); // in flight: every poll shares it
    answer.then(
      () => {
        entry.at = Date.now();
      },
      () => this.lists.delete(commandId),
    );
    // forget commands nobody polls any more
    for (const [id, e] of this.lists) if (Date.now() - e.at > 60_000) this.lists.delete(id);
    return answer;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    // what was announced and has now gone out is no longer waited for; after the wait, nothing is
    this.expected = Date.now() < this.expectedUntil ? Math.max(0, this.expected - this.queue.length) : 0;
    const queue = this.queue;
    this.queue = [];
    for (const batch of this.commandsFor(queue)) void this.sendCommand(batch);
  }

  /** The waiting checks as commands: each node once per command, within the node and size limits. */
  commandsFor(queue: readonly Waiting[]): Waiting[][] {
    const commands: Waiting[][] = [];
    for (const w of queue) {
      const fits = (c: Waiting[]) =>
        c.length < this.o.maxNodes &&
        !c.some((x) => x.instanceId === w.instanceId) &&
        commandParameters([...c, w]).NodeParams[0].length <= this.o.maxParamChars;
      const into = commands.find(fits);
      if (into) into.push(w);
      else commands.push([w]);
    }
    return commands;
  }

  private async sendCommand(batch: Waiting[]): Promise<void> {
    const parameters = commandParameters(batch);
    const blob = parameters.NodeParams[0];
    try {
      if (blob.length > this.o.maxParamChars)
        throw new RangeError(
          `NodeParams: the node's parameters take ${blob.length} characters, more than ${this.o.maxParamChars}`,
        );
      const out = await sendBy<SendCommandCommandOutput>(
        this.o.client,
        new SendCommandCommand({
          DocumentName: this.o.documentName,
          InstanceIds: batch.map((w) => w.instanceId),
          Parameters: parameters,
          TimeoutSeconds: this.o.deliveryTimeoutSeconds,
          Comment: "mysql-ha-prober node check",
        }),
        // the batch's checks come from one invocation: the earliest deadline bounds the call
        { at: Math.min(...batch.map((w) => w.deadline.at)) },
      );
      const commandId = out.Command?.CommandId;
      if (!commandId) throw new Error("SendCommand returned no CommandId");
      for (const w of batch) w.resolve(commandId);
    } catch (e) {
      if (batch.length > 1 && (e as { name?: string })?.name === "InvalidInstanceId") {
        // one id SSM does not know fails the whole command: each node on its own, so only that one fails
        for (const w of batch) void this.sendCommand([w]);
        return;
      }
      for (const w of batch) w.reject(e);
    }
  }
}

/**
 * The command's parameters: a value every node of the command has alike goes as the document's own
 * parameter (a fleet's paths, usually, and the VIP of one pair), the rest in `NodeParams` under each
 * node's id (`Since` above all). A parameter some nodes leave unset is not common: those nodes get the
 * document's default, as with a command of their own.
 */
export function commandParameters(
  batch: readonly { instanceId: string; params: NodeCheckParams }[],
): Record<string, string[]> & { NodeParams: [string] } {
  const each = batch.map((w) => ({ instanceId: w.instanceId, values: paramStrings(w.params) }));
  const names = new Set(each.flatMap((e) => Object.keys(e.values)));
  const common: Record<string, string[]> = {};
  for (const name of names) {
    const first = each[0]?.values[name];
    if (first !== undefined && each.every((e) => e.values[name] === first)) common[name] = [first];
  }
  const rest = each.map((e) => ({
    instanceId: e.instanceId,
    params: Object.fromEntries(
      Object.entries(e.values).filter(([k]) => !(k in common)),
    ) as unknown as NodeCheckParams,
  }));
  return { ...common, NodeParams: [nodeParamsBlob(rest)] };
}

function isFinal(i: CommandInvocation): boolean {
  return !["Pending", "InProgress", "Delayed", "Cancelling", undefined].includes(i.Status);
}
