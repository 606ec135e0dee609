/**
 * One SendCommand for the node checks started together (SsmCommandBatcher), through the real
 * SsmNodeChecker, with aws-sdk-client-mock and fake timers: what is sent, to whom, with whose
 * parameters, and what each check gets back when SSM refuses or throttles the command.
 */
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  InvalidInstanceId,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  type SendCommandCommandInput,
  SSMClient,
  ThrottlingException,
} from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { commandParameters, SsmCommandBatcher } from "../../../shared/adapters/ssm-batch.ts";
import { SsmNodeChecker } from "../../../shared/adapters/ssm-runner.ts";
import type { NodeCheckResult } from "../../../shared/domain/node.ts";
import { deadlineIn } from "../../../shared/domain/types.ts";
import { nodeParamsOf } from "../../../shared/node-check/params.ts";
import { report } from "../../helpers/node-reports.ts";

const ssm = mockClient(SSMClient);
const GOOD = `${JSON.stringify(report({ bound: true, keepalived: "MASTER" }))}\n`;
const id = (n: number) => `i-${n.toString(16).padStart(17, "0")}`;
let batcher: SsmCommandBatcher;
const checkerOf = (instanceId: string) =>
  new SsmNodeChecker({
    client: new SSMClient({ region: "eu-west-1" }),
    documentName: "ignored",
    instanceId,
    batcher,
  });

beforeEach(() => {
  ssm.reset();
  vi.useFakeTimers();
  batcher = new SsmCommandBatcher({
    client: new SSMClient({ region: "eu-west-1" }),
    documentName: "mhp-node-check",
  });
  let n = 0;
  ssm.on(SendCommandCommand).callsFake(() => ({ Command: { CommandId: `cmd-${++n}` } }));
  ssm.on(GetCommandInvocationCommand).resolves({ Status: "Success", StandardOutputContent: GOOD });
  ssm.on(ListCommandInvocationsCommand).callsFake(() => listed(() => GOOD));
  ssm.on(CancelCommandCommand).resolves({});
});
afterEach(() => {
  vi.useRealTimers();
});

/** Starts one check per node at once (as an invocation's pairs do) and lets them finish. */
async function checkAll(nodes: { instanceId: string; since: number }[]): Promise<NodeCheckResult[]> {
  const all = Promise.all(
    nodes.map((n) =>
      checkerOf(n.instanceId).check({ Vip: "192.0.2.100", Since: n.since }, deadlineIn(10_000)),
    ),
  );
  await vi.advanceTimersByTimeAsync(11_000);
  return all;
}

/** Every node sent so far, done, with `output(id)` as its plugin's Output (what ListCommandInvocations shows). */
const listed = (output: (instanceId: string) => string) => ({
  CommandInvocations: [...new Set(sends().flatMap((s) => s.InstanceIds ?? []))].map((InstanceId) => ({
    InstanceId,
    Status: "Success",
    StatusDetails: "Success",
    CommandPlugins: [{ Name: "nodeCheck", Status: "Success", ResponseCode: 0, Output: output(InstanceId) }],
  })),
});

const sends = (): SendCommandCommandInput[] =>
  ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input);

describe("SsmCommandBatcher", () => {
  it("sends the checks started together as one command: shared values as the document's, each node's own under its id", async () => {
    // Act: 20 nodes (10 pairs), each with its own Since
    const results = await checkAll(
      Array.from({ length: 20 }, (_, i) => ({ instanceId: id(i + 1), since: 1000 + i })),
    );
    // Assess
    expect(results.every((r) => r.ok)).toBe(true);
    expect(sends()).toHaveLength(1);
    const sent = sends()[0] as SendCommandCommandInput;
    expect(sent).toMatchObject({ DocumentName: "mhp-node-check", TimeoutSeconds: 30 });
    expect(sent.InstanceIds).toEqual(Array.from({ length: 20 }, (_, i) => id(i + 1)));
    // the VIP is every node's alike: one document parameter; Since differs: one line per node
    expect(sent.Parameters?.Vip).toEqual(["192.0.2.100"]);
    const blob = sent.Parameters?.NodeParams?.[0] as string;
    expect(nodeParamsOf(blob, id(7))).toEqual({ Since: "1006" });
    // the 20 nodes' polls are answered by a few lists of that one command, none by GetCommandInvocation
    const lists = ssm.commandCalls(ListCommandInvocationsCommand).map((c) => c.args[0].input);
    expect(lists.length).toBeGreaterThanOrEqual(1);
    expect(lists.length).toBeLessThan(5);
    expect(lists[0]).toEqual({ CommandId: "cmd-1", Details: true, MaxResults: 50 });
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(0);
  });

  it("keeps SendCommand's limits: at most 50 nodes a command, each node once", async () => {
    const nodes = Array.from({ length: 60 }, (_, i) => ({ instanceId: id(i + 1), since: 1 }));
    // the same node asked twice (a witness that is also a node): the second goes into another command
    nodes.splice(5, 0, { instanceId: id(1), since: 2 });
    await checkAll(nodes);
    const sizes = sends().map((s) => s.InstanceIds?.length);
    expect(sizes.reduce((a = 0, b = 0) => a + b, 0)).toBe(61);
    expect(Math.max(...sizes.map(Number))).toBeLessThanOrEqual(50);
    for (const s of sends()) expect(new Set(s.InstanceIds).size).toBe(s.InstanceIds?.length);
  });

  it("splits a command whose NodeParams would pass the size the document allows", async () => {
    batcher = new SsmCommandBatcher({
      client: new SSMClient({ region: "eu-west-1" }),
      documentName: "mhp-node-check",
      maxParamChars: 200,
    });
    await checkAll(Array.from({ length: 6 }, (_, i) => ({ instanceId: id(i + 1), since: 1_000_000 + i })));
    expect(sends().length).toBeGreaterThan(1);
    for (const s of sends()) expect((s.Parameters?.NodeParams?.[0] ?? "").length).toBeLessThanOrEqual(200);
  });

  it("a value only some nodes set travels under their ids only: the others keep the document's default", () => {
    const p = commandParameters([
      { instanceId: id(1), params: { Vip: "192.0.2.100", MysqlPort: 3307, NotifyLog: "/var/log/ka.log" } },
      { instanceId: id(2), params: { Vip: "192.0.2.100", MysqlPort: 3307 } },
      { instanceId: id(3), params: { Vip: "198.51.100.7", MysqlPort: 3307 } },
    ]);
    expect(Object.keys(p).sort()).toEqual(["MysqlPort", "NodeParams"]);
    const blob = p.NodeParams[0];
    expect(nodeParamsOf(blob, id(1))).toEqual({ Vip: "192.0.2.100", NotifyLog: "/var/log/ka.log" });
    expect(nodeParamsOf(blob, id(2))).toEqual({ Vip: "192.0.2.100" });
    expect(nodeParamsOf(blob, id(3))).toEqual({ Vip: "198.51.100.7" });
  });

  it("a node SSM does not know fails its own check only: the command is sent again node by node", async () => {
    ssm.on(SendCommandCommand).callsFake((input: SendCommandCommandInput) => {
      if (input.InstanceIds?.includes(id(2)))
        throw new InvalidInstanceId({ message: "Instances not in a valid state", $metadata: {} });
      return { Command: { CommandId: `cmd-${input.InstanceIds?.join(",")}` } };
    });
    const [a, b, c] = await checkAll([1, 2, 3].map((n) => ({ instanceId: id(n), since: 1 })));
    expect(a?.ok).toBe(true);
    expect(b).toMatchObject({ ok: false, reason: "undeliverable" });
    expect(c?.ok).toBe(true);
    expect(sends().map((s) => s.InstanceIds?.length)).toEqual([3, 1, 1, 1]);
  });

  it("a throttled command fails every check in it as throttled, never as a result", async () => {
    ssm
      .on(SendCommandCommand)
      .rejects(
        new ThrottlingException({ message: "Rate exceeded", Message: "Rate exceeded", $metadata: {} }),
      );
    const results = await checkAll([1, 2].map((n) => ({ instanceId: id(n), since: 1 })));
    expect(results.map((r) => !r.ok && r.reason)).toEqual(["throttled", "throttled"]);
  });

  it("with expect(n), checks starting 100 ms apart (their store reads answered apart) share one command, sent when the n-th arrives", async () => {
    // Prepare
    batcher.expect(4);
    const sentAt: number[] = [];
    ssm.on(SendCommandCommand).callsFake(() => {
      sentAt.push(Date.now());
      return { Command: { CommandId: "cmd-1" } };
    });
    const t0 = Date.now();
    // Act: four checks, one every 100 ms
    const all = Promise.all(
      [1, 2, 3, 4].map(async (n) => {
        await new Promise((r) => setTimeout(r, (n - 1) * 100));
        return checkerOf(id(n)).check({ Vip: "192.0.2.100" }, deadlineIn(10_000));
      }),
    );
    await vi.advanceTimersByTimeAsync(11_000);
    await all;
    // Assess: one command, sent as the fourth arrived (300 ms), not at the 1 s limit
    expect(sends().map((s) => s.InstanceIds?.length)).toEqual([4]);
    expect((sentAt[0] ?? 0) - t0).toBeLessThan(350);
  });

  it("with expect(n), checks that never come hold the command back at most maxWaitMs; later ones use the window", async () => {
    batcher.expect(10, 500);
    const first = await checkAll([1, 2].map((n) => ({ instanceId: id(n), since: 1 })));
    expect(first.every((r) => r.ok)).toBe(true);
    expect(sends().map((s) => s.InstanceIds?.length)).toEqual([2]);
    // the announced count has lapsed: the next checks go out after the 25 ms window
    const [third] = await checkAll([{ instanceId: id(3), since: 1 }]);
    expect(third?.ok).toBe(true);
    expect(sends().map((s) => s.InstanceIds?.length)).toEqual([2, 1]);
  });

  it("a node whose listed Output is not stdout alone (stderr appended, or cut) is read again with GetCommandInvocation", async () => {
    // Prepare: node 2's Output carries stderr after the agent's separator
    ssm
      .on(ListCommandInvocationsCommand)
      .callsFake(() => listed((i) => (i === id(2) ? `${GOOD}\n----------ERROR-------\nwarning` : GOOD)));
    // Act
    const results = await checkAll([1, 2, 3].map((n) => ({ instanceId: id(n), since: 1 })));
    // Assess: all three read whole; only node 2 asked apart
    expect(results.every((r) => r.ok)).toBe(true);
    const gets = ssm.commandCalls(GetCommandInvocationCommand).map((c) => c.args[0].input.InstanceId);
    expect(gets).toEqual([id(2)]);
  });

  it("a node not listed yet is polled again, never read as a result", async () => {
    let calls = 0;
    ssm
      .on(ListCommandInvocationsCommand)
      .callsFake(() => (++calls < 3 ? { CommandInvocations: [] } : listed(() => GOOD)));
    const [r] = await checkAll([{ instanceId: id(1), since: 1 }]);
    expect(r?.ok).toBe(true);
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  it("refuses more than SendCommand's 50 nodes a command", () => {
    expect(
      () => new SsmCommandBatcher({ client: new SSMClient({}), documentName: "d", maxNodes: 51 }),
    ).toThrow(/maxNodes: 51/);
  });
});
