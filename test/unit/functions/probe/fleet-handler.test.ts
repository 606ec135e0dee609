/**
 * One function, many pairs: a scheduled invocation probes the pair its event names (its hosts, its
 * state under its own name), a bad pair fails only its own invocations, and an event naming no pair is
 * an error, never a probe of some default pair.
 */
import { describe, expect, it, vi } from "vitest";
import { parseEnv } from "../../../../functions/probe/env.ts";
import { parseFleet } from "../../../../functions/probe/fleet.ts";
import { buildHandler, oneAtATime } from "../../../../functions/probe/handler.ts";
import type { SqlEndpoint, StateStore } from "../../../../shared/ports.ts";
import { nodesView, sqlView } from "../../../helpers/cluster.ts";
import { memoryStore, ScriptedCluster } from "../../../helpers/fake-ports.ts";

const pair = (name: string, net: number, extra: Record<string, unknown> = {}) => ({
  name,
  vip: { host: `192.0.${net}.100` },
  mysql: { user: "prober", tls: { mode: "disabled" } },
  nodes: {
    a: { host: `192.0.${net}.11`, runner: { type: "ssm", instanceId: `i-0${net}23456789abcdef0` } },
    b: { host: `192.0.${net}.12`, runner: { type: "ssm", instanceId: `i-0${net}edcba9876543210` } },
  },
  ...extra,
});
const env = parseEnv({
  TABLE_NAME: "t-fleet",
  MAIL_FROM: "prober@example.com",
  MAIL_TO: "ops@example.com",
  PASSWORD_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x",
});
const context = { functionName: "f", awsRequestId: "r", getRemainingTimeInMillis: () => 20_000 } as never;

function fleetHandler(pairs: unknown[]) {
  const c = new ScriptedCluster(sqlView("a"), nodesView("a"));
  const asked: SqlEndpoint[] = [];
  const committed: string[] = [];
  const store = memoryStore();
  const recording: StateStore = {
    ...store,
    commit: async (cluster, expected, next) => {
      committed.push(cluster);
      return store.commit(cluster, expected, next);
    },
  };
  const handler = buildHandler(
    env,
    {
      sql: {
        observe: (e, d) => {
          asked.push(e);
          return c.probe.observe(e, d);
        },
      },
      nodeCheckers: { a: c.checker("a"), b: c.checker("b") },
      store: recording,
      notifier: { send: async () => undefined },
    },
    { fleet: parseFleet(JSON.stringify(pairs), "fleet.json") },
  );
  return { handler, asked, committed };
}

describe("the fleet's function", () => {
  const quiet = () => vi.spyOn(process.stdout, "write").mockImplementation(() => true);

  it("probes the pair the schedule names: its VIP and nodes, its state under its name", async () => {
    const spy = quiet();
    try {
      // Prepare
      const { handler, asked, committed } = fleetHandler([pair("one", 1), pair("two", 2)]);
      // Act
      const r = await handler({ cluster: "two" }, context);
      // Assess
      expect(r).toMatchObject({ cluster: "two", probes: [{ status: "HEALTHY", committed: true }] });
      expect(asked.map((e) => `${e.name}@${e.host}`).sort()).toEqual([
        "a@192.0.2.11",
        "b@192.0.2.12",
        "vip@192.0.2.100",
      ]);
      expect(committed).toEqual(["two"]);
    } finally {
      spy.mockRestore();
    }
  });

  it("a bad pair fails its own invocations with an error naming it; the next pair probes on", async () => {
    const spy = quiet();
    try {
      const { handler, committed } = fleetHandler([pair("good", 1), pair("bad", 2, { vip: { host: "x" } })]);
      await expect(handler({ cluster: "bad" }, context)).rejects.toThrow(/pair bad[\s\S]*vip\.host/);
      await expect(handler({ cluster: "good" }, context)).resolves.toMatchObject({ cluster: "good" });
      expect(committed).toEqual(["good"]);
    } finally {
      spy.mockRestore();
    }
  });

  it("a schedule of several pairs probes each, side by side; a bad one fails the invocation after the others are done", async () => {
    const spy = quiet();
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      // Prepare
      const { handler, asked, committed } = fleetHandler([
        pair("one", 1),
        pair("bad", 2, { vip: { host: "x" } }),
        pair("three", 3),
      ]);
      // Act / Assess
      await expect(handler({ clusters: ["one", "bad", "three"] }, context)).rejects.toThrow(
        /1 of 3 pairs failed: bad \(invalid configuration in fleet\.json, pair bad:\)/,
      );
      expect(committed.sort()).toEqual(["one", "three"]);
      expect(new Set(asked.map((e) => e.host))).toEqual(
        new Set(["192.0.1.100", "192.0.1.11", "192.0.1.12", "192.0.3.100", "192.0.3.11", "192.0.3.12"]),
      );
      const good = fleetHandler([pair("one", 1), pair("three", 3)]);
      await expect(good.handler({ clusters: ["one", "three"] }, context)).resolves.toEqual({
        clusters: [
          { cluster: "one", probes: [{ status: "HEALTHY", committed: true }] },
          { cluster: "three", probes: [{ status: "HEALTHY", committed: true }] },
        ],
      });
    } finally {
      spy.mockRestore();
      err.mockRestore();
    }
  });

  it("an event without a pair is an error, not a probe of some pair", async () => {
    const spy = quiet();
    try {
      const { handler, asked } = fleetHandler([pair("only", 1)]);
      await expect(handler({ source: "aws.scheduler" }, context)).rejects.toThrow(
        /the invocation's event[\s\S]*cluster/,
      );
      await expect(handler({ cluster: "unknown" }, context)).rejects.toThrow(/"unknown" is not a pair/);
      expect(asked).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });

  it("a pair with a heartbeat needs the heartbeat secret: only that pair fails", async () => {
    const spy = quiet();
    try {
      const { handler } = fleetHandler([pair("plain", 1), pair("beat", 2, { heartbeat: { user: "hb" } })]);
      await expect(handler({ cluster: "beat" }, context)).rejects.toThrow(
        /pair beat[\s\S]*HEARTBEAT_PASSWORD_SECRET_ARN/,
      );
      await expect(handler({ cluster: "plain" }, context)).resolves.toMatchObject({ cluster: "plain" });
    } finally {
      spy.mockRestore();
    }
  });
});

describe("oneAtATime", () => {
  it("calls made while one is in flight share its answer; the next call after it asks again", async () => {
    let calls = 0;
    const fetch = oneAtATime(async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      return `v${calls}`;
    });
    expect(await Promise.all([fetch(), fetch(), fetch()])).toEqual(["v1", "v1", "v1"]);
    expect(calls).toBe(1);
    expect(await fetch()).toBe("v2");
    // a failure is not kept: the next call tries again
    const failing = oneAtATime(async () => {
      calls++;
      throw new Error("denied");
    });
    await expect(failing()).rejects.toThrow("denied");
    await expect(failing()).rejects.toThrow("denied");
    expect(calls).toBe(4);
  });
});
