/** The mysql2 probe and the pair findings against the lab's real MariaDB pair. */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { Lab } from "../../lab/lab.ts";
import { labTlsPaths } from "../../lab/tls.ts";
import { forwarderStreamOpener } from "../../shared/adapters/forwarder-stream.ts";
import { MysqlProbe } from "../../shared/adapters/mysql-probe.ts";
import { assessSql } from "../../shared/domain/assess.ts";
import { EMPTY_SQL_MEMORY, type SqlMemory } from "../../shared/domain/memory.ts";
import { deadlineIn } from "../../shared/domain/types.ts";
import { waitFor } from "../../shared/util/wait.ts";
import { skipLab, useLab } from "../helpers/lab-env.ts";

const skip = await skipLab();

describe.skipIf(skip)("SQL probe against the lab", () => {
  const lab = new Lab({ name: "mhpt5", subnet: "198.18.105.0/24" });
  const p = lab.plan;
  const nodes = { a: { host: p.nodes.a.ip }, b: { host: p.nodes.b.ip } };
  let probe: MysqlProbe;

  const observeAll = async (memory: SqlMemory = EMPTY_SQL_MEMORY) => {
    const d = deadlineIn(5000);
    const [vip, a, b] = await Promise.all([
      probe.observe({ name: "vip", host: p.vip, port: 3306 }, d),
      probe.observe({ name: "a", host: p.nodes.a.ip, port: 3306 }, d),
      probe.observe({ name: "b", host: p.nodes.b.ip, port: 3306 }, d),
    ]);
    return { view: { vip, a, b }, result: assessSql({ vip, a, b }, nodes, memory) };
  };
  const codes = (r: ReturnType<typeof assessSql>) =>
    r.findings.map((f) => `${f.code}${f.subject ? `@${f.subject}` : ""}`).sort();

  useLab(lab);
  beforeAll(() => {
    probe = new MysqlProbe({
      user: p.users.monitor.user,
      password: p.users.monitor.password,
      openStream: forwarderStreamOpener(p.client.forwarderSocket),
      // the node kit's users REQUIRE SSL: the lab's CA
      tls: { mode: "verify-ca", ca: readFileSync(labTlsPaths(p).caFile, "utf8") },
    });
  });

  it("a healthy pair: VIP on A, replication both ways, configuration as a pair", async () => {
    const { view, result } = await observeAll();
    expect(codes(result)).toEqual(["BOTH_WRITABLE@pair", "VIP_ON_NODE@vip"]);
    expect(result.vipNode).toBe("a");
    expect(view.a.server?.flavor.label).toBe("mariadb-10");
    expect(view.a.server?.gtid?.kind).toBe("mariadb");
    expect(result.replication.a).toMatchObject({
      sourceHost: p.nodes.b.ip,
      ioRunning: true,
      sqlRunning: true,
      gtidAutoPosition: true,
    });
    expect(result.replication.b).toMatchObject({
      sourceHost: p.nodes.a.ip,
      ioRunning: true,
      sqlRunning: true,
    });
  });

  it("mysql-kill on the standby: MYSQL_UNREACHABLE (refused) for it, then A's IO thread from it stops", async () => {
    await lab.fault("mysql-kill", "b");
    const result = await waitFor(
      async () => {
        const { result } = await observeAll();
        const refused = result.findings.some(
          (f) => f.code === "MYSQL_UNREACHABLE" && f.evidence.class === "refused",
        );
        return refused && codes(result).includes("REPLICATION_IO_STOPPED@a") ? result : undefined;
      },
      // right after the kill, a connection may still be accepted and then reset ("lost")
      { timeoutMs: 30_000, what: "B refused and A's IO thread from B stopped" },
    );
    expect(result.findings.find((f) => f.code === "MYSQL_UNREACHABLE")).toMatchObject({
      subject: "b",
      evidence: { class: "refused" },
    });
  });

  it("mysql-hang: the observation comes back within the connect deadline + 500 ms, as a timeout", async () => {
    await lab.fault("mysql-hang", "b");
    const t0 = Date.now();
    const o = await probe.observe({ name: "b", host: p.nodes.b.ip, port: 3306 }, deadlineIn(10_000));
    expect(Date.now() - t0).toBeLessThan(2000 + 500);
    expect(o).toMatchObject({ alive: false, error: { class: "timeout" } });
  });

  it("blackhole: the node times out (not refused)", async () => {
    await lab.fault("blackhole", "b");
    const { result } = await observeAll();
    expect(result.findings.find((f) => f.code === "MYSQL_UNREACHABLE")).toMatchObject({
      subject: "b",
      evidence: { class: "timeout" },
    });
    expect(result.vipNode).toBe("a");
  });

  it("replication-stop on B: both threads of A→B stopped", async () => {
    await lab.fault("replication-stop", "b");
    const { result } = await observeAll();
    expect(codes(result)).toEqual(
      expect.arrayContaining(["REPLICATION_IO_STOPPED@b", "REPLICATION_SQL_STOPPED@b"]),
    );
    expect(codes(result).filter((c) => c.endsWith("@a") && c.startsWith("REPLICATION"))).toEqual([]);
  });

  it("replication-break on A: the SQL thread of B→A stopped on a duplicate key", async () => {
    await lab.fault("replication-break", "a");
    const result = await waitFor(
      async () => {
        const { result } = await observeAll();
        return codes(result).includes("REPLICATION_SQL_STOPPED@a") ? result : undefined;
      },
      { timeoutMs: 15_000, what: "REPLICATION_SQL_STOPPED on A" },
    );
    expect(result.findings.find((f) => f.code === "REPLICATION_SQL_STOPPED")?.evidence).toMatchObject({
      direction: "B→A",
      lastSqlErrno: 1062,
    });
  });

  it("errant-write on the standby: ERRANT_WRITES_ON_STANDBY on the next probe", async () => {
    const before = await observeAll();
    expect(codes(before.result).filter((c) => /WRITES/.test(c))).toEqual([]);
    await lab.fault("errant-write", "b");
    const after = await observeAll(before.result.memory);
    const e = after.result.findings.find((f) => f.code === "ERRANT_WRITES_ON_STANDBY");
    expect(e).toMatchObject({ subject: "b", severity: "critical", evidence: { reason: "grew" } });
    expect(String(e?.evidence.newTransactions)).toMatch(/^2-2-\d+$/);
    // and the probe after that, with no new errant write, is quiet again
    const third = await observeAll(after.result.memory);
    expect(codes(third.result).filter((c) => /WRITES/.test(c))).toEqual([]);
  });
});
