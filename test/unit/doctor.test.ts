/** doctor's fixes for what the lab cannot produce (the lab test covers what it can). */
import { describe, expect, it } from "vitest";
import { doctorChecks } from "../../shared/doctor.ts";
import { assess } from "../../shared/domain/assess.ts";
import type { ProbeTarget } from "../../shared/pipeline.ts";
import { nodesView, PAIR, scriptedTarget, sqlView } from "../helpers/cluster.ts";

const target: ProbeTarget = scriptedTarget("prod");

function checksWith(nodeB: Parameters<typeof doctorChecks>[0]["observed"]["nodes"]["b"]) {
  const sql = sqlView("a");
  const nodes = { ...nodesView("a"), b: nodeB };
  const assessment = assess({ sql, nodes, pair: PAIR, previous: null, now: new Date() });
  return doctorChecks({
    target,
    observed: { sql, nodes: { a: nodes.a, b: nodeB } },
    assessment,
    monitorUser: "prober",
  });
}

describe("doctor", () => {
  it.each([
    ["script-error", "parameter Vip is required", /update the SSM agent to 3\.3\.2746 or later/],
    ["script-error", "ip addr show failed: Cannot open netlink socket", /install iproute2/],
    ["undeliverable", "the agent is offline", /start the SSM agent/],
    ["access-denied", "not authorized", /allow ssm:SendCommand/],
  ] as const)("a node check that fails with %s (%s) names its fix", (reason, detail, fix) => {
    const c = checksWith({ ok: false, reason, detail, durationMs: 5 }).find(
      (x) => x.what === "node B: the node check runs",
    );
    expect(c).toMatchObject({ ok: false });
    expect(c?.fix).toMatch(fix);
  });

  it("a node without the heartbeat row: the row check fails naming the node and the kit's seed, the write check names the holder's", () => {
    // Prepare: node B's read found no row; the write through the VIP matched none on A
    const sql = sqlView("a");
    const b = sql.b.server;
    if (!b) throw new Error("fixture: node B up");
    sql.b = { ...sql.b, server: { ...b, heartbeatRowMissing: true } };
    const nodes = nodesView("a");
    const heartbeat = {
      writtenAt: 1,
      ok: true,
      rowMissing: true,
      durationMs: 2,
      serverId: 1,
      serverUuid: null,
      gtid: null,
    };
    const assessment = assess({ sql, nodes, pair: PAIR, heartbeat, previous: null, now: new Date() });
    // Act
    const checks = doctorChecks({
      target,
      observed: { sql, nodes, heartbeat },
      assessment,
      monitorUser: "prober",
    });
    // Assess
    const row = checks.find((c) => c.what.startsWith("the heartbeat row is on both nodes"));
    expect(row).toMatchObject({ ok: false, detail: "missing on node B" });
    expect(row?.fix).toMatch(/on node B, with sql_log_bin=0: INSERT IGNORE INTO mysql_ha_prober\.heartbeat/);
    const write = checks.find((c) => c.what.includes("writes mysql_ha_prober.heartbeat through the VIP"));
    expect(write).toMatchObject({ ok: false });
    expect(write?.fix).toMatch(/on the VIP holder, with sql_log_bin=0: INSERT IGNORE/);
  });

  it.each([
    ["auth", "Access denied for user 'prober'@'198.18.0.9'. Account is locked.", /ACCOUNT UNLOCK/],
    ["auth", "Your password has expired. To log in you must change it", /PASSWORD EXPIRE NEVER/],
    ["auth", "User is blocked because of too many credential errors", /FLUSH PRIVILEGES/],
    ["auth", "Access denied for user 'prober'@'198.18.0.9' (using password: YES)", /create the user/],
    ["server_limit", "Host '198.18.0.9' is blocked because of many connection errors", /FLUSH HOSTS/],
    ["server_error", "Got error 28 from storage engine InnoDB", /error log/],
    ["tls", "Connections using insecure transport are prohibited", /certificate|TLS|tls/],
  ] as const)(
    "the monitoring user refused with %s (%s): the fix follows what the server said",
    (cls, message, fix) => {
      const sql = sqlView("a");
      sql.b = {
        ...sql.b,
        server: undefined,
        alive: cls !== "auth",
        connected: false,
        connectMs: null,
        error: { class: cls, message, during: "connect" },
      };
      const nodes = nodesView("a");
      const assessment = assess({ sql, nodes, pair: PAIR, previous: null, now: new Date() });
      const c = doctorChecks({ target, observed: { sql, nodes }, assessment, monitorUser: "prober" }).find(
        (x) => x.what === "node B: the monitoring user 'prober' reads replication status",
      );
      expect(c).toMatchObject({ ok: false });
      expect(c?.fix).toMatch(fix);
    },
  );

  it("node B's host mistyped in the configuration: never advice to re-point node A's working replication", () => {
    // Prepare: the configuration says node B is 192.0.2.99 (nothing answers there); node A replicates
    // from B's real address
    const typo: ProbeTarget = {
      ...target,
      nodes: { ...target.nodes, b: { ...target.nodes.b, host: "192.0.2.99" } },
    };
    const sql = sqlView("a", ["b"]);
    const nodes = nodesView("a");
    const assessment = assess({ sql, nodes, pair: PAIR, previous: null, now: new Date() });
    // Act
    const checks = doctorChecks({
      target: typo,
      observed: { sql, nodes },
      assessment,
      monitorUser: "prober",
    });
    // Assess
    const c = checks.find((x) => x.what.startsWith("replication B→A"));
    expect(c).toMatchObject({ ok: false });
    expect(c?.detail).toMatch(
      /node A replicates from 192\.0\.2\.12:\d+, which is not node B's configured address 192\.0\.2\.99/,
    );
    expect(c?.fix).toMatch(/check nodes\.b\.host/);
    for (const x of checks) expect(x.fix ?? "", x.what).not.toMatch(/CHANGE (MASTER|REPLICATION SOURCE)/);
  });

  it("the EC2 view on: no arping check (ARP not applicable), the API's refusal named with the IAM fix", () => {
    // Prepare: the node checks ran without ARP (ArpCount 0); EC2 refused the Describe call
    const sql = sqlView("a");
    const skipped = (r: ReturnType<typeof nodesView>["a"]) =>
      r.ok
        ? {
            ...r,
            report: {
              ...r.report,
              arp: { ...r.report.arp, tool: "skipped" as const, sent: null, replies: [] },
            },
          }
        : r;
    const nodes = { a: skipped(nodesView("a").a), b: skipped(nodesView("a").b) };
    const ec2 = {
      ok: false as const,
      mode: "secondary-ip" as const,
      errorClass: "denied" as const,
      error: "UnauthorizedOperation: You are not authorized to perform this operation.",
      durationMs: 12,
    };
    const map = { a: { instanceId: "i-0000000000000000a" }, b: { instanceId: "i-0000000000000000b" } };
    const assessment = assess({
      sql,
      nodes,
      pair: PAIR,
      ec2: { observation: ec2, map, graceMs: 30_000 },
      previous: null,
      now: new Date(),
    });
    // Act
    const checks = doctorChecks({
      target: { ...target, ec2: { map, graceMs: 30_000 } },
      observed: { sql, nodes, ec2 },
      assessment,
      monitorUser: "prober",
    });
    // Assess
    expect(checks.filter((c) => c.what.endsWith(": arping"))).toEqual([]);
    expect(checks.find((c) => c.what === "EC2 view (secondary-ip): the EC2 API answers")).toMatchObject({
      ok: false,
      fix: expect.stringMatching(/allow the prober's role ec2:DescribeNetworkInterfaces/),
    });
  });
});
