/**
 * The pipeline with the real store (dynalite) and the real mail stand-in (aws-ses-v2-local), both
 * started here; the cluster's views are scripted. Proves: one mail per declared change, history
 * once per transition, one mail when two runs race, and nothing lost while SES is down.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalSes, startDynalite, startSesLocal } from "../../emulators/aws.ts";
import { DynamoStore } from "../../shared/adapters/dynamo-store.ts";
import { SesNotifier } from "../../shared/adapters/ses-notifier.ts";
import type { Alert } from "../../shared/domain/alert-policy.ts";
import { deadlineIn } from "../../shared/domain/types.ts";
import {
  type PipelineDeps,
  type ProbeTarget,
  probeCluster,
  RESERVE_MS,
  StoreUnavailableError,
} from "../../shared/pipeline.ts";
import type { HeartbeatWriter } from "../../shared/ports.ts";
import { nodesView, scriptedTarget, sqlView } from "../helpers/cluster.ts";
import { ScriptedCluster } from "../helpers/fake-ports.ts";

let dynamo: LocalDynamo;
let ses: LocalSes;
beforeAll(async () => {
  [dynamo, ses] = await Promise.all([startDynalite(), startSesLocal()]);
});
afterAll(async () => {
  await Promise.all([dynamo?.stop(), ses?.stop()]);
});

let n = 0;
let clusterName: string;
let clock: number;
let cluster = new ScriptedCluster(sqlView("a"), nodesView("a"));
beforeEach(() => {
  clusterName = `c${++n}-${Date.now()}`;
  clock = Date.parse("2026-11-24T10:00:00Z");
  // honest: each endpoint must be asked at the target's own host and port
  cluster = new ScriptedCluster(sqlView("a"), nodesView("a"), scriptedTarget(clusterName));
});

const target = (): ProbeTarget => scriptedTarget(clusterName);
const deps = (): PipelineDeps => ({
  sql: cluster.probe,
  nodeCheckers: { a: cluster.checker("a"), b: cluster.checker("b") },
  store: new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName }),
  notifier: new SesNotifier({ client: ses.client, from: "prober@example.com", to: ["ops@example.com"] }),
  now: () => new Date(clock),
});
const probe = async () => {
  clock += 10_000;
  return probeCluster(target(), deps(), deadlineIn(10_000));
};
const mailsFor = async () => (await ses.mails()).filter((m) => m.subject.includes(`${clusterName}:`));

describe("what the pipeline asks its observers", () => {
  it("each endpoint at its own host and port; Since from the node's last report; observing ends RESERVE_MS before the deadline", async () => {
    // Prepare: a first probe, whose node reports carry the nodes' clocks
    await probe();
    const epochs = { a: nodesView("a").a, b: nodesView("a").b };
    const calls = cluster.calls.splice(0);
    expect(
      calls.filter((c) => c.port === "node-check").map((c) => (c.port === "node-check" ? c.params.Since : 0)),
    ).toEqual([undefined, undefined]);
    // Act: the next probe, with a deadline 10 s out
    const before = Date.now();
    clock += 10_000;
    await probeCluster(target(), deps(), deadlineIn(10_000));
    // Assess
    const sql = cluster.calls.filter((c) => c.port === "sql");
    expect(
      sql.map((c) => (c.port === "sql" ? `${c.endpoint.name}@${c.endpoint.host}:${c.endpoint.port}` : "")),
    ).toEqual(expect.arrayContaining(["vip@192.0.2.100:3306", "a@192.0.2.11:3306", "b@192.0.2.12:3307"]));
    for (const id of ["a", "b"] as const) {
      const c = cluster.calls.find((x) => x.port === "node-check" && x.node === id);
      const r = epochs[id];
      expect(c?.port === "node-check" && c.params.Since).toBe(r.ok ? Math.floor(r.report.epoch) : -1);
    }
    for (const c of cluster.calls) {
      expect(c.deadlineAt).toBeLessThanOrEqual(before + 10_000 - RESERVE_MS + 50);
      expect(c.deadlineAt).toBeGreaterThanOrEqual(before + 10_000 - RESERVE_MS - 1000);
    }
  });

  it("with sinceHints, a warm probe's node checks start beside the store read, with the Since loaded at the probe before", async () => {
    // Prepare: a store whose read takes 300 ms, noting how many node checks had started when it answered
    const startedAtLoad: number[] = [];
    const nodeChecks = () => cluster.calls.filter((c) => c.port === "node-check").length;
    class SlowStore extends DynamoStore {
      override async load(name: string) {
        await new Promise((r) => setTimeout(r, 300));
        startedAtLoad.push(nodeChecks() - before);
        return super.load(name);
      }
    }
    let before = 0;
    const sinceHints: PipelineDeps["sinceHints"] = new Map();
    const hinted = (): PipelineDeps => ({
      ...deps(),
      store: new SlowStore({ client: dynamo.client, tableName: dynamo.tableName }),
      sinceHints,
    });
    const epochs = { a: nodesView("a").a, b: nodesView("a").b };
    // Act: three probes; the first stores a state, the second loads it (and keeps its Since), the third uses it
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) {
      before = nodeChecks();
      clock += 10_000;
      statuses.push((await probeCluster(target(), hinted(), deadlineIn(10_000))).state.status);
    }
    // Assess: only the third probe's node checks had started before the store answered
    expect(startedAtLoad).toEqual([0, 0, 2]);
    const third = cluster.calls.filter((c) => c.port === "node-check").slice(-2);
    for (const c of third) {
      const r = epochs[c.port === "node-check" ? c.node : "a"];
      expect(c.port === "node-check" && c.params.Since).toBe(r.ok ? Math.floor(r.report.epoch) : -1);
    }
    expect(statuses).toEqual(["HEALTHY", "HEALTHY", "HEALTHY"]);
  });

  it("a wrong call fails loudly: node B probed at node A's address is an error, not a quiet answer", async () => {
    const wrong = {
      ...target(),
      nodes: { ...target().nodes, b: { ...target().nodes.b, host: "192.0.2.11" } },
    };
    await expect(probeCluster(wrong, deps(), deadlineIn(10_000))).rejects.toThrow(
      /b asked at 192\.0\.2\.11:3307, expected 192\.0\.2\.12:3307/,
    );
  });
});

describe("the heartbeat waits for its row on both nodes", () => {
  it("no write after a probe that found a node without the row; writes again once the row is back", async () => {
    // Prepare: a writer that counts its writes; node B's read finds no heartbeat row
    const written: number[] = [];
    const heartbeat: HeartbeatWriter = {
      beat: async (_e, writtenAt) => {
        written.push(writtenAt);
        return { writtenAt, ok: true, durationMs: 1, serverId: 1, serverUuid: null, gtid: null };
      },
    };
    const noRow = sqlView("a");
    const b = noRow.b.server;
    if (!b) throw new Error("fixture: node B up");
    noRow.b = { ...noRow.b, server: { ...b, heartbeatRowMissing: true } };
    cluster.set(noRow, nodesView("a"));
    const beat = async () => {
      clock += 10_000;
      return probeCluster(target(), { ...deps(), heartbeat }, deadlineIn(10_000));
    };
    // Act, Assess: the first probe knew nothing yet (it writes), and reports the row missing
    const first = await beat();
    expect(written).toHaveLength(1);
    expect(first.state.findings.map((f) => `${f.code}@${f.subject}`)).toContain("HEARTBEAT_ROW_MISSING@b");
    // the next one does not write: its update would reach B, which has no row to update
    await beat();
    expect(written).toHaveLength(1);
    // the row is back on B: this probe reads it (still no write), the next writes again
    cluster.set(sqlView("a"), nodesView("a"));
    await beat();
    expect(written).toHaveLength(1);
    await beat();
    expect(written).toHaveLength(2);
  });
});

describe("heartbeats written while the store is down", () => {
  it("are still the prober's own at the next stored probe: no errant write, given the process's heartbeat hints", async () => {
    // Prepare: the standby B (own transactions UB:1-7); the heartbeat lands on A, except during the
    // outage, where the VIP answered on B (a split brain) and the write took UB:8 there
    const UB = "8a94f357-aab4-11df-86ab-c80aa9429562";
    const UA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    const viewWith = (bOwn: number) => {
      const v = sqlView("a");
      const b = v.b.server;
      if (b?.gtid?.kind !== "mysql") throw new Error("fixture: MySQL node B");
      v.b = { ...v.b, server: { ...b, gtid: { ...b.gtid, executed: `${UA}:1-120,${UB}:1-${bOwn}` } } };
      return v;
    };
    let landing = { serverId: 1, serverUuid: UA, gtid: `${UA}:121` };
    const heartbeat: HeartbeatWriter = {
      beat: async (_e, writtenAt) => ({ writtenAt, ok: true, durationMs: 1, ...landing }),
    };
    const real = new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName });
    let storeDown = false;
    const store = Object.create(real) as DynamoStore;
    store.commit = (...a: Parameters<DynamoStore["commit"]>) =>
      storeDown ? Promise.reject(new Error("ServiceUnavailable")) : real.commit(...a);
    const run = (hints?: Map<string, string[]>) => async () => {
      clock += 10_000;
      return probeCluster(
        target(),
        { ...deps(), store, heartbeat, ...(hints ? { heartbeatHints: hints } : {}) },
        deadlineIn(10_000),
      );
    };
    const errant = (r: { state: { findings: { code: string }[] } }) =>
      r.state.findings.map((f) => f.code).filter((c) => /ERRANT|WRITES_ON_PREVIOUS/.test(c));
    for (const hints of [new Map<string, string[]>(), undefined]) {
      clusterName = `hb-outage-${hints ? "hints" : "none"}-${Date.now()}`;
      cluster = new ScriptedCluster(viewWith(7), nodesView("a"), scriptedTarget(clusterName));
      const probe = run(hints);
      landing = { serverId: 1, serverUuid: UA, gtid: `${UA}:121` };
      await probe();
      // Act: the outage; the heartbeat lands on B as UB:8
      storeDown = true;
      landing = { serverId: 2, serverUuid: UB, gtid: `${UB}:8` };
      cluster.set(viewWith(8), nodesView("a"));
      await expect(probe()).rejects.toThrow(/state store failed during commit/);
      storeDown = false;
      landing = { serverId: 1, serverUuid: UA, gtid: `${UA}:122` };
      const back = await probe();
      // Assess: with the hints, UB:8 is the prober's own; without them it reads as a write on B
      if (hints) expect(errant(back)).toEqual([]);
      else expect(errant(back)).not.toEqual([]);
    }
  });
});

describe("pipeline with dynalite and aws-ses-v2-local", () => {
  it("mails once per declared change and keeps each transition once in the history", async () => {
    await probe(); // first probe: HEALTHY, no mail
    await probe();
    cluster.set(sqlView("b", ["a"]), nodesView("b")); // failover: A's MySQL died, the VIP moved to B
    const failover = await probe();
    expect(failover.transition).toEqual({ from: "HEALTHY", to: "DEGRADED" });
    await probe();
    cluster.set(sqlView("b"), nodesView("b")); // A recovered (nopreempt: the VIP stays on B)
    await probe();
    const resolved = await probe();
    expect(resolved.transition).toEqual({ from: "DEGRADED", to: "HEALTHY" });
    cluster.set(sqlView("b"), nodesView("both")); // VRRP blocked: split brain
    const sb = await probe();
    expect(sb.state.status).toBe("SPLIT_BRAIN");
    cluster.set(sqlView("b"), nodesView("b"));
    await probe();
    await probe();

    const subjects = (await mailsFor()).map((m) => m.subject.replace(`${clusterName}: `, ""));
    expect(subjects).toEqual([
      "[mysql-ha] HEALTHY -> DEGRADED (FAILOVER A -> B)",
      "[mysql-ha] DEGRADED -> HEALTHY",
      "[mysql-ha] HEALTHY -> *** SPLIT BRAIN ***",
      "[mysql-ha] *** SPLIT BRAIN *** -> HEALTHY",
    ]);
    const failoverMail = (await mailsFor())[0];
    expect(failoverMail?.text).toMatch(/Failover: the VIP moved from node A to node B/);
    expect(failoverMail?.to).toEqual(["ops@example.com"]);

    const store = new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName });
    const history = await store.history(clusterName, new Date(0), new Date(clock + 1));
    expect(history.map((h) => `${h.from}->${h.to}`)).toEqual([
      "null->HEALTHY",
      "HEALTHY->DEGRADED",
      "DEGRADED->HEALTHY",
      "HEALTHY->SPLIT_BRAIN",
      "SPLIT_BRAIN->HEALTHY",
    ]);
    const current = await store.load(clusterName);
    expect(current?.outbox).toEqual([]);
    expect(current?.historyOutbox).toEqual([]);
  });

  it("two runs started at the same moment on the same transition send one mail, not two", async () => {
    await probe();
    cluster.set(sqlView("a"), nodesView("both"));
    clock += 10_000;
    const [r1, r2] = await Promise.all([
      probeCluster(target(), deps(), deadlineIn(10_000)),
      probeCluster(target(), deps(), deadlineIn(10_000)),
    ]);
    expect([r1.committed, r2.committed].sort()).toEqual([false, true]);
    expect((await mailsFor()).map((m) => m.subject)).toEqual([
      `[mysql-ha] ${clusterName}: HEALTHY -> *** SPLIT BRAIN ***`,
    ]);
  });

  it("while SES is down nothing is lost: alerts stay in the outbox and go out in order when it is back", async () => {
    await probe();
    await ses.stop();
    try {
      cluster.set(sqlView("a"), nodesView("both"));
      const sb = await probe();
      expect(sb.state.status).toBe("SPLIT_BRAIN");
      expect(sb.sent).toEqual([]);
      expect(sb.unsent.map((u) => u.alert.to)).toEqual(["SPLIT_BRAIN"]);
      cluster.set(sqlView("a"), nodesView("a"));
      await probe();
      const healed = await probe(); // HEALTHY declared: a second alert queued behind the first
      expect(healed.transition?.to).toBe("HEALTHY");
      expect(healed.unsent.map((u) => u.alert.kind)).toEqual(["transition", "resolved"]);
      const store = new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName });
      expect((await store.load(clusterName))?.outbox.map((a) => a.to)).toEqual(["SPLIT_BRAIN", "HEALTHY"]);
    } finally {
      await ses.start();
    }
    const next = await probe();
    expect(next.sent.map((a) => a.to)).toEqual(["SPLIT_BRAIN", "HEALTHY"]);
    expect((await mailsFor()).map((m) => m.subject.replace(`${clusterName}: `, ""))).toEqual([
      "[mysql-ha] HEALTHY -> *** SPLIT BRAIN ***",
      "[mysql-ha] *** SPLIT BRAIN *** -> HEALTHY",
    ]);
    const store = new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName });
    expect((await store.load(clusterName))?.outbox).toEqual([]);
    expect((await probe()).sent).toEqual([]);
  });

  it("an alert the mail service refuses holds back the ones after it (the outbox goes out in order)", async () => {
    await probe();
    await ses.stop();
    try {
      cluster.set(sqlView("a"), nodesView("both"));
      await probe(); // SPLIT_BRAIN queued, unsent
      cluster.set(sqlView("a"), nodesView("a"));
      await probe(); // HEALTHY seen once: not declared yet
    } finally {
      await ses.start();
    }
    // Act: the mail service refuses the first (oldest) alert once; the second must wait behind it
    let refused = 0;
    const real = deps().notifier;
    const d = {
      ...deps(),
      notifier: {
        send: async (a: Alert, dl: Parameters<typeof real.send>[1]) => {
          if (a.to === "SPLIT_BRAIN" && refused++ === 0)
            throw new Error("Throttling: maximum sending rate exceeded");
          return real.send(a, dl);
        },
      },
    };
    clock += 10_000;
    const r = await probeCluster(target(), d, deadlineIn(10_000));
    // Assess
    expect(r.transition?.to).toBe("HEALTHY");
    expect(r.sent).toEqual([]);
    expect(r.unsent.map((u) => [u.alert.to, u.error])).toEqual([
      ["SPLIT_BRAIN", "Throttling: maximum sending rate exceeded"],
      ["HEALTHY", "an earlier alert is still unsent"],
    ]);
    expect(await mailsFor()).toEqual([]);
  });

  it("a long SES outage during a split brain: 150 unsent alerts of 3.5 KB (over DynamoDB's 400 KB item limit) all stay, in order", async () => {
    // Prepare: the store, and alerts the size of a split-brain reminder
    const store = new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName });
    const body = "x".repeat(3500);
    let version: number | null = null;
    let outbox: Alert[] = [];
    const state = (await probe()).state;
    version = (await store.load(clusterName))?.version ?? null;
    outbox = (await store.load(clusterName))?.outbox ?? [];
    // Act: 150 commits, each adding one alert nobody could send
    for (let i = 0; i < 150; i++) {
      const alert: Alert = {
        id: `reminder-${i}`,
        cluster: clusterName,
        kind: "reminder",
        from: "SPLIT_BRAIN",
        to: "SPLIT_BRAIN",
        createdAt: new Date(Date.parse("2026-11-24T10:00:00Z") + i * 900_000).toISOString(),
        subject: `still split ${i}`,
        text: body,
        html: body,
      };
      const c = await store.commit(clusterName, version, {
        state,
        addAlerts: [alert],
        addHistory: [],
        keepOutbox: outbox,
        keepHistory: [],
      });
      expect(c.committed).toBe(true);
      version = c.committed ? c.version : version;
      outbox = [...outbox, alert];
    }
    // Assess: everything is there, oldest first, and a sent one leaves the outbox
    const loaded = await store.load(clusterName);
    expect(loaded?.outbox.map((a) => a.subject)).toEqual(outbox.map((a) => a.subject));
    expect(loaded?.outbox[149]?.html).toBe(body);
    await store.markSent(clusterName, "reminder-0");
    expect((await store.load(clusterName))?.outbox).toHaveLength(149);
  });

  it("the store down: the probe's verdict still reaches the metrics (the alarms' channel), then the error names the store", async () => {
    // Prepare: a store nobody answers, a metrics sink that records
    const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
    const dead = new DynamoDBClient({
      endpoint: "http://127.0.0.1:9",
      region: "local",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
      maxAttempts: 1,
    });
    const published: string[] = [];
    cluster.set(sqlView("a"), nodesView("both"));
    // Act
    const run = probeCluster(
      target(),
      {
        ...deps(),
        store: new DynamoStore({ client: dead, tableName: "t-down", callTimeoutMs: 1000 }),
        metrics: { publish: (s) => published.push(s.status) },
      },
      deadlineIn(10_000),
    );
    // Assess
    await expect(run).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(run).rejects.toThrow(/state store failed during load/);
    expect(published).toEqual(["SPLIT_BRAIN"]);
    dead.destroy();
  });
});
