/**
 * The heartbeat can never stop replication (issue 33, item 4). A split brain (the nodes partitioned
 * from each other, both holding the VIP) with the prober's own heartbeat writer running on both nodes
 * for several heartbeats, then the heal: replication must run both ways with no repair, in row- and
 * statement-based replication. The same drill with pt-heartbeat's way of writing (REPLACE of a row keyed
 * by the server id its updater saw at start, a row neither node had yet) stops replication both ways with
 * a duplicate key: the failure the design avoids (docs/heartbeat.md).
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { Lab } from "../../lab/lab.ts";
import { labTlsPaths } from "../../lab/tls.ts";
import { forwarderStreamOpener } from "../../shared/adapters/forwarder-stream.ts";
import { MysqlHeartbeat } from "../../shared/adapters/mysql-heartbeat.ts";
import { deadlineIn, NODE_IDS, type NodeId } from "../../shared/domain/types.ts";
import { waitFor } from "../../shared/util/wait.ts";
import { skipLab, useLab } from "../helpers/lab-env.ts";

const skip = await skipLab();
const ROUNDS = 6;

describe.skipIf(skip)("the heartbeat through a split brain and its heal", () => {
  const lab = new Lab({ name: "mhpt17", subnet: "198.18.117.0/24" });
  const p = lab.plan;
  let writer: MysqlHeartbeat;
  useLab(lab);
  beforeAll(() => {
    writer = new MysqlHeartbeat({
      user: p.users.heartbeat.user,
      password: p.users.heartbeat.password,
      openStream: forwarderStreamOpener(p.client.forwarderSocket),
      tls: { mode: "verify-ca", ca: readFileSync(labTlsPaths(p).caFile, "utf8") },
    });
  });

  /** The production writer, aimed at one node (during the split the VIP answers on both). */
  const beatOn = async (id: NodeId, at: number) => {
    const w = await writer.beat(
      { name: "vip", host: p.nodes[id].ip, port: p.mysqlPort },
      at,
      deadlineIn(5000),
    );
    expect(w, `heartbeat on node ${id}`).toMatchObject({ ok: true, serverId: p.nodes[id].serverId });
    expect(w.rowMissing, `row on node ${id}`).toBeUndefined();
    return w;
  };

  const splitBrain = async () => {
    await lab.fault("partition", "a");
    await waitFor(async () => (await lab.vipBoundOn("a")) && (await lab.vipBoundOn("b")), {
      timeoutMs: 30_000,
      what: "both nodes to hold the VIP (split brain)",
    });
  };

  /** Replication both ways with no error, and each node has applied the other's last transaction. */
  const replicatingBothWays = async (last: Record<NodeId, string>) =>
    waitFor(
      async () => {
        for (const id of NODE_IDS) {
          const r = await lab.replicationStatus(id);
          if (r.lastSqlError) throw new Error(`node ${id}: ${r.lastSqlError}`); // no waiting this out
          if (r.ioRunning !== "Yes" || r.sqlRunning !== "Yes") return false;
          const peer: NodeId = id === "a" ? "b" : "a";
          const [row] = await lab.sqlOn(id, "SELECT @@gtid_current_pos AS pos");
          if (!covers(row?.pos ?? "", last[peer])) return false;
        }
        return true;
      },
      {
        timeoutMs: 45_000,
        what: "replication running both ways with each node's split-brain writes applied",
      },
    );

  /** Does a MariaDB GTID position cover the GTID (same domain and server, sequence at least)? */
  const covers = (pos: string, gtid: string) => {
    const [d, s, n] = gtid.split("-");
    return pos
      .split(",")
      .map((g) => g.trim().split("-"))
      .some(([pd, ps, pn]) => pd === d && ps === s && Number(pn) >= Number(n));
  };

  const drill = async () => {
    // Prepare: the pair healthy, both rows in place (the kit seeded them)
    const last = { a: "", b: "" };
    await splitBrain();
    // Act: the heartbeat on both sides, interleaved, for several heartbeats
    let at = Date.now();
    for (let i = 0; i < ROUNDS; i++)
      for (const id of NODE_IDS) {
        const w = await beatOn(id, ++at);
        expect(w.gtid, `a binlogged write on node ${id}`).toMatch(/^\d+-\d+-\d+$/);
        last[id] = w.gtid as string;
      }
    await lab.heal();
    // Assess: replication runs both ways, nothing repaired, and still carries the table
    await replicatingBothWays(last);
    const after = await beatOn("a", ++at);
    await waitFor(
      async () => {
        const [row] = await lab.sqlOn("b", "SELECT written_at FROM mysql_ha_prober.heartbeat WHERE id = 1");
        return row?.written_at === String(after.writtenAt);
      },
      { timeoutMs: 20_000, what: "node B to apply the next heartbeat" },
    );
  };

  it("row-based: split brain with the heartbeat on both nodes, heal, replication runs both ways with no repair", async () => {
    const [format] = await lab.sqlOn("a", "SELECT @@GLOBAL.binlog_format AS f");
    expect(format?.f).toBe("ROW");
    await drill();
  }, 240_000);

  it("statement-based: the same drill", async () => {
    for (const id of NODE_IDS) await lab.sqlOn(id, "SET GLOBAL binlog_format = 'STATEMENT'");
    try {
      await drill();
    } finally {
      for (const id of NODE_IDS) await lab.sqlOn(id, "SET GLOBAL binlog_format = 'ROW'");
    }
  }, 240_000);

  it("control: pt-heartbeat's way (REPLACE of a row keyed by its start server id) stops replication both ways with a duplicate key", async () => {
    // Prepare: pt-heartbeat's table (its --create-table schema), created once and replicated
    await lab.sqlOn(
      "a",
      `CREATE DATABASE IF NOT EXISTS percona_drill;
       CREATE TABLE IF NOT EXISTS percona_drill.heartbeat (ts varchar(26) NOT NULL, server_id int unsigned NOT NULL PRIMARY KEY,
         file varchar(255) DEFAULT NULL, position bigint unsigned DEFAULT NULL,
         relay_master_log_file varchar(255) DEFAULT NULL, exec_master_log_pos bigint unsigned DEFAULT NULL) ENGINE=InnoDB;`,
    );
    await waitFor(async () => (await lab.sqlOn("b", "SHOW TABLES FROM percona_drill")).length === 1, {
      timeoutMs: 20_000,
      what: "pt-heartbeat's table on node B",
    });
    await splitBrain();
    // Act: its updater, (re)started during the split, keys its row on the server id it saw at start
    // (pt-heartbeat 3.2.1: --replace), and its connection through the VIP lands on each node in turn
    for (let i = 0; i < ROUNDS; i++)
      for (const id of NODE_IDS)
        await lab.sqlOn(
          id,
          `REPLACE INTO percona_drill.heartbeat (ts, server_id) VALUES (NOW(6), ${p.nodes.b.serverId})`,
        );
    await lab.heal({ timeoutMs: 15_000 }).catch(() => {}); // replication cannot come back: see below
    // Assess: both SQL threads stopped on the duplicate key
    await waitFor(
      async () => {
        const errors = await Promise.all(NODE_IDS.map((id) => lab.replicationStatus(id)));
        return errors.every((r) => r.sqlRunning === "No" && /Duplicate entry/.test(r.lastSqlError ?? ""));
      },
      { timeoutMs: 45_000, what: "both SQL threads stopped with a duplicate key (error 1062)" },
    );
  }, 240_000);
});
