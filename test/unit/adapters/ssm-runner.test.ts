/** The SSM adapter over every status path, with aws-sdk-client-mock and fake timers. */
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  SendCommandCommand,
  SSMClient,
  ThrottlingException,
} from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SsmNodeChecker } from "../../../shared/adapters/ssm-runner.ts";
import { deadlineIn } from "../../../shared/domain/types.ts";
import { report } from "../../helpers/node-reports.ts";

const ssm = mockClient(SSMClient);
const GOOD = `${JSON.stringify(report({ bound: true, keepalived: "MASTER" }))}\n`;
const checker = () =>
  new SsmNodeChecker({
    client: new SSMClient({ region: "eu-west-1" }),
    documentName: "mhp-node-check",
    instanceId: "i-0123456789abcdef0",
  });

beforeEach(() => {
  ssm.reset();
  vi.useFakeTimers();
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: "cmd-1" } });
  ssm.on(CancelCommandCommand).resolves({});
});
afterEach(() => {
  vi.useRealTimers();
});

async function run(deadlineMs = 10_000) {
  const p = checker().check(
    { Vip: "192.0.2.100", Since: 1795492397, NotifyLog: "/var/log/keepalived-transitions.log" },
    deadlineIn(deadlineMs),
  );
  await vi.advanceTimersByTimeAsync(deadlineMs + 1000);
  return p;
}

describe("SsmNodeChecker", () => {
  it("sends exactly the document, instance, parameters and delivery timeout", async () => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: "Success", StandardOutputContent: GOOD });
    await run();
    const send = ssm.commandCalls(SendCommandCommand);
    expect(send).toHaveLength(1);
    expect(send[0]?.args[0].input).toEqual({
      DocumentName: "mhp-node-check",
      InstanceIds: ["i-0123456789abcdef0"],
      Parameters: {
        Vip: ["192.0.2.100"],
        Since: ["1795492397"],
        NotifyLog: ["/var/log/keepalived-transitions.log"],
      },
      TimeoutSeconds: 30,
      Comment: "mysql-ha-prober node check",
    });
  });

  it("retries InvocationDoesNotExist right after the send, then Pending/InProgress/Delayed, then Success", async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .rejectsOnce(new InvocationDoesNotExist({ message: "not yet", $metadata: {} }))
      .resolvesOnce({ Status: "Pending" })
      .resolvesOnce({ Status: "InProgress" })
      .resolvesOnce({ Status: "Delayed" })
      .resolves({ Status: "Success", StandardOutputContent: GOOD });
    const r = await run();
    expect(r.ok).toBe(true);
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(5);
    expect(ssm.commandCalls(GetCommandInvocationCommand)[0]?.args[0].input).toEqual({
      CommandId: "cmd-1",
      InstanceId: "i-0123456789abcdef0",
    });
  });

  it.each([
    [{ Status: "TimedOut" }, "timeout"],
    [{ Status: "Cancelled" }, "cancelled"],
    [{ Status: "Cancelling" }, "cancelled"],
    [{ Status: "Failed", StatusDetails: "Undeliverable" }, "undeliverable"],
    [{ Status: "Undeliverable" as never }, "undeliverable"],
    [{ Status: "Terminated" as never }, "failed"],
    [{ Status: "TimedOut", StatusDetails: "Delivery Timed Out" }, "undeliverable"],
    // the spellings real answers use (the API reference prints them with spaces)
    [{ Status: "TimedOut", StatusDetails: "DeliveryTimedOut" }, "undeliverable"],
    [{ Status: "TimedOut", StatusDetails: "ExecutionTimedOut" }, "timeout"],
    [{ Status: "Failed", StatusDetails: "AccessDenied" }, "access-denied"],
    [{ Status: "Failed", StatusDetails: "Access Denied" }, "access-denied"],
    [{ Status: "Failed", ResponseCode: 127, StandardErrorContent: "bash: not found" }, "failed"],
    [
      {
        Status: "Failed",
        ResponseCode: 2,
        StandardOutputContent: '{"v":1,"script":"1.0.0","fatal":"parameter Vip is required"}',
      },
      "script-error",
    ],
    [{ Status: "Success", StandardOutputContent: "" }, "empty"],
    [{ Status: "Success", StandardOutputContent: GOOD.slice(0, 200) }, "truncated"],
    [{ Status: "Success", StandardOutputContent: GOOD.trim() + " ".repeat(24_000) }, "truncated"],
  ] as const)("%j -> %s", async (invocation, reason) => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation);
    const r = await run();
    expect(r).toMatchObject({ ok: false, reason });
  });

  it("throttling that survives the SDK's retries is reported as throttled", async () => {
    ssm
      .on(SendCommandCommand)
      .rejects(
        new ThrottlingException({ message: "Rate exceeded", Message: "Rate exceeded", $metadata: {} }),
      );
    expect(await run()).toMatchObject({ ok: false, reason: "throttled" });
  });

  it("never waits past its deadline, and cancels the command it gives up on", async () => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: "InProgress" });
    const t0 = Date.now();
    const p = checker().check({ Vip: "192.0.2.100" }, deadlineIn(3000));
    let settledAt = 0;
    p.then(() => {
      settledAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(3000);
    await vi.advanceTimersByTimeAsync(0);
    const r = await p;
    expect(settledAt - t0).toBeLessThanOrEqual(3000);
    expect(r).toMatchObject({ ok: false, reason: "timeout" });
    expect(ssm.commandCalls(CancelCommandCommand)[0]?.args[0].input).toEqual({
      CommandId: "cmd-1",
      InstanceIds: ["i-0123456789abcdef0"],
    });
  });

  it("a call that hangs is aborted at the deadline", async () => {
    ssm.on(GetCommandInvocationCommand).callsFake(() => new Promise(() => {}));
    const t0 = Date.now();
    const p = checker().check({ Vip: "192.0.2.100" }, deadlineIn(2000));
    await vi.advanceTimersByTimeAsync(2500);
    const r = await Promise.race([p, new Promise((res) => setTimeout(() => res("still waiting"), 10))]);
    expect(r).not.toBe("still waiting");
    expect(r).toMatchObject({ ok: false, reason: "timeout" });
    expect(Date.now() - t0).toBeLessThanOrEqual(2500);
  });

  describe("the first poll, learned from the node's last checks", () => {
    /** Prepare: SSM finishes every command `ms` after it was sent; one check, the Get calls it made. */
    const finishesAfter = (ms: number) => {
      let sentAt = 0;
      ssm.on(SendCommandCommand).callsFake(() => {
        sentAt = Date.now();
        return { Command: { CommandId: "cmd-1" } };
      });
      ssm
        .on(GetCommandInvocationCommand)
        .callsFake(() =>
          Date.now() - sentAt >= ms
            ? { Status: "Success", StandardOutputContent: GOOD }
            : { Status: "InProgress" },
        );
    };
    const checkOnce = async (c: SsmNodeChecker) => {
      const before = ssm.commandCalls(GetCommandInvocationCommand).length;
      const sentAt = Date.now();
      const p = c.check({ Vip: "192.0.2.100" }, deadlineIn(10_000));
      await vi.advanceTimersByTimeAsync(11_000);
      const r = await p;
      return { r, gets: ssm.commandCalls(GetCommandInvocationCommand).length - before, sentAt };
    };

    it("a node whose checks take 1.5 s is polled once, not four times, once it has been seen", async () => {
      // Prepare
      finishesAfter(1500);
      const c = checker();
      // Act
      const first = await checkOnce(c);
      const second = await checkOnce(c);
      const third = await checkOnce(c);
      // Assess: 0.2, 0.6, 1.4, 2.4 s the first time; then 0.8 x 2.4 s = 1.92 s, then 1.53 s
      expect(first).toMatchObject({ r: { ok: true }, gets: 4 });
      expect(second).toMatchObject({ r: { ok: true }, gets: 1 });
      expect(third).toMatchObject({ r: { ok: true }, gets: 1 });
      expect(c.firstPause()).toBeLessThanOrEqual(2000);
    });

    it("never waits more than 2 s for the first poll, and learns nothing when turned off", async () => {
      finishesAfter(5000);
      const learning = checker();
      await checkOnce(learning);
      expect(learning.firstPause()).toBe(2000);
      const off = new SsmNodeChecker({
        client: new SSMClient({ region: "eu-west-1" }),
        documentName: "mhp-node-check",
        instanceId: "i-0123456789abcdef0",
        learnFirstPoll: false,
      });
      await checkOnce(off);
      expect(off.firstPause()).toBe(200);
    });

    it("a node that turns slow is still polled every second until its deadline", async () => {
      finishesAfter(1000);
      const c = checker();
      await checkOnce(c);
      finishesAfter(6000);
      const slow = await checkOnce(c);
      expect(slow.r.ok).toBe(true);
      // 1.12 s first (0.8 x 1.4 s), then every second: found at 6.12 s, 6 polls
      expect(slow.gets).toBe(6);
    });
  });

  it("refuses an id that is not a managed node id", () => {
    expect(
      () => new SsmNodeChecker({ client: new SSMClient({}), documentName: "d", instanceId: "db-a" }),
    ).toThrow(/^instanceId: /);
  });
});
