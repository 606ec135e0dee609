/**
 * The lab is real: a VIP on one node, replication both ways, keepalived failing over, and each fault
 * showing its observable effect. One lab for the whole file, healed after every test.
 */
import { describe, expect, it } from "vitest";
import { Lab } from "../../lab/lab.ts";
import { isAlive, pidsByName } from "../../lab/system.ts";
import { waitFor } from "../../shared/util/wait.ts";
import { skipLab, useLab } from "../helpers/lab-env.ts";
import { arpingFromClient, trySqlFromClient } from "../helpers/lab-observe.ts";

const skip = await skipLab();

describe.skipIf(skip)("lab (real MariaDB + keepalived in namespaces)", () => {
  const lab = new Lab({ name: "mhpt1", subnet: "198.18.101.0/24" });
  const { a, b } = lab.plan.nodes;

  useLab(lab);

  it("binds the VIP on exactly one node, the higher-priority A, reachable from the client", async () => {
    // Prepare
    const s = await lab.status();
    // Assess
    expect(s.vipHolders).toEqual(["a"]);
    expect(s.nodes.a.keepalived.state).toBe("MASTER");
    expect(s.nodes.b.keepalived.state).toBe("BACKUP");
    expect(await arpingFromClient(lab, lab.plan.vip)).toEqual([a.mac]);
    const who = await trySqlFromClient(lab, lab.plan.vip, "SELECT @@server_id");
    expect(who).toEqual({ ok: true, text: "1" });
  });

  it("replicates a row written through the VIP to both nodes", async () => {
    const marker = `vip-${Date.now()}`;
    await lab.sqlFromClient(`INSERT INTO writes (via) VALUES ('${marker}')`);
    for (const id of ["a", "b"] as const) {
      await waitFor(
        async () => (await lab.sqlOn(id, `SELECT id FROM lab.writes WHERE via='${marker}'`)).length === 1,
        { timeoutMs: 10_000, what: `the row on node ${id}` },
      );
    }
    const s = await lab.status();
    for (const id of ["a", "b"] as const) {
      expect(s.nodes[id].replication).toMatchObject({
        configured: true,
        ioRunning: "Yes",
        sqlRunning: "Yes",
      });
    }
  });

  it("configures the pair as the design requires (server ids, auto-increment, GTID, binlog)", async () => {
    for (const [id, serverId] of [
      ["a", 1],
      ["b", 2],
    ] as const) {
      const [row] = await lab.sqlOn(
        id,
        "SELECT @@server_id sid, @@auto_increment_increment inc, @@auto_increment_offset off, @@log_bin lb, @@log_slave_updates lsu, @@gtid_strict_mode gsm",
      );
      expect(row).toEqual({
        sid: String(serverId),
        inc: "2",
        off: String(serverId),
        lb: "1",
        lsu: "1",
        gsm: "1",
      });
    }
    // The monitoring user has only what the prober needs.
    const [grants] = await lab.sqlOn("a", `SHOW GRANTS FOR 'prober'@'198.18.101.%'`);
    expect(Object.values(grants ?? {})[0]).toMatch(
      /^GRANT (SLAVE MONITOR, BINLOG MONITOR|BINLOG MONITOR, SLAVE MONITOR) ON \*\.\*/,
    );
  });

  it("mysql-kill on the VIP holder moves the VIP to the peer within 10 s", async () => {
    const before = await lab.status();
    const holder = before.vipHolders[0] as "a" | "b";
    const peer = holder === "a" ? "b" : "a";
    const started = Date.now();
    await lab.fault("mysql-kill", holder);
    await waitFor(
      async () => {
        const h = await lab.vipHolders();
        return h.length === 1 && h[0] === peer;
      },
      { timeoutMs: 10_000, what: `the VIP to move to ${peer}` },
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(isAlive(before.nodes[holder].mysql.pid ?? 0, "mariadbd")).toBe(false);
    expect(await arpingFromClient(lab, lab.plan.vip)).toEqual([lab.plan.nodes[peer].mac]);
    // nopreempt: after heal the recovered node stays BACKUP; the VIP stays where it moved.
    const healed = await lab.heal();
    expect(healed.vipHolders).toEqual([peer]);
    expect(healed.nodes[holder].keepalived.state).toBe("BACKUP");
  });

  it("vrrp-block leaves the VIP bound on both nodes, both MASTER; heal returns to one holder", async () => {
    const standby = (await lab.status()).vipHolders[0] === "a" ? "b" : "a";
    await lab.fault("vrrp-block", standby);
    const s = await waitFor(
      async () => {
        const st = await lab.status();
        return st.vipHolders.length === 2 &&
          st.nodes.a.keepalived.state === "MASTER" &&
          st.nodes.b.keepalived.state === "MASTER"
          ? st
          : undefined;
      },
      { timeoutMs: 15_000, what: "both nodes to hold the VIP as MASTER" },
    );
    expect(s.vipHolders).toEqual(["a", "b"]);
    // A third host on the segment sees two MACs answering for the VIP.
    expect(await arpingFromClient(lab, lab.plan.vip, 4)).toEqual([a.mac, b.mac].sort());
    const healed = await lab.heal();
    expect(healed.vipHolders).toHaveLength(1);
    expect(healed.faults).toEqual([]);
  });

  it("mysql-stop shuts the server down cleanly; keepalived on that node goes FAULT", async () => {
    await lab.fault("mysql-stop", "b");
    const s = await waitFor(
      async () => {
        const st = await lab.status();
        return st.nodes.b.keepalived.state === "FAULT" ? st : undefined;
      },
      { timeoutMs: 10_000, what: "keepalived on b to enter FAULT" },
    );
    expect(s.nodes.b.mysql.running).toBe(false);
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(b.mysql.errorLog, "utf8")).toMatch(/Shutdown complete/);
    expect((await trySqlFromClient(lab, b.ip, "SELECT 1")).text).toMatch(/Can't connect|refused|\(111\)/);
  });

  it("mysql-hang accepts TCP but never greets: a client times out in the handshake", async () => {
    await lab.fault("mysql-hang", "b");
    const s = await lab.status();
    expect(s.nodes.b.mysql.stopped).toBe(true);
    const r = await trySqlFromClient(lab, b.ip, "SELECT 1", 2);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/handshake|reading initial communication packet/);
  });

  it("keepalived-kill stops keepalived on a node; the other node becomes MASTER", async () => {
    const holder = (await lab.status()).vipHolders[0] as "a" | "b";
    const peer = holder === "a" ? "b" : "a";
    await lab.fault("keepalived-kill", holder);
    expect(await pidsByName(lab.plan.nodes[holder].ns, "keepalived")).toEqual([]);
    await waitFor(async () => (await lab.status()).nodes[peer].keepalived.state === "MASTER", {
      timeoutMs: 10_000,
      what: `keepalived on ${peer} to become MASTER`,
    });
    // killed with -9, keepalived could not remove its VIP: it stays bound on the old holder too.
    expect((await lab.status()).vipHolders).toEqual(["a", "b"]);
  });

  it("partition: the nodes cannot reach each other, the client reaches both, both become MASTER", async () => {
    await lab.fault("partition", "a");
    expect(await arpingFromClient(lab, a.ip, 1)).toEqual([a.mac]);
    expect(await arpingFromClient(lab, b.ip, 1)).toEqual([b.mac]);
    const { run } = await import("../../shared/util/exec.ts");
    const fromA = await run("ip", ["netns", "exec", a.ns, "arping", "-c", "2", "-w", "2", b.ip], {
      timeoutMs: 10_000,
      allowFailure: true,
    });
    expect(fromA.stdout).not.toMatch(/bytes from/);
    await waitFor(async () => (await lab.vipHolders()).length === 2, {
      timeoutMs: 15_000,
      what: "both nodes to hold the VIP",
    });
  });

  it("blackhole: the client's packets to that node vanish; the other node still answers", async () => {
    await lab.fault("blackhole", "b");
    const t0 = Date.now();
    const r = await trySqlFromClient(lab, b.ip, "SELECT 1", 2);
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/\(110\)|timed out|Can't connect/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500); // dropped, not refused
    expect(await trySqlFromClient(lab, a.ip, "SELECT @@server_id")).toEqual({ ok: true, text: "1" });
  });

  it("replication-stop stops replication into that node: a write on the peer does not arrive", async () => {
    await lab.fault("replication-stop", "b");
    expect((await lab.replicationStatus("b")).ioRunning).toBe("No");
    const marker = `stopped-${Date.now()}`;
    await lab.sqlOn("a", `INSERT INTO lab.writes (via) VALUES ('${marker}')`);
    await waitFor(
      async () => (await lab.sqlOn("a", `SELECT 1 FROM lab.writes WHERE via='${marker}'`)).length === 1,
      {
        timeoutMs: 5_000,
        what: "the write on a",
      },
    );
    expect(await lab.sqlOn("b", `SELECT 1 FROM lab.writes WHERE via='${marker}'`)).toEqual([]);
    await lab.heal();
    await waitFor(
      async () => (await lab.sqlOn("b", `SELECT 1 FROM lab.writes WHERE via='${marker}'`)).length === 1,
      {
        timeoutMs: 10_000,
        what: "the write to arrive on b after heal",
      },
    );
  });

  it("replication-break stops the SQL thread on a duplicate key; heal repairs it", async () => {
    await lab.fault("replication-break", "a");
    const r = await waitFor(
      async () => {
        const st = await lab.replicationStatus("a");
        return st.sqlRunning === "No" ? st : undefined;
      },
      { timeoutMs: 10_000, what: "the SQL thread on a to stop" },
    );
    expect(r.lastSqlError).toMatch(/Duplicate entry/);
    const healed = await lab.heal();
    expect(healed.nodes.a.replication).toMatchObject({
      ioRunning: "Yes",
      sqlRunning: "Yes",
      lastSqlError: "",
    });
  });

  it("errant-write writes on a node directly, bypassing the VIP: its own GTID domain grows", async () => {
    const standby = (await lab.status()).vipHolders[0] === "a" ? "b" : "a";
    const sid = lab.plan.nodes[standby].serverId;
    const seqOf = async () => {
      const [row] = await lab.sqlOn(standby, "SELECT @@gtid_binlog_pos p");
      const m = new RegExp(`(?:^|,)${sid}-${sid}-(\\d+)`).exec(row?.p ?? "");
      return m ? Number(m[1]) : 0;
    };
    const before = await seqOf();
    await lab.fault("errant-write", standby);
    expect(await seqOf()).toBe(before + 1);
    const [row] = await lab.sqlOn(standby, `SELECT COUNT(*) n FROM lab.writes WHERE via='errant:${standby}'`);
    expect(Number(row?.n)).toBeGreaterThanOrEqual(1);
  });
});
