/**
 * The whole assessment over one scenario per rule branch on the SQL side (endpoints, the VIP's
 * identity, replication, lag, pair configuration, restarts between probes, writes), each verdict whole
 * (status, reasons, VIP owner, node summaries, findings with their messages and evidence) against a
 * reviewed golden file, assess.golden.json. Re-record after a reviewed change:
 * `npx vitest run --project unit -u test/unit/domain/assess-golden.test.ts`.
 */
import { describe, expect, it } from "vitest";
import {
  type FixtureName,
  failed,
  loadFixture,
  observed,
  serverFrom,
} from "../../../emulators/mysql-recordings.ts";
import { type AssessInput, assess } from "../../../shared/domain/assess.ts";
import type { HeartbeatWrite } from "../../../shared/domain/heartbeat.ts";
import type { ServerInfo, SqlObservation } from "../../../shared/domain/sql.ts";
import type { Assessment } from "../../../shared/domain/state.ts";
import { input, nodesView, PAIR } from "../../helpers/cluster.ts";
import { healthy as healthyNodes, MAC, ok } from "../../helpers/node-reports.ts";

const UA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const UB = "8a94f357-aab4-11df-86ab-c80aa9429562";
const NOW = new Date("2026-11-24T10:00:00Z");
const LATER = new Date("2026-11-24T10:01:00Z");

type Over = {
  vars?: Record<string, string>;
  row?: Record<string, unknown>;
  rows?: Record<string, unknown>[];
};

function server(fixture: FixtureName, id: "a" | "b", o: Over = {}): ServerInfo {
  const s = serverFrom(loadFixture(fixture), id, o.vars ?? {}, o.row ?? {});
  return o.rows
    ? { ...s, replication: o.rows.length ? s.replication.map((c) => ({ ...c, ...o.rows?.[0] })) : [] }
    : s;
}

const at = (o: SqlObservation, when: Date): SqlObservation => ({ ...o, observedAt: when.toISOString() });

function sql(
  a: ServerInfo | SqlObservation,
  b: ServerInfo | SqlObservation,
  vip: "a" | "b" | SqlObservation = "a",
) {
  const obs = (id: "a" | "b", x: ServerInfo | SqlObservation) =>
    "endpoint" in x ? x : observed(id, PAIR[id].host, x as ServerInfo);
  const oa = obs("a", a);
  const ob = obs("b", b);
  const v =
    typeof vip === "string"
      ? { ...(vip === "a" ? oa : ob), endpoint: "vip" as const, host: "192.0.2.100" }
      : vip;
  return { vip: v, a: oa, b: ob };
}

const my = (id: "a" | "b", o: Over = {}) => server("mysql-8.4", id, o);

type Scenario = { input: AssessInput };
const one = (s: ReturnType<typeof sql>, extra: Partial<AssessInput> = {}): Scenario => ({
  input: { ...input(s, nodesView("a"), null, NOW), ...extra },
});

/** Two probes: the first healthy (or as given), the second as given, a minute later. */
function twice(
  first: ReturnType<typeof sql>,
  second: ReturnType<typeof sql>,
  extra: Partial<AssessInput> = {},
) {
  const { nodes: _laterNodes, ...firstExtra } = extra;
  const before = assess({ ...input(first, nodesView("a"), null, NOW), ...firstExtra });
  const later = {
    vip: at(second.vip, LATER),
    a: at(second.a, LATER),
    b: at(second.b, LATER),
  };
  return {
    input: { ...input(later, extra.nodes ?? nodesView("a"), before, LATER), ...extra, previous: before },
  };
}

const healthySql = () => sql(my("a"), my("b"));

/** Probes a minute apart, each with the previous one's state; the last one is the scenario. */
function sequence(
  steps: { sql: ReturnType<typeof sql>; nodes?: AssessInput["nodes"]; heartbeat?: HeartbeatWrite }[],
): Scenario {
  let previous: Assessment | null = null;
  let last: AssessInput | null = null;
  steps.forEach((step, i) => {
    const when = new Date(NOW.getTime() + i * 60_000);
    const view = { vip: at(step.sql.vip, when), a: at(step.sql.a, when), b: at(step.sql.b, when) };
    last = {
      ...input(view, step.nodes ?? nodesView("a"), previous, when),
      ...(step.heartbeat ? { heartbeat: step.heartbeat } : {}),
    };
    if (i < steps.length - 1) previous = assess(last);
  });
  return { input: last as unknown as AssessInput };
}

const beat = (i: number, landedOn: "a" | "b" = "a"): HeartbeatWrite => ({
  writtenAt: NOW.getTime() + i * 60_000,
  ok: true,
  durationMs: 3,
  serverId: landedOn === "a" ? 1 : 2,
  serverUuid: landedOn === "a" ? UA : UB,
  gtid: null,
});
const seenBy = (s: ServerInfo, seen: number | null): ServerInfo => ({ ...s, heartbeatSeen: seen });

const scenarios: Record<string, Scenario> = {
  "healthy, MySQL 8.4": one(healthySql()),
  "healthy, MySQL 5.7": one(sql(server("mysql-5.7", "a"), server("mysql-5.7", "b"))),
  "healthy, MariaDB 10.11 (no server_uuid)": one(
    sql(server("mariadb-10.11", "a"), server("mariadb-10.11", "b")),
  ),
  "the VIP on B": { input: input(sql(my("a"), my("b"), "b"), nodesView("b"), null, NOW) },
  "VIP timeout, nodes fine": one(sql(my("a"), my("b"), failed("vip", "192.0.2.100", "timeout"))),
  "node B refused": one(sql(my("a"), failed("b", PAIR.b.host, "refused"))),
  "node A auth failed": one(sql(failed("a", PAIR.a.host, "auth"), my("b"), "b")),
  "node B too many connections": one(sql(my("a"), failed("b", PAIR.b.host, "too_many_connections"))),
  "node B privilege missing after connecting": one(sql(my("a"), failed("b", PAIR.b.host, "privilege", true))),
  "node B TLS failed": one(sql(my("a"), failed("b", PAIR.b.host, "tls"))),
  "node B bad result": one(sql(my("a"), failed("b", PAIR.b.host, "bad_result", true))),
  "everything unreachable": one(
    sql(
      failed("a", PAIR.a.host, "refused"),
      failed("b", PAIR.b.host, "unreachable"),
      failed("vip", "192.0.2.100", "timeout"),
    ),
  ),
  "the VIP lands on a third server": one(
    sql(
      my("a"),
      my("b"),
      observed(
        "vip",
        "192.0.2.100",
        my("a", { vars: { server_uuid: "11111111-1111-1111-1111-111111111111", server_id: "9" } }),
      ),
    ),
  ),
  "a field the parser did not know": one(sql(my("a", { vars: { read_only: "MAYBE" } }), my("b"))),
  "B's IO thread stopped with an error": one(
    sql(
      my("a"),
      my("b", {
        row: {
          Replica_IO_Running: "No",
          Last_IO_Errno: 2003,
          Last_IO_Error: "Can't connect to MySQL server on '192.0.2.11'",
        },
      }),
    ),
  ),
  "B's IO thread connecting": one(sql(my("a"), my("b", { row: { Replica_IO_Running: "Connecting" } }))),
  "B's SQL thread stopped with an error": one(
    sql(
      my("a"),
      my("b", {
        row: {
          Replica_SQL_Running: "No",
          Last_SQL_Errno: 1062,
          Last_SQL_Error: "Duplicate entry '5' for key 'PRIMARY'",
        },
      }),
    ),
  ),
  "A's SQL thread stopped without an error": one(
    sql(my("a", { row: { Replica_SQL_Running: "No" } }), my("b")),
  ),
  "B runs but reports an error": one(
    sql(my("a"), my("b", { row: { Last_IO_Errno: 1236, Last_IO_Error: "binlog purged" } })),
  ),
  "B lags 45 s (warning)": one(sql(my("a"), my("b", { row: { Seconds_Behind_Source: 45 } }))),
  "B lags 400 s (critical)": one(sql(my("a"), my("b", { row: { Seconds_Behind_Source: 400 } }))),
  "B lags 30 s (at the warning threshold: fine)": one(
    sql(my("a"), my("b", { row: { Seconds_Behind_Source: 30 } })),
  ),
  "B lags 20 s with thresholds 10/15": one(sql(my("a"), my("b", { row: { Seconds_Behind_Source: 20 } })), {
    thresholds: { lagWarningSeconds: 10, lagCriticalSeconds: 15 },
  }),
  "B's lag unknown (NULL)": one(sql(my("a"), my("b", { row: { Seconds_Behind_Source: null } }))),
  "B without auto-positioning": one(sql(my("a"), my("b", { row: { Auto_Position: 0 } }))),
  "B has no channel from A": one(sql(my("a"), my("b", { rows: [] }))),
  "B's channel named by another host, found by A's uuid": one(
    sql(my("a"), my("b", { row: { Source_Host: "db-a.example" } })),
  ),
  "B's channel from a stranger": one(
    sql(my("a"), my("b", { row: { Source_Host: "192.0.2.99", Source_UUID: "", Source_Server_Id: 99 } })),
  ),
  "auto_increment: same offset, increment 1 and differing": one(
    sql(
      my("a", { vars: { auto_increment_increment: "1" } }),
      my("b", { vars: { auto_increment_offset: "1" } }),
    ),
  ),
  "same server_id and uuid on both": one(
    sql(my("a"), my("b", { vars: { server_id: "1", server_uuid: UA } })),
  ),
  "GTID off and binlog off on B": one(
    sql(
      my("a"),
      my("b", {
        vars: {
          gtid_mode: "OFF",
          enforce_gtid_consistency: "OFF",
          log_bin: "OFF",
          log_replica_updates: "OFF",
        },
      }),
    ),
  ),
  "the holder read-only": one(sql(my("a", { vars: { read_only: "ON", super_read_only: "ON" } }), my("b"))),
  "mysqld on B restarted between probes": twice(healthySql(), sql(my("a"), server("mysql-8.4", "b")), {}),
  "replication on B stopped and started between probes": twice(sql(my("a"), my("b")), sql(my("a"), my("b"))),
  "errant write on the standby between probes": twice(
    healthySql(),
    sql(my("a"), my("b", { vars: { gtid_executed: `${UA}:1-120,${UB}:1-9` } })),
  ),
  "the heartbeat write failed (timeout)": one(healthySql(), {
    heartbeat: {
      writtenAt: NOW.getTime(),
      ok: false,
      durationMs: 2000,
      serverId: null,
      serverUuid: null,
      gtid: null,
      error: {
        class: "timeout",
        code: "ETIMEDOUT",
        message: "no answer within 2000 ms",
        during: "heartbeat write",
      },
    } satisfies HeartbeatWrite,
  }),
  "split brain by the node checks, SQL fine": {
    input: input(healthySql(), nodesView("both"), null, NOW),
  },
  "no node check answers": {
    input: input(
      healthySql(),
      {
        a: { ok: false, reason: "timeout", detail: "no answer in 20 s", durationMs: 20000 },
        b: { ok: false, reason: "undeliverable", detail: "instance not connected", durationMs: 100 },
      },
      null,
      NOW,
    ),
  },
  "the holder's MySQL died, B can take over (awaiting failover)": {
    input: input(
      sql(failed("a", PAIR.a.host, "refused"), my("b"), failed("vip", "192.0.2.100", "refused")),
      nodesView("a"),
      null,
      NOW,
    ),
  },
  "failover: the VIP moved from A to B between probes": sequence([
    { sql: healthySql() },
    { sql: sql(my("a"), my("b"), "b"), nodes: nodesView("b") },
  ]),
  "after a failover, the previous holder still receives writes": sequence([
    { sql: healthySql() },
    { sql: sql(my("a"), my("b"), "b"), nodes: nodesView("b") },
    {
      sql: sql(my("a", { vars: { gtid_executed: `${UA}:1-125,${UB}:1-7` } }), my("b"), "b"),
      nodes: nodesView("b"),
    },
  ]),
  "the heartbeat: B has the latest write, no lag": sequence([
    { sql: sql(seenBy(my("a"), NOW.getTime()), seenBy(my("b"), NOW.getTime())), heartbeat: beat(0) },
    {
      sql: sql(seenBy(my("a"), NOW.getTime() + 60_000), seenBy(my("b"), NOW.getTime() + 60_000)),
      heartbeat: beat(1),
    },
  ]),
  "the heartbeat: B has not applied the last two writes (lag: since the older one, 60 s)": sequence([
    { sql: sql(seenBy(my("a"), NOW.getTime()), seenBy(my("b"), NOW.getTime())), heartbeat: beat(0) },
    { sql: sql(seenBy(my("a"), NOW.getTime() + 60_000), seenBy(my("b"), NOW.getTime())), heartbeat: beat(1) },
    {
      sql: sql(seenBy(my("a"), NOW.getTime() + 120_000), seenBy(my("b"), NOW.getTime())),
      heartbeat: beat(2),
    },
  ]),
  "B's heartbeat row not read: the lag falls back to Seconds_Behind_Source": sequence([
    { sql: sql(seenBy(my("a"), NOW.getTime()), seenBy(my("b"), null)), heartbeat: beat(0) },
  ]),
  "keepalived restarted on B between probes": (() => {
    const first = healthyNodes();
    const second = { a: first.a, b: ok({ mac: MAC.b, replies: [MAC.a], keepalived: "BACKUP" }) };
    if (second.b.ok) second.b.report.keepalived.pid = 4242;
    return twice(healthySql(), healthySql(), { nodes: second });
  })(),
};

// restart and stop counters need their own values in each probe
{
  const s = scenarios["mysqld on B restarted between probes"];
  if (s) {
    const b = s.input.sql.b;
    if (b.server) s.input.sql = { ...s.input.sql, b: { ...b, server: { ...b.server, uptimeSeconds: 20 } } };
    const prev = s.input.previous as Assessment;
    prev.memory.sql.startedAt = { a: NOW.getTime() - 3_600_000, b: NOW.getTime() - 3_600_000 };
  }
  const r = scenarios["replication on B stopped and started between probes"];
  if (r) {
    const b = r.input.sql.b;
    if (b.server) r.input.sql = { ...r.input.sql, b: { ...b, server: { ...b.server, replicaStops: 5 } } };
    const prev = r.input.previous as Assessment;
    prev.memory.sql.replicaStops = { a: 3, b: 3 };
  }
}

describe("the assessment, every SQL-side branch, golden", () => {
  it("each scenario's verdict whole", async () => {
    const out: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(scenarios)) {
      const r = assess(s.input);
      out[name] = {
        status: r.status,
        reasons: r.reasons,
        vipOwner: r.vipOwner,
        awaitingFailover: r.awaitingFailover,
        writes: r.writes,
        nodes: r.nodes,
        findings: r.findings,
        events: r.events,
        memory: r.memory,
      };
    }
    await expect(`${JSON.stringify(out, null, 2)}\n`).toMatchFileSnapshot("./assess.golden.json");
  });
});
