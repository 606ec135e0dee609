/**
 * The consistency check's engine against two in-memory nodes with replication between them: the other
 * node applies the reference's writes only up to the position it was asked to wait for, so a check that
 * read it without waiting would see writes in flight as differences.
 */
import { describe, expect, it } from "vitest";
import { CatchUpTimeout, compareNodes, LIST_ROWS, type Progress } from "../../shared/consistency-check.ts";
import type { TableDef } from "../../shared/domain/consistency/model.ts";
import { hex, idOf, Replica, T, Writer } from "../helpers/compare-nodes.ts";

/** A pair in sync: 100 rows written on A and applied on B. */
function pair() {
  const a = new Writer();
  for (let id = 1; id <= 100; id++) a.write({ id, v: `v${id}` });
  const b = new Replica(a);
  b.catchUp(a.log.length);
  return { a, b };
}
const options = { cluster: "lab", schemas: ["shop"], initialChunkRows: 10 };

describe("compareNodes", () => {
  it("two nodes with the same rows: no difference, every row read, in chunks", async () => {
    const { a, b } = pair();
    const { report } = await compareNodes(a, b, options);
    expect(report.tables[0]).toMatchObject({ table: "shop.t", rows: 100, differences: [], unconfirmed: [] });
    expect(report.tables[0]?.chunks).toBeGreaterThan(1);
  });

  it("a key that is not an integer: chunk bounds from the reference's index walk, the same verdicts", async () => {
    const { a, b } = pair();
    const textKey = {
      ...T,
      columns: [
        { ...T.columns[0], type: "varchar(9)" } as TableDef["columns"][number],
        T.columns[1] as TableDef["columns"][number],
      ],
    };
    a.tables = b.tables = async () => [textKey];
    b.errant({ id: 42, v: "x" });
    const { report, rows } = await compareNodes(a, b, options);
    expect(report.tables[0]?.rows).toBe(100);
    expect(report.tables[0]?.chunks).toBeGreaterThan(1);
    expect(rows.map((r) => `${r.kind}:${idOf(r.key)}`)).toEqual(["different:42"]);
  });

  it("a differing chunk of 10,000 rows is cut down to at most LIST_ROWS rows before its rows are listed", async () => {
    // Prepare
    const a = new Writer();
    for (let id = 1; id <= 10_000; id++) a.write({ id, v: `v${id}` });
    const b = new Replica(a);
    b.catchUp(a.log.length);
    b.errant({ id: 7777, v: "errant" });
    let listed = 0;
    for (const node of [a, b]) {
      const list = node.rowHashes.bind(node);
      node.rowHashes = async (...args) => {
        const m = await list(...args);
        listed = Math.max(listed, m.size);
        return m;
      };
    }
    // Act
    const { rows } = await compareNodes(a, b, { ...options, initialChunkRows: 10_000, chunkTimeMs: 1 });
    // Assess
    expect(rows.map((r) => `${r.kind}:${idOf(r.key)}`)).toEqual(["different:7777"]);
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThanOrEqual(LIST_ROWS);
  });

  it("narrowing a differing chunk reads its rows about once per round (16 parts), not twice over (halving)", async () => {
    // Prepare: one chunk of 10,000 rows, one row differing; the rows each node hashes counted
    const a = new Writer();
    for (let id = 1; id <= 10_000; id++) a.write({ id, v: `v${id}` });
    const b = new Replica(a);
    b.catchUp(a.log.length);
    b.errant({ id: 7777, v: "errant" });
    let hashed = 0;
    const read = b.chunkHash.bind(b);
    b.chunkHash = async (...args) => {
      const r = await read(...args);
      hashed += r.rows;
      return r;
    };
    // Act
    const { rows } = await compareNodes(a, b, { ...options, initialChunkRows: 10_000 });
    // Assess: the chunk (10,000) and one round over its 16 parts (10,000); halving read 27,500
    expect(rows.map((r) => `${r.kind}:${idOf(r.key)}`)).toEqual(["different:7777"]);
    expect(hashed).toBeLessThanOrEqual(21_000);
  });

  it("rows missing on the reference: the parts stay within the chunk, a difference after it is reported once", async () => {
    // Prepare: A has 1..1000 and 2101..3000; B also 1001..2100 (written on B alone) and a different 2120.
    // The first chunk (0, 2100] holds 1,000 rows on A and 2,100 on B: a cut at A's keys walks past 2100.
    const a = new Writer();
    for (let id = 1; id <= 3000; id++) if (id <= 1000 || id > 2100) a.write({ id, v: `v${id}` });
    const b = new Replica(a);
    b.catchUp(a.log.length);
    for (let id = 1001; id <= 2100; id++) b.errant({ id, v: `v${id}` });
    b.errant({ id: 2120, v: "errant" });
    // Act
    const { rows } = await compareNodes(a, b, { ...options, initialChunkRows: 2100, chunkTimeMs: 1 });
    // Assess
    const found = rows.map((r) => `${r.kind}:${idOf(r.key)}`);
    expect(found.filter((f) => f === "different:2120")).toHaveLength(1);
    expect(found.filter((f) => f.startsWith("missing-on-a:"))).toHaveLength(1100);
    expect(found).toHaveLength(1101);
  });

  it("a comparison interrupted mid-table resumes from its last checkpoint: the same report, only the chunks left read again", async () => {
    // Prepare: 1,000 rows, two differences far apart; B fails on its 6th chunk read (a crash)
    const { a, b } = pair();
    for (let id = 101; id <= 1000; id++) a.write({ id, v: `v${id}` });
    b.catchUp(a.log.length);
    b.errant({ id: 50, v: "x" }, { id: 950, v: "y" });
    const o = { ...options, initialChunkRows: 100, chunkTimeMs: 1 };
    const whole = await compareNodes(a, b, o);
    let reads = 0;
    let crashed = false;
    const read = b.chunkHash.bind(b);
    b.chunkHash = async (...args) => {
      if (++reads === 6 && !crashed) {
        crashed = true;
        throw new Error("connection lost");
      }
      return read(...args);
    };
    let checkpoint: Progress | undefined;
    await expect(
      compareNodes(a, b, { ...o, onProgress: (p) => (checkpoint = JSON.parse(JSON.stringify(p))) }),
    ).rejects.toThrow(/connection lost/);
    // Act: resumed from the checkpoint (as a file would hold it)
    reads = 0;
    const resumed = await compareNodes(a, b, { ...o, resume: checkpoint });
    // Assess
    expect(checkpoint?.tables["shop.t"]).toMatchObject({ done: false, chunks: 5 });
    expect(resumed.rows.map((r) => idOf(r.key))).toEqual(whole.rows.map((r) => idOf(r.key)));
    expect(resumed.report.tables[0]?.rows).toBe(1000);
    expect(reads).toBe(whole.report.tables[0]!.chunks - 5);
  });

  it("writes on A that B has not applied yet are not differences: B is read at A's position", async () => {
    // Prepare: ten updates and an insert on A, in flight (B applied none of them)
    const { a, b } = pair();
    for (let id = 1; id <= 10; id++) a.write({ id, v: "new" });
    a.write({ id: 101, v: "x" });
    // Act
    const { report, rows } = await compareNodes(a, b, options);
    // Assess
    expect(rows).toEqual([]);
    expect(report.tables[0]?.rows).toBe(101);
  });

  it("a row inserted, deleted and updated on B alone (sql_log_bin=0): each found with its key and kind", async () => {
    const { a, b } = pair();
    b.errant({ id: 500, v: "errant" }, { id: 7, v: null, deleted: true }, { id: 42, v: "" });
    const { rows } = await compareNodes(a, b, options);
    expect(rows.map((r) => `${r.kind}:${idOf(r.key)}`).sort()).toEqual([
      "different:42",
      "missing-on-a:500",
      "missing-on-b:7",
    ]);
    const d42 = rows.find((r) => idOf(r.key) === 42);
    expect(d42?.a).toEqual({ id: hex("42"), v: hex("v42") });
    expect(d42?.b).toEqual({ id: hex("42"), v: "" });
  });

  it("a differing row that A overwrites while it is confirmed: read on B after B applied it, no difference", async () => {
    // Prepare: 42 differs on B; A writes it again the moment the check first reads it (in flight to B)
    const { a, b } = pair();
    b.errant({ id: 42, v: "errant" });
    let written = false;
    a.onRowRead = (id) => {
      if (id === 42 && !written) {
        written = true;
        a.write({ id: 42, v: "fixed" });
      }
    };
    // Act
    const { rows, report } = await compareNodes(a, b, options);
    // Assess: the update replicated over the errant value; both nodes hold "fixed"
    expect(written).toBe(true);
    expect(rows).toEqual([]);
    expect(report.tables[0]?.unconfirmed).toEqual([]);
  });

  it("images: false (the deployed sweep) keeps each difference's kind and key, no row values", async () => {
    const { a, b } = pair();
    b.errant({ id: 42, v: "errant" }, { id: 43, v: null, deleted: true });
    const { rows } = await compareNodes(a, b, { ...options, images: false });
    expect(rows).toEqual([
      { table: "shop.t", kind: "different", key: [hex("42")], a: {}, b: {} },
      { table: "shop.t", kind: "missing-on-b", key: [hex("43")], a: {}, b: null },
    ]);
  });

  it("100 candidate rows are confirmed in three image reads (A, B, A again), not three per row", async () => {
    const { a, b } = pair();
    for (let id = 1; id <= 100; id++) b.errant({ id, v: "x" });
    let reads = 0;
    for (const n of [a, b]) {
      const images = n.rowImages.bind(n);
      n.rowImages = async (t, keys) => {
        reads++;
        return images(t, keys);
      };
    }
    const { rows } = await compareNodes(a, b, { ...options, initialChunkRows: 1000 });
    expect(rows).toHaveLength(100);
    expect(reads).toBe(3);
  });

  it("a row written on A at every read is unconfirmed (hot), never a difference", async () => {
    const { a, b } = pair();
    b.errant({ id: 42, v: "errant" });
    let n = 0;
    a.onRowRead = (id) => {
      if (id === 42) a.write({ id: 42, v: `hot${n++}` });
    };
    const { report, rows } = await compareNodes(a, b, options);
    expect(rows).toEqual([]);
    expect(report.tables[0]?.unconfirmed.map((u) => idOf(u.key))).toEqual([42]);
  });

  it("B that never reaches A's position: the check stops with the reason, it does not guess", async () => {
    const { a, b } = pair();
    b.stuck = true;
    await expect(compareNodes(a, b, { ...options, catchUpTimeoutMs: 10 })).rejects.toThrow(CatchUpTimeout);
  });

  it("a table whose definitions differ is drift, its rows not compared", async () => {
    const { a, b } = pair();
    b.tables = async () => [{ ...T, columns: [T.columns[0] as TableDef["columns"][number]] }];
    b.errant({ id: 500, v: "errant" });
    const { report, rows } = await compareNodes(a, b, options);
    expect(report.drift.map((d) => d.kind)).toEqual(["columns"]);
    expect(rows).toEqual([]);
    expect(report.tables[0]?.skipped).toMatch(/^schema drift \(columns\): rows not compared/);
  });

  describe("a busy node (Threads_running above the limit)", () => {
    it("the check pauses before its next chunk until the node is quieter, reads nothing meanwhile, and says so", async () => {
      // Prepare: B quiet at the start (limit 25), then busy (40) for two looks, then quiet again
      const { a, b } = pair();
      const looks = [1, 40, 40];
      b.load = async () => (b.running = looks.shift() ?? 1);
      let readWhileBusy = 0;
      const read = b.chunkHash.bind(b);
      b.chunkHash = async (...args) => {
        if (b.running > 25) readWhileBusy++;
        return read(...args);
      };
      const log: string[] = [];
      // Act
      const { report } = await compareNodes(a, b, { ...options, log: (l) => log.push(l) });
      // Assess: 250 ms then 500 ms of pause, every row still read
      expect(readWhileBusy).toBe(0);
      expect(report.pausedSeconds).toBeGreaterThanOrEqual(0.7);
      expect(report.tables[0]?.rows).toBe(100);
      expect(log).toContain("node B Threads_running 40, above 25: pausing");
    });

    it("busy longer than busyTimeoutMs: the check stops with the node, its load and the limit", async () => {
      const { a, b } = pair();
      const looks = [1];
      b.load = async () => looks.shift() ?? 40;
      await expect(compareNodes(a, b, { ...options, busyTimeoutMs: 300 })).rejects.toThrow(
        /^node B Threads_running 40, above 25 for 0.3 s: compare again when the pair is quieter$/,
      );
    });

    it("--max-load above the pair's usual load: no pause at that load", async () => {
      const { a, b } = pair();
      b.running = 30;
      const { report } = await compareNodes(a, b, { ...options, maxLoad: 40, busyTimeoutMs: 100 });
      expect(report.pausedSeconds).toBeUndefined();
      expect(report.tables[0]?.rows).toBe(100);
    });
  });

  describe("a table without a key", () => {
    const keyless: TableDef = { ...T, key: [], keyName: null };
    const noKey = (...nodes: { tables: () => Promise<TableDef[]> }[]) => {
      for (const n of nodes) n.tables = async () => [keyless];
    };

    it("small: compared whole, each row one node lacks named by all its values", async () => {
      // Prepare: B lacks row 7 and holds a row 900 A does not have
      const { a, b } = pair();
      noKey(a, b);
      b.errant({ id: 7, v: null, deleted: true }, { id: 900, v: "only b" });
      // Act
      const { report, rows } = await compareNodes(a, b, options);
      // Assess
      expect(report.tables[0]).toMatchObject({ rows: 100, chunks: 1, unconfirmed: [] });
      expect(report.tables[0]?.skipped).toBeUndefined();
      expect(rows.map((r) => `${r.kind} ${r.key.join("/")}`).sort()).toEqual([
        `missing-on-a ${hex("900")}/${hex("only b")}`,
        `missing-on-b ${hex("7")}/${hex("v7")}`,
      ]);
      expect(rows.find((r) => r.kind === "missing-on-b")).toMatchObject({ a: { id: hex("7") }, b: null });
    });

    it("a row held three times on one node and once on the other: two copies missing", async () => {
      // Prepare: counts as a server returns them for a table holding a row twice
      const { a, b } = pair();
      noKey(a, b);
      const counts = b.rowCounts.bind(b);
      b.rowCounts = async (t, max) => {
        const m = (await counts(t, max)) as Map<string, number>;
        const row5 = JSON.stringify({ id: hex("5"), v: hex("v5") });
        m.set(row5, 3);
        return m;
      };
      // Act
      const { rows } = await compareNodes(a, b, options);
      // Assess
      expect(rows.map((r) => `${r.kind} ${r.key.join("/")}`)).toEqual(
        Array(2).fill(`missing-on-a ${hex("5")}/${hex("v5")}`),
      );
    });

    it("a row gone before its values were read: the table unconfirmed, never reported the same", async () => {
      const { a, b } = pair();
      noKey(a, b);
      b.errant({ id: 900, v: "only b" });
      b.rowsByHash = async () => new Map();
      const { report, rows } = await compareNodes(a, b, options);
      expect(rows).toEqual([]);
      expect(report.tables[0]?.unconfirmed).toEqual([{ key: [] }]);
    });

    it("larger than keylessMaxRows: reported not compared, nothing read past the limit", async () => {
      const { a, b } = pair();
      noKey(a, b);
      b.errant({ id: 900, v: "only b" });
      const { report, rows } = await compareNodes(a, b, { ...options, keylessMaxRows: 99 });
      expect(rows).toEqual([]);
      expect(report.tables[0]?.skipped).toMatch(/no primary key .* more than 99 rows .*: rows not compared/);
    });

    it("a table changing between every pair of A's reads: unconfirmed, never a difference", async () => {
      const { a, b } = pair();
      noKey(a, b);
      b.errant({ id: 900, v: "only b" });
      let n = 0;
      const counts = a.rowCounts.bind(a);
      a.rowCounts = async (t, max) => {
        a.write({ id: 1000 + n, v: `hot${n++}` });
        return counts(t, max);
      };
      const { report, rows } = await compareNodes(a, b, options);
      expect(rows).toEqual([]);
      expect(report.tables[0]?.unconfirmed).toEqual([{ key: [] }]);
    });
  });
});
