/**
 * `npm run bench -- compare` (as root): the consistency check beside pt-table-checksum (Debian's
 * percona-toolkit) on the same lab data, a table of BENCH_COMPARE_ROWS rows (1,000,000 by default):
 *   - a full pass of each at the same chunk time (0.5 s): wall time, rows per second, the server time of
 *     each chunk read (p50, p99), rows the servers examined per row compared (Handler_read_* deltas);
 *   - one row made to differ on B (sql_log_bin=0): the time until `compare` names it, beside
 *     pt-table-checksum's full pass (which only says which chunk differs; pt-table-sync then names rows).
 * Writes bench/results/compare.json; BENCHMARKS.md carries the table.
 */
import { readFileSync } from "node:fs";
import { DIVERGENCE_KINDS, type Expected, undoDivergence } from "../lab/divergence.ts";
import { Lab } from "../lab/lab.ts";
import { labTlsPaths } from "../lab/tls.ts";
import { forwarderStreamOpener } from "../shared/adapters/forwarder-stream.ts";
import { MysqlCompareNode } from "../shared/adapters/mysql-compare.ts";
import { compareNodes } from "../shared/consistency-check.ts";
import { sweepSlice } from "../shared/consistency-sweep.ts";
import type { SweepRecord } from "../shared/domain/consistency/sweep.ts";
import type { ClusterState } from "../shared/domain/state.ts";
import type { StoredSweep, SweepStore } from "../shared/ports.ts";
import { run } from "../shared/util/exec.ts";
import { waitFor } from "../shared/util/wait.ts";
import { pct, table } from "./format.ts";

const ROWS = Number(process.env.BENCH_COMPARE_ROWS ?? 1_000_000);
const CHUNK_TIME_S = 0.5;

export async function compareBench(save: (name: string, data: unknown) => void): Promise<void> {
  const lab = new Lab({ name: "mhpc", subnet: "198.18.123.0/24" });
  await lab.up({ rebuild: true });
  try {
    await seed(lab);
    const ours = await ourPass(lab);
    const pt = await ptPass(lab);
    // pt-table-checksum with a checksum as strong as compare's (MD5, not the CRC32 that two rows changed
    // alike cancel out in): the throughput at equal strength
    const ptMd5 = await ptPass(lab, "MD5");
    // one row made to differ on B alone, then found by each
    await lab.sqlOn("b", `UPDATE lab.big SET a = 'differs' WHERE id = ${Math.floor(ROWS * 0.77)}`, {
      noBinlog: true,
    });
    const oursFind = await ourPass(lab);
    const ptFind = await ptPass(lab);
    const syncFind = await ptSyncPass(lab);
    const sweep = await sweepPass(lab);
    const faults = await faultsPass(lab);
    const data = {
      rows: ROWS,
      chunkTimeS: CHUNK_TIME_S,
      ours,
      pt,
      ptMd5,
      oursFind,
      ptFind,
      syncFind,
      sweep,
      faults,
    };
    save("compare", data);
    console.log(
      `\nThe consistency check beside pt-table-checksum (${ROWS} rows, chunk time ${CHUNK_TIME_S} s)`,
    );
    console.log(
      table([
        [
          "",
          "wall",
          "rows/s",
          "chunks",
          "server time per chunk p50",
          "p99",
          "rows examined per row",
          "found",
          "first named at",
        ],
        row("compare (both nodes, read-only)", ours, ROWS),
        row("pt-table-checksum (master; replicas by replication)", pt, ROWS),
        row("pt-table-checksum --function=MD5", ptMd5, ROWS),
        row("compare, one row differing", oursFind, ROWS),
        row("pt-table-checksum, one row differing", ptFind, ROWS),
        row("pt-table-sync --print A to B (host to host), one row differing", syncFind, ROWS),
      ]),
    );
    console.log(
      `\nThe deployed sweep over the same table, slices of ${SWEEP_SLICE_S} s (chunk time ${SWEEP.chunkTimeMs} ms): ${sweep.slices} slices, ${sweep.seconds.toFixed(1)} s of reading (${Math.round(ROWS / sweep.seconds)} rows/s), ${sweep.saves} state writes, a slice's overrun past its end p50 ${Math.round(pct(sweep.overrunMs, 50))} ms, max ${Math.round(Math.max(...sweep.overrunMs))} ms; found: ${sweep.found.join(", ") || "-"}`,
    );
    console.log("\nWhat each tool finds on each lab divergence (made on B alone, one at a time)");
    console.log(
      table([
        ["divergence", "compare", "pt-table-checksum", "pt-table-sync --print A to B"],
        ...faults.map((f) => [f.kind, f.compare, f.checksum, f.sync]),
      ]),
    );
  } finally {
    await lab.down();
  }
}

interface Pass {
  seconds: number;
  /** Seconds until the first differing row was known (compare: the chunk that held it narrowed). */
  namedAt?: number;
  chunks: number;
  chunkMs: number[];
  examined: number;
  found: string[];
}

function row(name: string, p: Pass, rows: number): (string | number)[] {
  return [
    name,
    `${p.seconds.toFixed(1)} s`,
    Math.round(rows / p.seconds),
    p.chunks,
    `${Math.round(pct(p.chunkMs, 50))} ms`,
    `${Math.round(pct(p.chunkMs, 99))} ms`,
    (p.examined / rows).toFixed(2),
    p.found.join(", ") || "-",
    p.namedAt === undefined ? "-" : `${p.namedAt.toFixed(1)} s`,
  ];
}

async function seed(lab: Lab): Promise<void> {
  await lab.sqlOn(
    "a",
    `CREATE TABLE lab.big (id INT PRIMARY KEY, a VARCHAR(32) NOT NULL, b DOUBLE NOT NULL, c DATETIME NOT NULL,
       d VARCHAR(200) NULL) ENGINE=InnoDB;
     INSERT INTO lab.big SELECT seq, CONCAT('row ', seq), seq / 7, '2026-01-01' + INTERVAL seq SECOND,
       IF(seq % 3 = 0, NULL, REPEAT('x', seq % 200)) FROM lab.seq_1_to_${ROWS};`,
    { timeoutMs: 600_000 },
  );
  await waitFor(
    async () => Number((await lab.sqlOn("b", "SELECT COUNT(*) AS n FROM lab.big"))[0]?.n) === ROWS,
    { timeoutMs: 600_000, intervalMs: 1000, what: "lab.big to replicate to B" },
  );
}

/** Rows the node's handlers read (index and table reads), summed. */
async function handlerReads(lab: Lab, id: "a" | "b"): Promise<number> {
  const rows = await lab.sqlOn(id, "SHOW GLOBAL STATUS LIKE 'Handler_read%'");
  return rows.reduce((n, r) => n + Number(r.Value ?? 0), 0);
}

/** Both nodes opened read-only as the monitoring user, through the lab's forwarder. */
function opener(lab: Lab) {
  const p = lab.plan;
  return (id: "a" | "b") =>
    MysqlCompareNode.open({
      id,
      host: p.nodes[id].ip,
      port: p.mysqlPort,
      user: p.users.monitor.user,
      password: p.users.monitor.password,
      tls: { mode: "verify-ca", ca: readFileSync(labTlsPaths(p).caFile, "utf8") },
      openStream: forwarderStreamOpener(p.client.forwarderSocket),
      statementTimeoutMs: 60_000,
    });
}

async function ourPass(lab: Lab): Promise<Pass> {
  const open = opener(lab);
  const [a, b] = [await open("a"), await open("b")];
  const before = (await handlerReads(lab, "a")) + (await handlerReads(lab, "b"));
  const started = performance.now();
  let namedAt: number | undefined;
  try {
    const { report } = await compareNodes(a, b, {
      cluster: "bench",
      schemas: ["lab"],
      tables: ["lab.big"],
      chunkTimeMs: CHUNK_TIME_S * 1000,
      onProgress: (p) => {
        if (namedAt === undefined && Object.values(p.tables).some((t) => t.differences.length > 0))
          namedAt = (performance.now() - started) / 1000;
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const t = report.tables[0];
    const after = (await handlerReads(lab, "a")) + (await handlerReads(lab, "b"));
    return {
      seconds,
      ...(namedAt === undefined ? {} : { namedAt }),
      chunks: t?.chunks ?? 0,
      chunkMs: [...(t?.chunkMs ?? [])],
      examined: after - before,
      found: (t?.differences ?? []).map(
        (d) => `${d.kind} id ${Buffer.from(d.key[0] ?? "", "hex").toString()}`,
      ),
    };
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

/** pt-table-checksum on A (root over the socket), chunk time 0.5 s, its checksum function; B's checksums read after. */
async function ptPass(lab: Lab, fn = "CRC32"): Promise<Pass> {
  const p = lab.plan;
  await lab.sqlOn("a", "DROP DATABASE IF EXISTS percona");
  const before = (await handlerReads(lab, "a")) + (await handlerReads(lab, "b"));
  const started = performance.now();
  const r = await run(
    "pt-table-checksum",
    [
      `h=localhost,S=${p.nodes.a.mysql.socket},u=root`,
      "--databases=lab",
      "--tables=big",
      `--chunk-time=${CHUNK_TIME_S}`,
      `--function=${fn}`,
      "--recursion-method=none",
      "--no-check-replication-filters",
      "--no-check-binlog-format",
    ],
    { timeoutMs: 900_000, allowFailure: true },
  );
  if (r.code !== 0 && r.code !== 16)
    throw new Error(`pt-table-checksum exited ${r.code}: ${r.stderr || r.stdout}`);
  const chunks = await checksumsOnB(lab, 120_000);
  const seconds = (performance.now() - started) / 1000;
  const after = (await handlerReads(lab, "a")) + (await handlerReads(lab, "b"));
  const diffs = await lab.sqlOn(
    "b",
    "SELECT chunk, lower_boundary AS lo, upper_boundary AS hi, chunk_time AS t FROM percona.checksums WHERE master_cnt <> this_cnt OR master_crc <> this_crc OR ISNULL(master_crc) <> ISNULL(this_crc)",
  );
  const times = await lab.sqlOn("a", "SELECT chunk_time AS t FROM percona.checksums");
  return {
    seconds,
    chunks,
    chunkMs: times.map((t) => Number(t.t) * 1000),
    examined: after - before,
    found: diffs.map((d) => `chunk ${d.chunk} (id ${d.lo}..${d.hi})`),
  };
}

/**
 * pt-table-sync host to host (A's rows the truth, B the target), `--print`: the statements that would
 * make B like A, executed nowhere. It reads both as root over their sockets; the time until it names the row.
 */
async function ptSyncPass(lab: Lab): Promise<Pass> {
  const p = lab.plan;
  const before = (await handlerReads(lab, "a")) + (await handlerReads(lab, "b"));
  const started = performance.now();
  const r = await run(
    "pt-table-sync",
    [
      "--print",
      "--databases=lab",
      "--tables=big",
      "--no-check-slave",
      "--no-check-triggers",
      `h=localhost,S=${p.nodes.a.mysql.socket},u=root`,
      `h=localhost,S=${p.nodes.b.mysql.socket},u=root`,
    ],
    { timeoutMs: 900_000, allowFailure: true },
  );
  if (r.code !== 0 && r.code !== 2)
    throw new Error(`pt-table-sync exited ${r.code}: ${r.stderr || r.stdout}`);
  const seconds = (performance.now() - started) / 1000;
  const after = (await handlerReads(lab, "a")) + (await handlerReads(lab, "b"));
  const found = r.stdout
    .split("\n")
    .filter((l) => /^(REPLACE|UPDATE|DELETE|INSERT)/.test(l))
    .map((l) => l.slice(0, 80));
  return { seconds, chunks: 0, chunkMs: [0], examined: after - before, found };
}

const SWEEP_SLICE_S = 2;
const SWEEP = {
  schemas: ["lab"],
  sliceSeconds: SWEEP_SLICE_S,
  restMinutes: 60,
  chunkTimeMs: 250,
  maxLoad: 25,
};

/** A sweep store in memory that counts its writes (the state table's conditional semantics). */
class CountingSweepStore implements SweepStore {
  item: StoredSweep | null = null;
  saves = 0;
  async loadSweep() {
    return this.item ? structuredClone(this.item) : null;
  }
  async saveSweep(_c: string, expected: number | null, record: SweepRecord, leaseUntil: number) {
    if ((this.item?.version ?? null) !== expected) return null;
    this.saves++;
    this.item = { version: (expected ?? 0) + 1, record: structuredClone(record), leaseUntil };
    return this.item.version;
  }
}

/** The deployed sweep's slices over lab.big (and the lab's other tables) until its pass is done. */
async function sweepPass(lab: Lab) {
  const open = opener(lab);
  const store = new CountingSweepStore();
  const state = { status: "HEALTHY", vipOwner: "a", nodes: { b: { replication: { io: "Yes", sql: true } } } };
  const overrunMs: number[] = [];
  let slices = 0;
  const started = performance.now();
  for (;;) {
    const stopAt = Date.now() + SWEEP_SLICE_S * 1000;
    const r = await sweepSlice(
      "bench",
      SWEEP,
      state as unknown as ClusterState,
      {
        store,
        open: async () => {
          const [a, b] = [await open("a"), await open("b")];
          return {
            reference: a,
            other: b,
            close: async () => void (await Promise.all([a.close(), b.close()])),
          };
        },
      },
      stopAt,
    );
    overrunMs.push(Math.max(0, Date.now() - stopAt));
    slices++;
    if (r.outcome === "done") break;
    if (r.outcome !== "progress") throw new Error(`a sweep slice ended ${r.outcome}: ${r.why}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const last = store.item?.record.last;
  return {
    slices,
    seconds,
    saves: store.saves,
    overrunMs,
    rows: last?.rows ?? 0,
    found: (last?.differences ?? []).map(
      (d) => `${d.kind} ${d.table} id ${Buffer.from(d.key[0] ?? "", "hex").toString()}`,
    ),
  };
}

/**
 * Each `lab diverge` kind made on B alone, then looked for by each tool on the drill's tables, then undone
 * (B's row or table put back as A has it, with sql_log_bin=0): what compare, pt-table-checksum (the chunks
 * whose checksums differ, as B computed them through replication) and pt-table-sync (the statements it would
 * run on B) each say about it.
 */
async function faultsPass(lab: Lab) {
  const out: { kind: string; compare: string; checksum: string; sync: string }[] = [];
  for (const kind of DIVERGENCE_KINDS) {
    const d = await lab.diverge(kind, "b");
    const tables = ["drill", "drill_codes", "drill_only_here", "drill_log"];
    const compare = await compareFinds(
      lab,
      tables.map((t) => `lab.${t}`),
    );
    const checksum = await checksumFinds(lab, tables);
    const sync = await syncFinds(lab, tables);
    out.push({ kind, compare, checksum, sync });
    await undo(lab, d.expected);
  }
  return out;
}

async function compareFinds(lab: Lab, tables: string[]): Promise<string> {
  const open = opener(lab);
  const [a, b] = [await open("a"), await open("b")];
  try {
    const { report } = await compareNodes(a, b, { cluster: "bench", schemas: ["lab"], tables });
    const rows = report.tables.flatMap((t) =>
      t.differences.map((x) => `${x.table} id ${Buffer.from(x.key[0] ?? "", "hex").toString()} ${x.kind}`),
    );
    const drift = report.drift.map((x) => `${x.table}: ${x.kind} (schema drift)`);
    return [...rows, ...drift].join("; ") || "nothing";
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

async function checksumFinds(lab: Lab, tables: string[]): Promise<string> {
  const p = lab.plan;
  await lab.sqlOn("a", "DROP DATABASE IF EXISTS percona");
  const r = await run(
    "pt-table-checksum",
    [
      `h=localhost,S=${p.nodes.a.mysql.socket},u=root`,
      "--databases=lab",
      `--tables=${tables.join(",")}`,
      "--recursion-method=none",
      "--no-check-replication-filters",
      "--no-check-binlog-format",
    ],
    { timeoutMs: 300_000, allowFailure: true },
  );
  if (r.code !== 0 && r.code !== 16 && r.code !== 32)
    return `error (exit ${r.code}): ${(r.stderr || r.stdout).split("\n")[0]?.slice(0, 80)}`;
  await checksumsOnB(lab, 60_000);
  const diffs = await lab.sqlOn(
    "b",
    "SELECT tbl, chunk FROM percona.checksums WHERE master_cnt <> this_cnt OR master_crc <> this_crc OR ISNULL(master_crc) <> ISNULL(this_crc)",
  );
  return diffs.map((x) => `lab.${x.tbl} chunk ${x.chunk} differs`).join("; ") || "nothing";
}

async function syncFinds(lab: Lab, tables: string[]): Promise<string> {
  const p = lab.plan;
  const r = await run(
    "pt-table-sync",
    [
      "--print",
      "--databases=lab",
      `--tables=${tables.join(",")}`,
      "--no-check-slave",
      "--no-check-triggers",
      `h=localhost,S=${p.nodes.a.mysql.socket},u=root`,
      `h=localhost,S=${p.nodes.b.mysql.socket},u=root`,
    ],
    { timeoutMs: 300_000, allowFailure: true },
  );
  const statements = r.stdout
    .split("\n")
    .filter((l) => /^(REPLACE|UPDATE|DELETE|INSERT)/.test(l))
    .map((l) => l.replace(/\s*\/\*.*$/, "").slice(0, 70));
  if (r.code !== 0 && r.code !== 2 && statements.length === 0)
    return `error (exit ${r.code}): ${(r.stderr || r.stdout).split("\n")[0]?.slice(0, 80)}`;
  return statements.join("; ") || "nothing";
}

/** B put back as A has it, with sql_log_bin=0. */
async function undo(lab: Lab, e: Expected): Promise<void> {
  await lab.sqlOn("b", undoDivergence(e), { noBinlog: true });
}

/**
 * pt-table-checksum's statements replicate to B, which computes its own checksums: its pass ends when B
 * has them all. Returns the chunks.
 */
async function checksumsOnB(lab: Lab, timeoutMs: number): Promise<number> {
  const chunks = Number((await lab.sqlOn("a", "SELECT COUNT(*) AS n FROM percona.checksums"))[0]?.n);
  await waitFor(
    async () =>
      Number(
        (await lab.sqlOn("b", "SELECT COUNT(*) AS n FROM percona.checksums WHERE this_cnt IS NOT NULL"))[0]
          ?.n,
      ) === chunks,
    { timeoutMs, intervalMs: 20, what: "B to compute pt-table-checksum's chunks" },
  );
  return chunks;
}
