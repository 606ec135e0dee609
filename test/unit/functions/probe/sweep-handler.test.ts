/**
 * The function's consistency sweep: a slice after the scheduled probe, only with time left for it (the
 * slice plus SWEEP_RESERVE_MS before the invocation's end), with the probe's state deciding what it does.
 */
import { describe, expect, it, vi } from "vitest";
import { parseEnv } from "../../../../functions/probe/env.ts";
import { parseFleet } from "../../../../functions/probe/fleet.ts";
import { buildHandler, SWEEP_RESERVE_MS } from "../../../../functions/probe/handler.ts";
import { nodesView, sqlView } from "../../../helpers/cluster.ts";
import { Replica, Writer } from "../../../helpers/compare-nodes.ts";
import { MemorySweepStore, memoryStore, ScriptedCluster } from "../../../helpers/fake-ports.ts";

const PAIR = {
  name: "swept",
  vip: { host: "192.0.2.100" },
  mysql: { user: "prober", tls: { mode: "disabled" } },
  nodes: {
    a: { host: "192.0.2.11", runner: { type: "ssm", instanceId: "i-0123456789abcdef0" } },
    b: { host: "192.0.2.12", runner: { type: "ssm", instanceId: "i-0fedcba9876543210" } },
  },
  compare: { schemas: ["shop"], sweep: { sliceSeconds: 2 } },
};
const env = parseEnv({
  TABLE_NAME: "t-sweep",
  MAIL_FROM: "prober@example.com",
  MAIL_TO: "ops@example.com",
  PASSWORD_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x",
});

function swept() {
  const cluster = new ScriptedCluster(sqlView("a"), nodesView("a"));
  const a = new Writer();
  for (let id = 1; id <= 50; id++) a.write({ id, v: `v${id}` });
  const b = new Replica(a);
  b.catchUp(a.log.length);
  b.errant({ id: 9, v: "x" });
  const sweeps = new MemorySweepStore();
  const opened: { pair: string; reference: string; remainingMs: number }[] = [];
  let remaining = 0;
  const invokedAt = { t: 0 };
  const handler = buildHandler(
    env,
    {
      sql: cluster.probe,
      nodeCheckers: { a: cluster.checker("a"), b: cluster.checker("b") },
      store: memoryStore(),
      sweepStore: sweeps,
      notifier: { send: async () => undefined },
      sweepNodes: (pair) => async (reference) => {
        opened.push({ pair, reference, remainingMs: invokedAt.t + remaining - Date.now() });
        return { reference: a, other: b, close: async () => {} };
      },
    },
    { fleet: parseFleet(JSON.stringify([PAIR]), "fleet.json") },
  );
  const invoke = (remainingMs: number, event: unknown = { cluster: "swept" }) => {
    remaining = remainingMs;
    invokedAt.t = Date.now();
    return handler(event, {
      functionName: "f",
      awsRequestId: "r",
      getRemainingTimeInMillis: () => invokedAt.t + remaining - Date.now(),
    } as never);
  };
  return { invoke, sweeps, opened };
}

describe("the function's consistency sweep", () => {
  const quiet = () => vi.spyOn(process.stdout, "write").mockImplementation(() => true);

  it("a slice after the scheduled probe, the writer (from the probe) as the reference: the pass finds B's row", async () => {
    const spy = quiet();
    try {
      const { invoke, sweeps, opened } = swept();
      const r = await invoke(40_000);
      expect(r).toMatchObject({ probes: [{ status: "HEALTHY", committed: true }] });
      expect(opened).toMatchObject([{ pair: "swept", reference: "a" }]);
      expect(sweeps.item?.record.last).toMatchObject({ reason: "first", rows: 50, differing: 1 });
      expect(sweeps.item?.leaseUntil).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });

  it("no slice without the time for one after the probe (1 s plus the reserve)", async () => {
    const spy = quiet();
    try {
      const { invoke, sweeps, opened } = swept();
      await invoke(env.DEADLINE_MARGIN_MS + SWEEP_RESERVE_MS + 500);
      expect(opened).toEqual([]);
      expect(sweeps.item).toBeNull();
    } finally {
      spy.mockRestore();
    }
  });
});
