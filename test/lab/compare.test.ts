/**
 * `compare` against the lab: the nodes made to diverge without replication noticing (writes with
 * sql_log_bin=0 on one node), each divergence found with its key and kind, schema drift reported apart,
 * the repair SQL applied by the test makes the next comparison clean, and a comparison while the
 * application writes through the VIP finds no difference.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Expected, undoDivergence } from "../../lab/divergence.ts";
import { Lab } from "../../lab/lab.ts";
import { writeLabConfig } from "../../lab/lab-config.ts";
import { waitFor } from "../../shared/util/wait.ts";
import { cli } from "../helpers/cli.ts";
import { skipLab } from "../helpers/lab-env.ts";

const skip = await skipLab();
const ROWS = 3000;
const LOAD_ROWS = 20_000;

type Report = {
  reference: string;
  drift: { table: string; kind: string }[];
  tables: {
    table: string;
    rows: number;
    differences: { kind: string; key: string[] }[];
    unconfirmed: unknown[];
  }[];
  repairFiles: string[];
};
const hex = (s: string) => Buffer.from(s).toString("hex").toUpperCase();

describe.skipIf(skip)("compare: are the two nodes' data the same?", () => {
  const lab = new Lab({ name: "mhpt19", subnet: "198.18.119.0/24" });
  let config = "";

  /** The compare command's JSON report and exit code (the schemas: the lab configuration's compare.schemas). */
  const compare = async (...args: string[]) => {
    const r = await cli(
      "compare",
      "-c",
      config,
      "--schemas",
      "lab",
      "--repair-dir",
      lab.plan.dir,
      "--json",
      ...args,
    );
    expect(r.code, r.err).toBeLessThan(3);
    return { code: r.code, report: JSON.parse(r.out) as Report };
  };
  const rowsOnB = async (table: string) =>
    Number((await lab.sqlOn("b", `SELECT COUNT(*) AS n FROM lab.${table}`))[0]?.n);

  beforeAll(async () => {
    await lab.up({ rebuild: true });
    config = writeLabConfig(lab);
    // the application's data, written on A and replicated to B: numbers, floats, text with NULLs, times
    await lab.sqlOn(
      "a",
      `CREATE TABLE lab.items (id INT PRIMARY KEY, name VARCHAR(32) NULL, price DOUBLE NOT NULL,
         note TEXT NULL, created DATETIME(3) NOT NULL) ENGINE=InnoDB;
       CREATE TABLE lab.lines (order_id INT NOT NULL, line SMALLINT NOT NULL, sku VARBINARY(16) NOT NULL,
         PRIMARY KEY (order_id, line)) ENGINE=InnoDB;
       CREATE TABLE lab.coll (code VARCHAR(8) NOT NULL PRIMARY KEY) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
       CREATE TABLE lab.events (at INT NOT NULL, what VARCHAR(16) NULL) ENGINE=InnoDB;
       INSERT INTO lab.events SELECT seq, IF(seq % 5 = 0, NULL, 'e') FROM lab.seq_1_to_50;
       INSERT INTO lab.events VALUES (3, 'dup'), (3, 'dup');
       CREATE TABLE lab.stamps (id INT PRIMARY KEY, at TIMESTAMP(3) NOT NULL) ENGINE=InnoDB;
       INSERT INTO lab.stamps SELECT seq, '2026-06-01 12:00:00.000' + INTERVAL seq MINUTE FROM lab.seq_1_to_20;
       CREATE TABLE lab.gauges (id INT PRIMARY KEY, f FLOAT NOT NULL) ENGINE=InnoDB;
       INSERT INTO lab.gauges VALUES (1, 1), (2, 1), (3, 16777216);
       INSERT INTO lab.items
         SELECT seq, IF(seq % 7 = 0, NULL, CONCAT('item ', seq)), seq / 3, IF(seq % 5 = 0, NULL, REPEAT('x', seq % 40)),
           '2026-01-01 00:00:00.000' + INTERVAL seq SECOND
         FROM lab.seq_1_to_${ROWS};
       INSERT INTO lab.lines SELECT seq DIV 4, seq % 4, UNHEX(MD5(seq)) FROM lab.seq_1_to_400;
       INSERT INTO lab.coll VALUES ('a'), ('B'), ('c');`,
      { timeoutMs: 30_000 },
    );
    await waitFor(
      async () =>
        (await rowsOnB("items")) === ROWS &&
        (await rowsOnB("lines")) === 400 &&
        (await rowsOnB("stamps")) === 20 &&
        (await rowsOnB("gauges")) === 3,
      { timeoutMs: 30_000, what: "the application's data to replicate to B" },
    );
    // B's server in another time zone than A's: the same TIMESTAMPs print differently in each one's zone
    await lab.sqlOn("b", "SET GLOBAL time_zone = '+05:00'");
  }, 240_000);
  afterAll(async () => {
    await lab.down();
  });

  it("the same data on both nodes: exit 0, every row read, no difference", async () => {
    const { code, report } = await compare();
    expect(code).toBe(0);
    expect(report.reference).toBe((await lab.vipHolders())[0]);
    expect(report.drift).toEqual([]);
    const items = report.tables.find((t) => t.table === "lab.items");
    expect(items?.rows).toBe(ROWS);
    expect(report.tables.flatMap((t) => t.differences)).toEqual([]);
    expect(report.repairFiles).toEqual([]);
  });

  it("--checkpoint: a finished comparison removes it; an unfinished one of the same tables resumes from it", async () => {
    const checkpoint = `${lab.plan.dir}/compare.checkpoint.json`;
    // a comparison that ran to its end leaves no checkpoint
    const done = await compare("--tables", "lab.lines", "--checkpoint", checkpoint);
    expect(done.code).toBe(0);
    expect(existsSync(checkpoint)).toBe(false);
    // a checkpoint of the same comparison, lab.lines already done (as a crash after its last chunk leaves it)
    const scope = { cluster: "lab-mhpt19", reference: "a", schemas: ["lab"], tables: ["lab.lines"] };
    const saved = {
      done: true,
      lower: null,
      size: 1000,
      rows: 12345,
      chunks: 7,
      chunkMs: [],
      differences: [],
      unconfirmed: [],
    };
    writeFileSync(checkpoint, JSON.stringify({ scope, progress: { tables: { "lab.lines": saved } } }));
    const resumed = await compare("--tables", "lab.lines", "--checkpoint", checkpoint);
    // its table is not read again: the report carries the checkpoint's figures
    expect(resumed.report.tables.find((t) => t.table === "lab.lines")).toMatchObject({
      rows: 12345,
      chunks: 7,
    });
    expect(existsSync(checkpoint)).toBe(false);
  });

  it("each divergence made with sql_log_bin=0 is found with its key and kind; drift apart; the repair makes it clean", async () => {
    // Prepare: writes on one node alone (nothing replicates them)
    const alone = { noBinlog: true, timeoutMs: 10_000 };
    await lab.sqlOn("b", "INSERT INTO lab.items VALUES (900001, 'only on B', 1, NULL, NOW(3))", alone);
    await lab.sqlOn("a", "DELETE FROM lab.items WHERE id = 10", alone);
    await lab.sqlOn("b", "UPDATE lab.items SET name = '' WHERE id = 14", alone); // NULL vs ''
    await lab.sqlOn("b", "UPDATE lab.items SET name = 'item 15 ' WHERE id = 15", alone); // a trailing space
    await lab.sqlOn("b", "UPDATE lab.items SET price = price + 1e-9 WHERE id = 16", alone); // a float
    await lab.sqlOn("b", "UPDATE lab.lines SET sku = UNHEX('00FF') WHERE order_id = 50 AND line = 2", alone);
    await lab.sqlOn("b", "CREATE TABLE lab.only_b (id INT PRIMARY KEY)", alone); // a table on one node
    // a table without a key: a third copy of a row held twice, and a row with a NULL gone
    await lab.sqlOn("b", "INSERT INTO lab.events VALUES (3, 'dup')", alone);
    await lab.sqlOn("b", "DELETE FROM lab.events WHERE at = 5", alone);
    await lab.sqlOn("b", "DELETE FROM lab.stamps WHERE id = 3", alone); // put back by the repair, in UTC
    // FLOATs the server prints alike ("1"; "16777200"): a change in the 7th digit, a row put back whole
    await lab.sqlOn("b", "UPDATE lab.gauges SET f = 1.0000001 WHERE id = 2", alone);
    await lab.sqlOn("b", "DELETE FROM lab.gauges WHERE id = 3", alone);
    await lab.sqlOn("b", "ALTER TABLE lab.coll MODIFY code VARCHAR(8) COLLATE utf8mb4_bin NOT NULL", alone);
    // Act
    const { code, report } = await compare();
    // Assess
    expect(code).toBe(1);
    const found = report.tables
      .flatMap((t) => t.differences.map((d) => `${t.table} ${d.kind} ${d.key.join("/")}`))
      .sort();
    expect(found).toEqual(
      [
        `lab.items different ${hex("14")}`,
        `lab.items different ${hex("15")}`,
        `lab.items different ${hex("16")}`,
        `lab.items missing-on-a ${hex("10")}`,
        `lab.items missing-on-a ${hex("900001")}`,
        `lab.lines different ${hex("50")}/${hex("2")}`,
        `lab.events missing-on-a ${hex("3")}/${hex("dup")}`,
        `lab.events missing-on-b ${hex("5")}/`,
        `lab.stamps missing-on-b ${hex("3")}`,
        `lab.gauges different ${hex("2")}`,
        `lab.gauges missing-on-b ${hex("3")}`,
      ].sort(),
    );
    expect(report.drift.map((d) => `${d.table} ${d.kind}`).sort()).toEqual([
      "lab.coll collation",
      "lab.only_b missing-on-a",
    ]);
    expect(report.repairFiles).toHaveLength(2);
    // Act: the repair that makes B like A, applied on B (its own header turns the binlog off)
    const repair = report.repairFiles.find((f) => f.endsWith("make-b-like-a.sql")) as string;
    await lab.sqlOn("b", readFileSync(repair, "utf8"), { timeoutMs: 10_000 });
    // Assess: the rows are the same again; replication still runs both ways
    const again = await compare("--tables", "lab.items,lab.lines,lab.events,lab.stamps,lab.gauges");
    expect(again.report.tables.flatMap((t) => t.differences)).toEqual([]);
    expect(again.code).toBe(0);
    const status = await lab.status();
    for (const id of ["a", "b"] as const)
      expect(status.nodes[id].replication).toMatchObject({ ioRunning: "Yes", sqlRunning: "Yes" });
  }, 120_000);

  it("node B busy (12 queries running): compare pauses until they end, then reads every row; the report says how long", async () => {
    // Prepare: 12 sessions on B each running a 3 s query, until B's Threads_running shows them
    const running = async () =>
      Number((await lab.sqlOn("b", "SHOW GLOBAL STATUS LIKE 'Threads_running'"))[0]?.Value ?? 0);
    const busy = Array.from({ length: 12 }, () => lab.sqlOn("b", "SELECT SLEEP(3)", { timeoutMs: 20_000 }));
    try {
      await waitFor(async () => (await running()) > 10, {
        timeoutMs: 10_000,
        what: "B's Threads_running above 10",
      });
      // Act
      const { code, report } = await compare("--tables", "lab.items", "--max-load", "8");
      // Assess: it waited for the 3 s queries (its first look, then at least once more), then read every row
      expect(code).toBe(0);
      expect((report as Report & { pausedSeconds?: number }).pausedSeconds).toBeGreaterThan(0.2);
      const onA = Number((await lab.sqlOn("a", "SELECT COUNT(*) AS n FROM lab.items"))[0]?.n);
      expect(report.tables[0]?.rows).toBe(onA);
    } finally {
      await Promise.allSettled(busy);
    }
  }, 60_000);

  it("two rows changed alike, alone in their chunk: both found (a CRC chunk checksum cancels them out)", async () => {
    // Prepare: the same change on two rows of the same shape on B, nothing else differing in lab.drill
    const labArgs = ["--name", lab.plan.name, "--subnet", lab.plan.subnet, "--json"];
    const r = await cli("lab", "diverge", "twin-update", "b", ...labArgs);
    expect(r.code, r.err).toBe(0);
    const { expected } = JSON.parse(r.out) as { expected: Expected };
    try {
      // Act
      const { code, report } = await compare("--tables", "lab.drill");
      // Assess
      expect(code).toBe(1);
      expect(report.tables.flatMap((t) => t.differences.map((d) => `${d.kind} ${d.key.join("/")}`))).toEqual(
        [20, 25].map((id) => `different ${hex(String(id))}`),
      );
    } finally {
      await lab.sqlOn("b", undoDivergence(expected), { noBinlog: true });
    }
    expect((await compare("--tables", "lab.drill")).code).toBe(0);
  }, 120_000);

  it("lab diverge: each kind made on a node is what compare finds, row by key or as schema drift", async () => {
    // Prepare: every kind, row-delete on A and the others on B, through the CLI
    const labArgs = ["--name", lab.plan.name, "--subnet", lab.plan.subnet, "--json"];
    const made: { expected: Record<string, string | number | number[]> }[] = [];
    for (const [kind, node] of [
      ["row-insert", "b"],
      ["row-delete", "a"],
      ["row-update", "b"],
      ["null-vs-empty", "b"],
      ["trailing-space", "b"],
      ["float", "b"],
      ["twin-update", "b"],
      ["keyless-copy", "b"],
      ["collation", "b"],
      ["table-missing", "b"],
    ] as const) {
      const r = await cli("lab", "diverge", kind, node, ...labArgs);
      expect(r.code, r.err).toBe(0);
      made.push(JSON.parse(r.out));
    }
    // Act
    const { code, report } = await compare(
      "--tables",
      "lab.drill,lab.drill_codes,lab.drill_only_here,lab.drill_log",
    );
    // Assess
    expect(code).toBe(1);
    const rows = made
      .map((m) => m.expected)
      .filter((e) => "kind" in e)
      .flatMap((e) => (e.ids as number[]).map((id) => `${e.table} ${e.kind} ${hex(String(id))}`))
      .sort();
    expect(
      report.tables
        .flatMap((t) => t.differences.map((d) => `${t.table} ${d.kind} ${d.key.join("/")}`))
        .sort(),
    ).toEqual(rows);
    const drift = made
      .map((m) => m.expected)
      .filter((e) => "drift" in e)
      .map((e) => `${e.table} ${e.drift}`)
      .sort();
    expect(report.drift.map((d) => `${d.table} ${d.kind}`).sort()).toEqual(drift);
    expect(rows).toHaveLength(9);
    expect(drift).toHaveLength(2);
  }, 120_000);

  it("while the application writes through the VIP, B a second behind: no difference, over three runs", async () => {
    // Prepare: a table the load updates and grows
    await lab.sqlOn(
      "a",
      `CREATE TABLE lab.hot (id INT PRIMARY KEY, n INT NOT NULL, note VARCHAR(32) NULL) ENGINE=InnoDB;
       INSERT INTO lab.hot SELECT seq, 0, NULL FROM lab.seq_1_to_${LOAD_ROWS};`,
      { timeoutMs: 30_000 },
    );
    await waitFor(async () => (await rowsOnB("hot")) === LOAD_ROWS, {
      timeoutMs: 30_000,
      what: "lab.hot on B",
    });
    // B applies A's writes a second late (delayed replication): a check that read B without waiting for
    // A's position would take every write in flight for a difference
    await lab.sqlOn("b", "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 1; START SLAVE;");
    for (let run = 0; run < 3; run++) {
      // a bounded write load (updates across the table and inserts, through the VIP), started first
      let stop = false;
      let writes = 0;
      const load = (async () => {
        for (let i = 0; !stop && i < 2000; i++) {
          const id = 1 + ((run * 997 + i * 7919) % LOAD_ROWS);
          await lab.sqlFromClient(
            `UPDATE lab.hot SET n = n + 1, note = CONCAT('w', ${i}) WHERE id = ${id};
             INSERT INTO lab.hot VALUES (${LOAD_ROWS + 1 + run * 2000 + i}, ${i}, 'new');`,
          );
          writes++;
        }
      })();
      await waitFor(async () => writes >= 3, { timeoutMs: 30_000, what: "the write load to start" });
      // Act
      const before = writes;
      let report: Report;
      try {
        ({ report } = await compare("--tables", "lab.hot", "--chunk-time", "200ms"));
      } finally {
        stop = true;
        await load;
      }
      // Assess: the load wrote while the check read, and nothing in flight was taken for a difference
      const during = writes - before;
      expect(during, "writes during the check").toBeGreaterThan(0);
      const hot = report.tables.find((t) => t.table === "lab.hot");
      expect(hot?.rows).toBeGreaterThanOrEqual(LOAD_ROWS);
      expect(hot?.differences, `run ${run}: ${during} writes during the check`).toEqual([]);
    }
  }, 240_000);
});
