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
import { Lab } from "../lab/lab.ts";
import { labTlsPaths } from "../lab/tls.ts";
import { forwarderStreamOpener } from "../shared/adapters/forwarder-stream.ts";
import { MysqlCompareNode } from "../shared/adapters/mysql-compare.ts";
import { compareNodes } from "../shared/consistency-check.ts";
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
    // one row made to differ on B alone, then found by each
    await lab.sqlOn("b", `UPDATE lab.big SET a = 'differs' WHERE id = ${Math.floor(ROWS * 0.77)}`, {
      noBinlog: true,
    });
    const oursFind = await ourPass(lab);
    const ptFind = await ptPass(lab);
    const data = { rows: ROWS, chunkTimeS: CHUNK_TIME_S, ours, pt, oursFind, ptFind };
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
        ],
        row("compare (both nodes, read-only)", ours, ROWS),
        row("pt-table-checksum (master; replicas by replication)", pt, ROWS),
        row("compare, one row differing", oursFind, ROWS),
        row("pt-table-checksum, one row differing", ptFind, ROWS),
      ]),
    );
  } finally {
    await lab.down();
  }
}

interface Pass {
  seconds: number;
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

async function ourPass(lab: Lab): Promise<Pass> {
  const p = lab.plan;
  const open = (id: "a" | "b") =>
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
  const [a, b] = [await open("a"), await open("b")];
  const before = (await handlerReads(lab, "a")) + (await handlerReads(lab, "b"));
  const started = performance.now();
  try {
    const { report } = await compareNodes(a, b, {
      cluster: "bench",
      schemas: ["lab"],
      tables: ["lab.big"],
      chunkTimeMs: CHUNK_TIME_S * 1000,
    });
    const seconds = (performance.now() - started) / 1000;
    const t = report.tables[0];
    const after = (await handlerReads(lab, "a")) + (await handlerReads(lab, "b"));
    return {
      seconds,
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

/** pt-table-checksum on A (root over the socket), chunk time 0.5 s; B's checksums read after. */
async function ptPass(lab: Lab): Promise<Pass> {
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
      "--recursion-method=none",
      "--no-check-replication-filters",
      "--no-check-binlog-format",
    ],
    { timeoutMs: 900_000, allowFailure: true },
  );
  if (r.code !== 0 && r.code !== 16)
    throw new Error(`pt-table-checksum exited ${r.code}: ${r.stderr || r.stdout}`);
  // the statements replicate to B, which computes its own checksums: the pass ends when B has them all
  const chunks = Number((await lab.sqlOn("a", "SELECT COUNT(*) AS n FROM percona.checksums"))[0]?.n);
  await waitFor(
    async () =>
      Number(
        (await lab.sqlOn("b", "SELECT COUNT(*) AS n FROM percona.checksums WHERE this_cnt IS NOT NULL"))[0]
          ?.n,
      ) === chunks,
    { timeoutMs: 120_000, intervalMs: 20, what: "B to compute pt-table-checksum's chunks" },
  );
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
