import { describe, expect, it } from "vitest";
import { assess } from "../../../../shared/domain/assess.ts";
import { heartbeatLagMs } from "../../../../shared/domain/rules/replication.ts";
import type { SqlObservation } from "../../../../shared/domain/sql.ts";
import { input, nodesView, sqlView } from "../../../helpers/cluster.ts";

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

describe("a restart after an outage the probes saw is no news", () => {
  it("mysqld seen down at the previous probe, up again now: no MYSQL_RESTARTED", () => {
    const first = assess(input(probeAt("2026-11-24T10:00:00Z", 5000), nodesView("a")));
    const down = assess(input(sqlView("a", ["b"]), nodesView("a"), first));
    const back = assess(input(probeAt("2026-11-24T10:02:00Z", 20), nodesView("a"), down));
    expect(back.findings.map((x) => x.code)).not.toContain("MYSQL_RESTARTED");
  });
});
