/**
 * The function's push path: a keepalived notify script's event asks for one probe now; events for
 * another cluster are ignored; concurrent pushes are coalesced by the claim; anything else is a
 * scheduled invocation.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseEnv } from "../../../../functions/probe/env.ts";
import { parseFleet } from "../../../../functions/probe/fleet.ts";
import { buildHandler } from "../../../../functions/probe/handler.ts";
import { PUSH_SOURCE, pushEventOf } from "../../../../functions/probe/push-event.ts";
import type { PushGate } from "../../../../shared/ports.ts";
import { nodesView, sqlView } from "../../../helpers/cluster.ts";
import { memoryStore, ScriptedCluster } from "../../../helpers/fake-ports.ts";

const fleet = parseFleet(
  JSON.stringify([
    {
      name: "prod",
      vip: { host: "192.0.2.100" },
      mysql: { user: "prober", tls: { mode: "disabled" } },
      nodes: {
        a: { host: "192.0.2.11", runner: { type: "ssm", instanceId: "i-0123456789abcdef0" } },
        b: { host: "192.0.2.12", runner: { type: "ssm", instanceId: "i-0fedcba9876543210" } },
      },
    },
  ]),
  "fleet.json",
);
const env = parseEnv({
  TABLE_NAME: "t-push",
  MAIL_FROM: "prober@example.com",
  MAIL_TO: "ops@example.com",
  PASSWORD_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x",
  PUSH_DEBOUNCE_MS: "20",
  PUSH_HOLD_MS: "300",
});

/** A claim held for holdMs and a count per node and window, as the DynamoDB items do. */
function memoryGate(): PushGate & { claims: number } {
  let until = 0;
  const counts = new Map<string, number>();
  return {
    claims: 0,
    async claim(_c, holdMs) {
      this.claims++;
      if (Date.now() < until) return false;
      until = Date.now() + holdMs;
      return true;
    },
    async admit(node, max) {
      const n = (counts.get(node) ?? 0) + 1;
      counts.set(node, n);
      return n <= max;
    },
  };
}

const FN = "arn:aws:lambda:eu-west-1:123456789012:function:fleet-probe-push";
const NODE_A = "i-0123456789abcdef0";
/** Invoked through `qualifier` (a node's alias n-<instance id>), or unqualified. */
const contextVia = (qualifier?: string) =>
  ({
    functionName: "f",
    awsRequestId: "r",
    invokedFunctionArn: qualifier ? `${FN}:${qualifier}` : FN,
    getRemainingTimeInMillis: () => 20_000,
  }) as never;
const context = contextVia(`n-${NODE_A}`);
const push = (cluster = "prod") => ({
  source: PUSH_SOURCE,
  cluster,
  node: "a",
  instance: "VI_MYSQL",
  state: "MASTER",
});

function handlerWith(gate: PushGate, entry: "push" | "schedule" = "push") {
  const c = new ScriptedCluster(sqlView("a"), nodesView("a"));
  const observed = { n: 0 };
  const probe = c.probe;
  return {
    observed,
    handler: buildHandler(
      env,
      {
        sql: {
          observe: (e, d) => {
            observed.n++;
            return probe.observe(e, d);
          },
        },
        nodeCheckers: { a: c.checker("a"), b: c.checker("b") },
        store: memoryStore(),
        notifier: { send: async () => undefined },
        pushGate: gate,
      },
      { fleet, entry },
    ),
  };
}

describe("the push event", () => {
  it("is recognised only in its documented shape; a scheduled event is not one", () => {
    expect(pushEventOf(push())).toMatchObject({ cluster: "prod", state: "MASTER" });
    expect(pushEventOf({ source: "aws.scheduler" })).toBeNull();
    expect(pushEventOf({ ...push(), state: "rm -rf" })).toBeNull();
    expect(pushEventOf({ ...push(), cluster: "../x" })).toBeNull();
  });
});

describe("the handler's push path", () => {
  // the function's log lines stay out of the test output
  let spy: ReturnType<typeof vi.spyOn> | undefined;
  beforeEach(() => {
    spy = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  });
  afterEach(() => spy?.mockRestore());

  it("probes once, at once, for its own cluster", async () => {
    const { handler, observed } = handlerWith(memoryGate());
    const r = await handler(push(), context);
    expect(r).toMatchObject({ pushed: true, probes: [{ status: "HEALTHY", committed: true }] });
    expect(observed.n).toBe(3); // the VIP and both nodes, once
  });

  it.each<[string, unknown, ReturnType<typeof contextVia>, RegExp]>([
    [
      "another pair's name in the event",
      push("other"),
      context,
      /the event names pair other; the caller is a node of prod/,
    ],
    [
      "the unqualified function (no node's alias)",
      push(),
      contextVia(),
      /not invoked through a node's alias/,
    ],
    [
      "an alias of an instance that is no node",
      push(),
      contextVia("n-i-0aaaaaaaaaaaaaaaa"),
      /no node of this fleet/,
    ],
    ["a schedule-shaped event", { clusters: ["prod"] }, context, /not a push event/],
    ["an empty event", {}, context, /not a push event/],
  ])("refuses %s: no probe, no error (a node cannot raise alarms)", async (_n, event, ctx, reason) => {
    const { handler, observed } = handlerWith(memoryGate());
    expect(await handler(event, ctx)).toEqual({ pushed: false, refused: expect.stringMatching(reason) });
    expect(observed.n).toBe(0);
  });

  it("a flood from one node: beyond PUSH_NODE_MAX_PER_MINUTE its pushes are refused", async () => {
    const gate = memoryGate();
    gate.claim = async () => false; // no probe runs: only the count is under test
    const { handler } = handlerWith(gate);
    const results = [];
    for (let i = 0; i < 14; i++) results.push(await handler(push(), context));
    const refused = results.filter((r) =>
      /pushes this minute/.test(String((r as { refused?: string }).refused)),
    );
    expect(refused).toHaveLength(14 - env.PUSH_NODE_MAX_PER_MINUTE);
  });

  it.each(["admit", "claim"] as const)(
    "the gate fails closed: %s throwing refuses the push, no probe",
    async (which) => {
      const gate = memoryGate();
      gate[which] = async () => {
        throw new Error("ProvisionedThroughputExceededException");
      };
      const { handler, observed } = handlerWith(gate);
      expect(await handler(push(), context)).toEqual({
        pushed: false,
        refused: expect.stringMatching(/fails closed/),
      });
      expect(observed.n).toBe(0);
    },
  );

  it("the scheduled entry refuses a push event (no probe)", async () => {
    const { handler, observed } = handlerWith(memoryGate(), "schedule");
    expect(await handler(push(), contextVia())).toMatchObject({
      refused: expect.stringMatching(/push function/),
    });
    expect(observed.n).toBe(0);
  });

  it("five pushes at the same moment (a flapping keepalived) give two probes: the first, and one when the claim expires", async () => {
    const gate = memoryGate();
    const { handler, observed } = handlerWith(gate);
    const results = await Promise.all(Array.from({ length: 5 }, () => handler(push(), context)));
    // leading and trailing: the change that arrived while the first probe ran is probed too
    expect(results.filter((r) => (r as { coalesced?: boolean }).coalesced)).toHaveLength(3);
    expect(observed.n).toBe(6);
    expect(gate.claims).toBe(9);
  });
});

describe("the push event's shape, field by field", () => {
  const ok = { source: PUSH_SOURCE, cluster: "prod" };
  it("accepts the minimal event and each optional field at its limits", () => {
    expect(pushEventOf(ok)).toEqual(ok);
    const full = { ...ok, cluster: "p".repeat(64), node: "db-a.example_1", instance: "VI_1", state: "FAULT" };
    expect(pushEventOf(full)).toEqual(full);
    for (const state of ["MASTER", "BACKUP", "FAULT", "STOP"])
      expect(pushEventOf({ ...ok, state })?.state).toBe(state);
  });

  it.each<[string, Record<string, unknown>]>([
    ["another source", { source: "aws.events" }],
    ["no cluster", { cluster: undefined }],
    ["an empty cluster", { cluster: "" }],
    ["a cluster of 65 characters", { cluster: "p".repeat(65) }],
    ["a cluster with a space", { cluster: "a b" }],
    ["a cluster with a slash", { cluster: "a/b" }],
    ["a node with a quote", { node: "a'b" }],
    ["a node of 65 characters", { node: "n".repeat(65) }],
    ["an empty node", { node: "" }],
    ["an instance with a semicolon", { instance: "VI;1" }],
    ["an instance of 65 characters", { instance: "i".repeat(65) }],
    ["an unknown state", { state: "GONE" }],
    ["a state in lower case", { state: "master" }],
  ])("%s is not a push event (a scheduled invocation)", (_name, change) => {
    expect(pushEventOf({ ...ok, ...change })).toBeNull();
  });

  it("nothing that is not an object is a push event", () => {
    for (const e of [null, undefined, "prod", 5, [ok]]) expect(pushEventOf(e)).toBeNull();
  });
});
