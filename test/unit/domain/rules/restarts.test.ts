import { describe, expect, it } from "vitest";
import { assess } from "../../../../shared/domain/assess.ts";
import { heartbeatLagMs } from "../../../../shared/domain/rules/replication.ts";
import {
  errorStamp,
  keepalivedPids,
  keepalivedRestartFindings,
  mysqlRestartFindings,
  replicationRestartFindings,
  startedAtOf,
} from "../../../../shared/domain/rules/restarts.ts";
import type { ReplicationChannel, SqlObservation } from "../../../../shared/domain/sql.ts";
import { input, nodesView, sqlView } from "../../../helpers/cluster.ts";
import { ok } from "../../../helpers/node-reports.ts";

const withUptime = (o: SqlObservation, uptimeSeconds: number, replicaStops = 1): SqlObservation => ({
  ...o,
  ...(o.server ? { server: { ...o.server, uptimeSeconds, replicaStops } } : {}),
});
const probeAt = (iso: string, uptimeB: number, startsB = 1) => {
  const v = sqlView("a");
  const b = withUptime({ ...v.b, observedAt: iso }, uptimeB, startsB);
  return { ...v, b };
};

describe("restarts between probes", () => {
  it("mysqld's uptime shorter than the time since the previous probe: MYSQL_RESTARTED, once", () => {
    const first = assess(input(probeAt("2026-11-24T10:00:00Z", 5000), nodesView("a")));
    // 60 s later the uptime is 20 s: it started 40 s after the previous probe
    const second = assess(input(probeAt("2026-11-24T10:01:00Z", 20), nodesView("a"), first));
    const f = second.findings.find((x) => x.code === "MYSQL_RESTARTED");
    expect(f).toMatchObject({ subject: "b", key: "2026-11-24T10:00:40.000Z" });
    expect(second.status).toBe("HEALTHY"); // an event: an incident, not a status
    const third = assess(input(probeAt("2026-11-24T10:02:00Z", 80), nodesView("a"), second));
    expect(third.findings.map((x) => x.code)).not.toContain("MYSQL_RESTARTED");
  });

  it("the same start time, give or take the probe's jitter, is no restart", () => {
    const first = assess(input(probeAt("2026-11-24T10:00:00Z", 5000), nodesView("a")));
    const second = assess(input(probeAt("2026-11-24T10:01:00.900Z", 5060), nodesView("a"), first));
    expect(second.findings.map((x) => x.code)).not.toContain("MYSQL_RESTARTED");
  });

  it("STOP SLAVE/REPLICA run since the previous probe, replicating again now: REPLICATION_RESTARTED", () => {
    const first = assess(input(probeAt("2026-11-24T10:00:00Z", 5000, 1), nodesView("a")));
    const second = assess(input(probeAt("2026-11-24T10:01:00Z", 5060, 2), nodesView("a"), first));
    expect(second.findings.find((x) => x.code === "REPLICATION_RESTARTED")).toMatchObject({
      subject: "b",
      key: "stops:2",
    });
  });

  it("keepalived with another pid: KEEPALIVED_RESTARTED", () => {
    const first = assess(input(sqlView("a"), nodesView("a")));
    const nodes = nodesView("a");
    if (nodes.b.ok) nodes.b.report.keepalived.pid = 4242;
    const second = assess(input(sqlView("a"), nodes, first));
    expect(second.findings.find((x) => x.code === "KEEPALIVED_RESTARTED")).toMatchObject({
      subject: "b",
      key: "pid:4242",
    });
  });
});

describe("heartbeat delay", () => {
  it("0 when the node has the latest write; else the age of the oldest write it has not applied", () => {
    expect(heartbeatLagMs(3000, [1000, 2000, 3000], 3010)).toBe(0);
    expect(heartbeatLagMs(1000, [1000, 2000, 3000], 3010)).toBe(1010);
    expect(heartbeatLagMs(0, [1000, 2000], 2500)).toBe(1500);
    expect(heartbeatLagMs(null, [1000], 2000)).toBeNull();
    expect(heartbeatLagMs(undefined, [1000], 2000)).toBeNull();
  });

  it("the standby's delay comes from the heartbeat when on: a dead IO thread shows, Seconds_Behind_Source does not", () => {
    const v = sqlView("a");
    const b = { ...v.b, observedAt: "2026-11-24T10:01:00Z" };
    if (b.server) b.server = { ...b.server, heartbeatSeen: Date.parse("2026-11-24T10:00:00Z") };
    const writes = [Date.parse("2026-11-24T10:00:00Z"), Date.parse("2026-11-24T10:00:25Z")];
    const prev = { memory: { sql: { heartbeatWrites: writes } } } as never;
    const a = assess({
      ...input({ ...v, b }, nodesView("a"), prev),
      heartbeat: {
        writtenAt: Date.parse("2026-11-24T10:00:59Z"),
        ok: true,
        durationMs: 3,
        serverId: 1,
        serverUuid: null,
        gtid: null,
      },
    });
    expect(a.nodes.b.replication?.lagSeconds).toBe(35);
    expect(a.findings.find((x) => x.code === "REPLICATION_LAG")?.evidence).toMatchObject({
      lagSource: "heartbeat",
    });
  });
});

describe("a restart after an outage a probe saw", () => {
  it("mysqld seen down by one probe (too short to confirm, not mailed), up again with a new start: MYSQL_RESTARTED, once", () => {
    // one probe saw the crash (unconfirmed: no mail for it); without this the restart was lost
    const first = assess(input(probeAt("2026-11-24T10:00:00Z", 5000), nodesView("a")));
    const down = assess(input(sqlView("a", ["b"]), nodesView("a"), first));
    const back = assess(input(probeAt("2026-11-24T10:02:00Z", 20), nodesView("a"), down));
    const f = back.findings.find((x) => x.code === "MYSQL_RESTARTED");
    expect(f?.evidence).toMatchObject({ previousStart: "2026-11-24T08:36:40.000Z", uptimeSeconds: 20 });
    const after = assess(input(probeAt("2026-11-24T10:02:30Z", 50), nodesView("a"), back));
    expect(after.findings.map((x) => x.code)).not.toContain("MYSQL_RESTARTED");
  });

  it("mysqld seen down by two probes (a confirmed outage, mailed), back with a new start: no MYSQL_RESTARTED", () => {
    const first = assess(input(probeAt("2026-11-24T10:00:00Z", 5000), nodesView("a")));
    const down = assess(input(sqlView("a", ["b"]), nodesView("a"), first));
    const down2 = assess(input(sqlView("a", ["b"]), nodesView("a"), down));
    const back = assess(input(probeAt("2026-11-24T10:02:00Z", 20), nodesView("a"), down2));
    expect(back.findings.map((x) => x.code)).not.toContain("MYSQL_RESTARTED");
  });

  it("mysqld unreachable for one probe and back with the same start (a network blip): no MYSQL_RESTARTED", () => {
    const first = assess(input(probeAt("2026-11-24T10:00:00Z", 5000), nodesView("a")));
    const down = assess(input(sqlView("a", ["b"]), nodesView("a"), first));
    const back = assess(input(probeAt("2026-11-24T10:05:00Z", 5300), nodesView("a"), down));
    expect(back.findings.map((x) => x.code)).not.toContain("MYSQL_RESTARTED");
  });
});

describe("the restart rules, one by one", () => {
  const obs = (uptimeSeconds: number | null, replicaStops: number | null = 3): SqlObservation => {
    const o = sqlView("a").b;
    return {
      ...o,
      observedAt: "2026-11-24T10:01:00.000Z",
      ...(o.server ? { server: { ...o.server, uptimeSeconds, replicaStops } as never } : {}),
    };
  };
  const channel = (c: Partial<ReplicationChannel> = {}): ReplicationChannel => ({
    channel: "",
    sourceHost: "192.0.2.11",
    sourcePort: 3306,
    sourceServerId: 1,
    sourceUuid: null,
    ioState: "Yes",
    ioRunning: true,
    sqlRunning: true,
    lagSeconds: 0,
    lastIoErrno: null,
    lastIoError: "",
    lastSqlErrno: null,
    lastSqlError: "",
    lastIoErrorTimestamp: "",
    lastSqlErrorTimestamp: "",
    gtidAutoPosition: true,
    retrievedGtids: "",
    sqlDelaySeconds: 0,
    ...c,
  });
  const memory = (m: Partial<{ replicaStops: number | null; errorStamps: string | null }> = {}) => ({
    replicaStops: { a: null, b: m.replicaStops === undefined ? 2 : m.replicaStops },
    errorStamps: { a: null, b: m.errorStamps === undefined ? "" : m.errorStamps },
    startedAt: { a: null, b: null },
  });

  it("startedAtOf: the probe's time minus the uptime; null without an uptime", () => {
    expect(startedAtOf(obs(60))).toBe(Date.parse("2026-11-24T10:00:00.000Z"));
    expect(startedAtOf(obs(null))).toBeNull();
  });

  it("MYSQL_RESTARTED only past the 5 s tolerance, with its message, evidence and key", () => {
    const started = Date.parse("2026-11-24T10:00:00.000Z");
    expect(mysqlRestartFindings("b", obs(60), started - 5000)).toEqual([]);
    expect(mysqlRestartFindings("b", obs(60), null)).toEqual([]);
    expect(mysqlRestartFindings("b", obs(null), started)).toEqual([]);
    const [f] = mysqlRestartFindings("b", obs(60), started - 5001);
    expect(f).toMatchObject({ code: "MYSQL_RESTARTED", subject: "b", key: "2026-11-24T10:00:00.000Z" });
    expect(f?.message).toMatch(
      /^mysqld on node B restarted since the previous probe \(up since 2026-11-24T10:00:00\.000Z, /,
    );
    expect(f?.evidence).toMatchObject({ uptimeSeconds: 60 });
  });

  it("REPLICATION_RESTARTED from the STOP counter: only while replicating, not across a mysqld restart, counted", () => {
    const once = replicationRestartFindings("b", obs(60, 3), channel(), memory(), false);
    expect(once).toEqual([
      expect.objectContaining({
        code: "REPLICATION_RESTARTED",
        subject: "b",
        key: "stops:3",
        message:
          "Replication on node B was stopped and started again since the previous probe (STOP SLAVE/REPLICA ran 1 time).",
        evidence: { stopCommands: 1, counter: 3 },
      }),
    ]);
    expect(replicationRestartFindings("b", obs(60, 5), channel(), memory(), false)[0]?.message).toContain(
      "ran 3 times",
    );
    expect(replicationRestartFindings("b", obs(60, 2), channel(), memory(), false)).toEqual([]);
    expect(replicationRestartFindings("b", obs(60, 3), channel(), memory(), true)).toEqual([]);
    expect(
      replicationRestartFindings("b", obs(60, 3), channel({ sqlRunning: false }), memory(), false),
    ).toEqual([]);
    expect(
      replicationRestartFindings("b", obs(60, 3), channel(), memory({ replicaStops: null }), false),
    ).toEqual([]);
  });

  it("REPLICATION_RESTARTED from a new error timestamp, once replication runs again", () => {
    const err = channel({ lastIoError: "error reconnecting", lastIoErrorTimestamp: "241124 10:00:30" });
    const [f] = replicationRestartFindings("b", obs(60, 2), err, memory(), false);
    expect(f).toMatchObject({
      code: "REPLICATION_RESTARTED",
      key: "error:241124 10:00:30|",
      message:
        "Replication into node B stopped with an error since the previous probe and runs again (error reconnecting).",
    });
    expect(
      replicationRestartFindings("b", obs(60, 2), err, memory({ errorStamps: "241124 10:00:30|" }), false),
    ).toEqual([]);
    expect(replicationRestartFindings("b", obs(60, 2), err, memory({ errorStamps: null }), false)).toEqual(
      [],
    );
    expect(
      replicationRestartFindings("b", obs(60, 2), { ...err, ioRunning: false }, memory(), false),
    ).toEqual([]);
    expect(errorStamp(null)).toBeNull();
    expect(errorStamp(channel())).toBe("");
    expect(errorStamp(channel({ lastSqlErrorTimestamp: "t2" }))).toBe("|t2");
  });

  it("KEEPALIVED_RESTARTED: another pid while running; not when unseen before, same pid, or not running", () => {
    const r = (pid: number | null, running = true) => {
      const res = ok({ keepalived: running ? "BACKUP" : "down" });
      if (res.ok) res.report.keepalived.pid = pid;
      return res;
    };
    const [f] = keepalivedRestartFindings("a", r(200), 100);
    expect(f).toEqual(
      expect.objectContaining({
        code: "KEEPALIVED_RESTARTED",
        subject: "a",
        key: "pid:200",
        message: "keepalived on node A restarted since the previous probe (pid 100 → 200).",
        evidence: { pid: 200, previousPid: 100 },
      }),
    );
    expect(keepalivedRestartFindings("a", r(100), 100)).toEqual([]);
    expect(keepalivedRestartFindings("a", r(200), null)).toEqual([]);
    expect(keepalivedRestartFindings("a", r(null), 100)).toEqual([]);
    expect(
      keepalivedPids({ a: r(200), b: { ok: false, reason: "timeout", detail: "", durationMs: 1 } }),
    ).toEqual({
      a: 200,
      b: null,
    });
  });
});
