/**
 * The consistency check (`mysql-ha-prober compare`): both nodes' tables compared chunk by chunk along
 * their key, with read privileges only, while the pair takes writes. Each chunk is read on the reference
 * node (the writer) first, then on the other node once it has applied everything the reference had when
 * its read ended; a differing chunk is narrowed to its rows, and each candidate row is confirmed the same
 * way, with the reference read again after: a row that changed meanwhile is read again (up to 3 times),
 * then reported "unconfirmed (hot)", never as a difference. docs/consistency.md has the argument.
 */

import type { RowImage } from "./domain/consistency/model.ts";
import {
  type CompareReport,
  type SchemaDrift,
  type TableDef,
  type TableReport,
  tableName,
} from "./domain/consistency/model.ts";
import type { RowDifference } from "./domain/consistency/repair.ts";
import { integerKey, type Key } from "./domain/consistency/row-sql.ts";
import { schemaDrift } from "./domain/consistency/schema-diff.ts";
import { sleep } from "./util/wait.ts";

/** One node as the check reads it (shared/adapters/mysql-compare.ts): reads only, each with a deadline. */
export interface CompareNode {
  readonly id: "a" | "b";
  tables(schemas: readonly string[]): Promise<TableDef[]>;
  /** How busy the node is: Threads_running (SHOW GLOBAL STATUS; no privilege needed). */
  load(): Promise<number>;
  /** What this node has applied: its GTID position or set, as text. */
  position(): Promise<string>;
  /** Waits until this node has applied `position` (a position of the other node); false on timeout. */
  waitFor(position: string, timeoutMs: number): Promise<boolean>;
  /** The key `rows` rows after `lower` (at or before `within` when given); null: no such row. */
  upperBound(t: TableDef, lower: Key | null, rows: number, within?: Key | null): Promise<Key | null>;
  /** An integer key's smallest and largest values (null: the table is empty). */
  keyRange(t: TableDef): Promise<{ lo: Key | null; hi: Key | null }>;
  chunkHash(
    t: TableDef,
    lower: Key | null,
    upper: Key | null,
  ): Promise<{ rows: number; hash: string; ms: number }>;
  rowHashes(
    t: TableDef,
    lower: Key | null,
    upper: Key | null,
  ): Promise<Map<string, { key: Key; hash: string }>>;
  rowImage(t: TableDef, key: Key): Promise<RowImage | null>;
  /** Rows' images by key, in the keys' order (null: no such row): many rows in few statements where it can. */
  rowImages(t: TableDef, keys: readonly Key[]): Promise<(RowImage | null)[]>;
  /**
   * A table without a key, whole: each distinct row's hash and how many times it is there; null when the
   * table holds more than `maxRows` rows (read no further).
   */
  rowCounts(t: TableDef, maxRows: number): Promise<Map<string, number> | null>;
  /** One image of each row of a table without a key whose hash is in `hashes`. */
  rowsByHash(t: TableDef, hashes: readonly string[]): Promise<Map<string, RowImage>>;
}

export interface CompareOptions {
  readonly cluster: string;
  readonly schemas: readonly string[];
  /** Only these tables (schema.table); all of the schemas' base tables when empty. */
  readonly tables?: readonly string[];
  /** The server time a chunk read should take: the chunk size follows it. @default 500 ms */
  readonly chunkTimeMs?: number;
  /** The first chunk's rows. @default 1000 */
  readonly initialChunkRows?: number;
  /** How long the other node may take to reach the reference's position before the check gives up. @default 30 s */
  readonly catchUpTimeoutMs?: number;
  /** A table without a key is compared whole up to this many rows, and reported not compared above. @default 10000 */
  readonly keylessMaxRows?: number;
  /**
   * Keep both nodes' images of each differing row (for the repair SQL). The deployed sweep keeps keys only:
   * false drops the images once a row is confirmed, so a table differing in many rows does not fill memory.
   * @default true
   */
  readonly images?: boolean;
  /**
   * Threads_running on either node above which the check pauses before its next chunk (pt-table-checksum's
   * --max-load default). @default 25
   */
  readonly maxLoad?: number;
  /** Told when the check starts pausing for a busy node (why). @default `log` */
  readonly onPause?: (why: string) => void;
  /** How long the check waits for a busy node before it stops with the reason (ServerBusy). @default 10 min */
  readonly busyTimeoutMs?: number;
  /** Set by compareNodes for the tables it compares (one limit for the whole check). */
  readonly pacer?: Pacer;
  /** Tries to read a changing row the same on both nodes. @default 3 */
  readonly confirmTries?: number;
  readonly log?: (line: string) => void;
  /** Where an interrupted comparison stopped (its last checkpoint): done tables are not read again. */
  readonly resume?: Progress;
  /** Called after every chunk with the progress so far: a crash loses at most the chunk under way. */
  readonly onProgress?: (p: Progress) => void | Promise<void>;
  /**
   * Epoch ms after which no chunk is started (the deployed sweep's slice): the check returns with
   * `complete: false` and the progress to resume from; catch-up waits end by then too.
   * @default none (the check reads everything)
   */
  readonly stopAt?: number;
}

/** One table's progress: where its next chunk starts, and what its chunks so far found. */
export interface TableProgress {
  done: boolean;
  /** The next chunk's lower bound (exclusive); null: from the start. */
  lower: Key | null;
  /** The next chunk's rows (the size the time budget had reached). */
  size: number;
  rows: number;
  chunks: number;
  chunkMs: number[];
  differences: RowDifference[];
  unconfirmed: { key: Key }[];
}

/** A comparison's progress, table by table (a checkpoint file holds it as JSON). */
export interface Progress {
  tables: Record<string, TableProgress>;
}

/** The check's result: the report, and the confirmed differences with both rows' images (for the repair). */
export interface CompareOutcome {
  /** False when `stopAt` came before every table was read: resume from the last progress. */
  readonly complete: boolean;
  readonly report: CompareReport;
  readonly defs: readonly TableDef[];
  readonly rows: readonly RowDifference[];
}

export class CatchUpTimeout extends Error {
  override readonly name = "CatchUpTimeout";
}

export class ServerBusy extends Error {
  override readonly name = "ServerBusy";
}

/**
 * The check's pace: before a chunk (and a narrowing round) both nodes' Threads_running are read, and while
 * either is above the limit the check waits (250 ms, doubling to 5 s) instead of adding its reads to the
 * load; until the slice's end (`stopAt`: the caller then reads no further) or busyTimeoutMs (ServerBusy).
 */
export class Pacer {
  pausedMs = 0;
  private constructor(
    readonly limit: number,
    private readonly nodes: readonly CompareNode[],
    private readonly o: CompareOptions,
  ) {}

  static start(nodes: readonly CompareNode[], o: CompareOptions): Pacer {
    return new Pacer(o.maxLoad ?? 25, nodes, o);
  }

  async calm(): Promise<void> {
    const end = Date.now() + (this.o.busyTimeoutMs ?? 600_000);
    for (let wait = 250, said = false; ; wait = Math.min(wait * 2, 5000)) {
      const loads = await Promise.all(this.nodes.map((n) => n.load()));
      const busy = this.nodes
        .map((n, i) => ({ id: n.id.toUpperCase(), load: loads[i] ?? 0 }))
        .filter((x) => x.load > this.limit);
      if (busy.length === 0) return;
      const what = busy.map((x) => `node ${x.id} Threads_running ${x.load}`).join(", ");
      if (this.o.stopAt !== undefined && Date.now() >= this.o.stopAt) return;
      if (Date.now() >= end)
        throw new ServerBusy(
          `${what}, above ${this.limit} for ${+((this.o.busyTimeoutMs ?? 600_000) / 1000).toFixed(1)} s: compare again when the pair is quieter`,
        );
      if (!said) (this.o.onPause ?? this.o.log)?.(`${what}, above ${this.limit}: pausing`);
      said = true;
      const ms = Math.max(0, Math.min(wait, end - Date.now(), (this.o.stopAt ?? Infinity) - Date.now()));
      await sleep(ms);
      this.pausedMs += ms;
    }
  }
}

export async function compareNodes(
  reference: CompareNode,
  other: CompareNode,
  o: CompareOptions,
): Promise<CompareOutcome> {
  const started = Date.now();
  const [refDefs, otherDefs] = await Promise.all([reference.tables(o.schemas), other.tables(o.schemas)]);
  const wanted = (d: TableDef) => !o.tables?.length || o.tables.includes(tableName(d));
  const [aDefs, bDefs] = reference.id === "a" ? [refDefs, otherDefs] : [otherDefs, refDefs];
  const drift = schemaDrift(aDefs.filter(wanted), bDefs.filter(wanted));
  const drifted = new Set(drift.map((d) => d.table));
  const tables: TableReport[] = [];
  const rows: RowDifference[] = [];
  const progress: Progress = { tables: { ...(o.resume?.tables ?? {}) } };
  let complete = true;
  const pacer = o.pacer ?? Pacer.start([reference, other], o);
  for (const t of refDefs.filter(wanted)) {
    if (o.stopAt !== undefined && Date.now() >= o.stopAt && !progress.tables[tableName(t)]?.done) {
      complete = false;
      break;
    }
    const skipped = skipReason(t, drifted, drift);
    if (skipped) {
      tables.push(notCompared(t, skipped).report);
      continue;
    }
    const compare = t.key.length === 0 ? compareKeyless : compareTable;
    const r = await compare(reference, other, t, {
      ...o,
      pacer,
      resume: progress,
      onProgress: (p) => {
        progress.tables[tableName(t)] = p.tables[tableName(t)] as TableProgress;
        return o.onProgress?.(progress);
      },
    });
    if (!r.done) {
      complete = false;
      break;
    }
    o.log?.(
      `${tableName(t)}: ${r.report.rows} rows in ${r.report.chunks} chunks, ${r.rows.length} differences`,
    );
    tables.push(r.report);
    rows.push(...r.rows);
  }
  return {
    complete,
    report: {
      cluster: o.cluster,
      reference: reference.id,
      startedAt: new Date(started).toISOString(),
      seconds: (Date.now() - started) / 1000,
      ...(pacer.pausedMs > 0 ? { pausedSeconds: pacer.pausedMs / 1000 } : {}),
      drift,
      tables,
    },
    defs: refDefs,
    rows,
  };
}

function skipReason(
  t: TableDef,
  drifted: ReadonlySet<string>,
  drift: readonly SchemaDrift[],
): string | undefined {
  if (drifted.has(tableName(t)))
    return `schema drift (${drift
      .filter((d) => d.table === tableName(t))
      .map((d) => d.kind)
      .join(", ")}): rows not compared`;
  return undefined;
}

/** Reads on the other node only once it has applied what the reference had when its read ended. */
async function atReferencePoint(
  reference: CompareNode,
  other: CompareNode,
  o: CompareOptions,
): Promise<void> {
  const position = await reference.position();
  const limit = o.catchUpTimeoutMs ?? 30_000;
  // a slice's waits end with the slice (at least 1 s: a node a moment behind is not "lagging")
  const timeout = o.stopAt === undefined ? limit : Math.min(limit, Math.max(1000, o.stopAt - Date.now()));
  if (!(await other.waitFor(position, timeout)))
    throw new CatchUpTimeout(
      `node ${other.id.toUpperCase()} did not apply node ${reference.id.toUpperCase()}'s position ${position} within ${timeout / 1000} s: replication stopped or lagging, compare again later`,
    );
}

/** One table, chunk by chunk: (lower, upper] bounds from the reference, the size adapted to the time budget. */
export async function compareTable(
  reference: CompareNode,
  other: CompareNode,
  t: TableDef,
  o: CompareOptions,
): Promise<{ report: TableReport; rows: RowDifference[]; done: boolean }> {
  const target = o.chunkTimeMs ?? 500;
  // from the checkpoint, when the table was under way (or done: then no chunk is read)
  const from = o.resume?.tables[tableName(t)];
  const state: TableProgress = from
    ? structuredClone(from)
    : {
        done: false,
        lower: null,
        size: o.initialChunkRows ?? 1000,
        rows: 0,
        chunks: 0,
        chunkMs: [],
        differences: [],
        unconfirmed: [],
      };
  const nextUpper = await chunkBounds(reference, t);
  while (!state.done) {
    await o.pacer?.calm();
    if (o.stopAt !== undefined && Date.now() >= o.stopAt) break;
    const lower = state.lower;
    const upper = await nextUpper(lower, state.size);
    // both nodes read the chunk together, the other one first brought to the reference's position: a write
    // landing meanwhile can only make the chunk look different, and then its rows are confirmed one by one
    await atReferencePoint(reference, other, o);
    const [ref, oth] = await Promise.all([
      reference.chunkHash(t, lower, upper),
      other.chunkHash(t, lower, upper),
    ]);
    state.chunks++;
    state.rows += ref.rows;
    state.chunkMs.push(ref.ms, oth.ms);
    if (ref.hash !== oth.hash || ref.rows !== oth.rows) {
      const found = await narrow(
        reference,
        other,
        t,
        { lower, upper, rows: Math.max(ref.rows, oth.rows) },
        o,
      );
      state.differences.push(...found.rows);
      state.unconfirmed.push(...found.unconfirmed);
    }
    // aimed at 80% of the budget: the next chunk's rows are a guess, and its time must stay within it
    state.size = nextChunkRows(state.size, Math.max(ref.ms, oth.ms), target * 0.8);
    state.lower = upper;
    state.done = upper === null;
    await o.onProgress?.({ tables: { [tableName(t)]: structuredClone(state) } });
  }
  return outcomeOf(t, state);
}

/** A table's outcome from its progress; `skipped`: its rows were not compared, and why. */
function outcomeOf(
  t: TableDef,
  s: TableProgress,
  skipped?: string,
): { report: TableReport; rows: RowDifference[]; done: boolean } {
  return {
    report: {
      table: tableName(t),
      rows: s.rows,
      chunks: s.chunks,
      differences: s.differences.map(({ table, kind, key }) => ({ table, kind, key })),
      unconfirmed: s.unconfirmed,
      ...(skipped ? { skipped } : {}),
      chunkMs: s.chunkMs,
    },
    rows: s.differences,
    done: s.done,
  };
}

/**
 * Where each chunk ends. An integer key steps through its values from the smallest to the largest (no
 * rows read to find a bound; the last chunk is open, so rows added above the largest are in it); any other
 * key asks the reference for the key `rows` rows on (an index walk, as pt-table-checksum's nibbling).
 */
async function chunkBounds(
  reference: CompareNode,
  t: TableDef,
): Promise<(lower: Key | null, rows: number) => Promise<Key | null>> {
  if (!integerKey(t)) return (lower, rows) => reference.upperBound(t, lower, rows);
  const { lo, hi } = await reference.keyRange(t);
  const int = (k: Key | null) => (k?.[0] ? BigInt(Buffer.from(k[0], "hex").toString()) : null);
  const [min, max] = [int(lo), int(hi)];
  return async (lower, rows) => {
    if (min === null || max === null) return null;
    const up = (int(lower) ?? min - 1n) + BigInt(Math.max(1, Math.round(rows)));
    return up >= max ? null : [Buffer.from(up.toString()).toString("hex").toUpperCase()];
  };
}

/**
 * The next chunk's rows: scaled toward the time budget, growing at most tenfold and shrinking at most by
 * half per chunk, 10 to 1,000,000 rows.
 */
export function nextChunkRows(rows: number, ms: number, targetMs: number): number {
  const scaled = rows * (targetMs / Math.max(ms, 1));
  return Math.round(Math.min(1_000_000, Math.max(10, Math.min(rows * 10, Math.max(rows / 2, scaled)))));
}

/** Rows a differing chunk is narrowed down to before its rows are listed. */
export const LIST_ROWS = 2000;

/** The parts a differing range is cut into per round: one read of the range finds the part(s) that differ. */
export const NARROW_PARTS = 16;

type Range = { lower: Key | null; upper: Key | null; rows: number };

/**
 * A differing chunk narrowed to its rows: cut into NARROW_PARTS parts of equal rows (at the reference's
 * keys), each part's checksum read again on both nodes at the reference's point, and each part that still
 * differs cut again, down to LIST_ROWS rows; then (key, row hash) on both, and each candidate row confirmed.
 * One round reads the range once, where halving read it twice over (both halves, then both halves of the
 * half), after one wait for the other node. A part that no longer differs (a write in flight had made the
 * chunk look different) is left; a write landing during the round can only make a part look different.
 */
async function narrow(
  reference: CompareNode,
  other: CompareNode,
  t: TableDef,
  range: Range,
  o: CompareOptions,
): Promise<{ rows: RowDifference[]; unconfirmed: { key: Key }[] }> {
  const parts = range.rows > LIST_ROWS ? await cut(reference, t, range) : [];
  if (parts.length < 2) return listAndConfirm(reference, other, t, range, o);
  const found = { rows: [] as RowDifference[], unconfirmed: [] as { key: Key }[] };
  // one wait per round, not per part: a lagging node would make each part wait for it
  await o.pacer?.calm();
  await atReferencePoint(reference, other, o);
  for (const part of parts) {
    const [r, x] = await Promise.all([
      reference.chunkHash(t, part.lower, part.upper),
      other.chunkHash(t, part.lower, part.upper),
    ]);
    if (r.hash === x.hash && r.rows === x.rows) continue;
    const deeper = await narrow(reference, other, t, { ...part, rows: Math.max(r.rows, x.rows) }, o);
    found.rows.push(...deeper.rows);
    found.unconfirmed.push(...deeper.unconfirmed);
  }
  return found;
}

/** The range's parts of about range.rows / NARROW_PARTS rows each, bounded by the reference's keys; the last is open to range.upper. */
async function cut(reference: CompareNode, t: TableDef, range: Range): Promise<Range[]> {
  const step = Math.ceil(range.rows / NARROW_PARTS);
  const parts: Range[] = [];
  let lower = range.lower;
  while (parts.length < NARROW_PARTS - 1) {
    const upper = await reference.upperBound(t, lower, step, range.upper);
    if (upper === null || JSON.stringify(upper) === JSON.stringify(range.upper)) break;
    parts.push({ lower, upper, rows: step });
    lower = upper;
  }
  parts.push({ lower, upper: range.upper, rows: step });
  return parts;
}

/** A small range's rows as (key, row hash) on both nodes at the reference's point; the candidates confirmed. */
async function listAndConfirm(
  reference: CompareNode,
  other: CompareNode,
  t: TableDef,
  { lower, upper }: Range,
  o: CompareOptions,
): Promise<{ rows: RowDifference[]; unconfirmed: { key: Key }[] }> {
  const ref = await reference.rowHashes(t, lower, upper);
  await atReferencePoint(reference, other, o);
  const oth = await other.rowHashes(t, lower, upper);
  const candidates = [
    ...[...ref].filter(([k, r]) => oth.get(k)?.hash !== r.hash).map(([, r]) => r.key),
    ...[...oth].filter(([k]) => !ref.has(k)).map(([, r]) => r.key),
  ];
  const { rows, hot } = await confirm(reference, other, t, candidates, o);
  return { rows, unconfirmed: hot.map((key) => ({ key })) };
}

/**
 * Candidate rows confirmed, together (one wait per round, however many rows): each row's image on the
 * reference before and after the other node's read (at the reference's position) must be equal, and the
 * other node's must differ from it; equal images: no difference. A row that changed between the
 * reference's two reads is tried again, `confirmTries` rounds in all; then it is hot.
 */
export async function confirm(
  reference: CompareNode,
  other: CompareNode,
  t: TableDef,
  keys: readonly Key[],
  o: CompareOptions,
): Promise<{ rows: RowDifference[]; hot: Key[] }> {
  const rows: RowDifference[] = [];
  let pending = [...keys];
  for (let i = 0; i < (o.confirmTries ?? 3) && pending.length > 0; i++) {
    const before = await readImages(reference, t, pending);
    await atReferencePoint(reference, other, o);
    const theirs = await readImages(other, t, pending);
    const after = await readImages(reference, t, pending);
    const changed: Key[] = [];
    pending.forEach((key, j) => {
      const [b, x, a] = [before[j] ?? null, theirs[j] ?? null, after[j] ?? null];
      if (!sameImage(b, a)) changed.push(key);
      else if (!sameImage(b, x))
        rows.push(
          o.images === false
            ? difference(reference, other, t, key, b && {}, x && {})
            : difference(reference, other, t, key, b, x),
        );
    });
    pending = changed;
  }
  return { rows, hot: pending };
}

async function readImages(
  node: CompareNode,
  t: TableDef,
  keys: readonly Key[],
): Promise<(RowImage | null)[]> {
  return keys.length === 0 ? [] : node.rowImages(t, keys);
}

function difference(
  reference: CompareNode,
  other: CompareNode,
  t: TableDef,
  key: Key,
  mine: RowImage | null,
  theirs: RowImage | null,
): RowDifference {
  const missing = mine === null ? reference.id : theirs === null ? other.id : null;
  const images = reference.id === "a" ? { a: mine, b: theirs } : { a: theirs, b: mine };
  return {
    table: tableName(t),
    kind: missing ? (`missing-on-${missing}` as const) : "different",
    key,
    ...images,
  };
}

export function sameImage(x: RowImage | null, y: RowImage | null): boolean {
  if (x === null || y === null) return x === y;
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => x[k] === y[k]);
}

/** Rows a table without a key may hold and still be compared (whole, in one read per node). */
export const KEYLESS_MAX_ROWS = 10_000;

/**
 * A table without a primary or NOT NULL unique key, compared whole when it is small: every row's hash and
 * count on the reference, on the other node at the reference's point, and on the reference again. The
 * reference's two reads must agree (else tried again, then the table is unconfirmed); each copy of a row
 * one node holds more often than the other is a row missing on that other node, named by all its values.
 * Above keylessMaxRows rows the table is reported not compared (nothing to walk it in chunks by).
 */
export async function compareKeyless(
  reference: CompareNode,
  other: CompareNode,
  t: TableDef,
  o: CompareOptions,
): Promise<{ report: TableReport; rows: RowDifference[]; done: boolean }> {
  const from = o.resume?.tables[tableName(t)];
  if (from?.done) return outcomeOf(t, from);
  const max = o.keylessMaxRows ?? KEYLESS_MAX_ROWS;
  const tooLarge = (who: string) =>
    notCompared(
      t,
      `no primary key or NOT NULL unique key to walk, and ${who} more than ${max} rows to compare whole: rows not compared`,
    );
  const state: TableProgress = {
    done: true,
    lower: null,
    size: 0,
    rows: 0,
    chunks: 1,
    chunkMs: [],
    differences: [],
    unconfirmed: [],
  };
  let settled = false;
  await o.pacer?.calm();
  for (let i = 0; i < (o.confirmTries ?? 3) && !settled; i++) {
    const started = Date.now();
    const before = await reference.rowCounts(t, max);
    if (before === null) return tooLarge("it holds");
    await atReferencePoint(reference, other, o);
    const theirs = await other.rowCounts(t, max);
    if (theirs === null) return tooLarge(`node ${other.id.toUpperCase()} holds`);
    const after = await reference.rowCounts(t, max);
    if (after === null || !sameCounts(before, after)) continue;
    settled = true;
    state.rows = [...before.values()].reduce((x, y) => x + y, 0);
    state.chunkMs.push(Date.now() - started);
    const found = [
      ...(await surplus(reference, other, t, before, theirs)),
      ...(await surplus(other, reference, t, theirs, before)),
    ];
    state.differences.push(...found.filter((d) => d !== null));
    // a row gone before its values were read: not shown to differ, nor equal
    if (found.includes(null)) state.unconfirmed.push({ key: [] });
  }
  // a table that changed between every pair of the reference's reads: not shown to differ, nor equal
  if (!settled) state.unconfirmed.push({ key: [] });
  await o.onProgress?.({ tables: { [tableName(t)]: structuredClone(state) } });
  return outcomeOf(t, state);
}

/** A table whose rows are not compared, and why. */
function notCompared(t: TableDef, skipped: string) {
  const none = {
    done: true,
    lower: null,
    size: 0,
    rows: 0,
    chunks: 0,
    chunkMs: [],
    differences: [],
    unconfirmed: [],
  };
  return outcomeOf(t, none, skipped);
}

function sameCounts(x: ReadonlyMap<string, number>, y: ReadonlyMap<string, number>): boolean {
  return x.size === y.size && [...x].every(([h, n]) => y.get(h) === n);
}

/** Each copy of a row `mine` holds more often than `theirs`: missing on the other node, named by its values. */
async function surplus(
  mine: CompareNode,
  theirs: CompareNode,
  t: TableDef,
  mineCounts: ReadonlyMap<string, number>,
  theirCounts: ReadonlyMap<string, number>,
): Promise<(RowDifference | null)[]> {
  const extra = [...mineCounts].filter(([h, n]) => n > (theirCounts.get(h) ?? 0));
  if (extra.length === 0) return [];
  const images = await mine.rowsByHash(
    t,
    extra.map(([h]) => h),
  );
  return extra.flatMap(([h, n]) => {
    const image = images.get(h);
    if (!image) return [null]; // gone since the counts were read
    const key = t.columns.map((c) => image[c.name] ?? null);
    const copies = n - (theirCounts.get(h) ?? 0);
    const pair = mine.id === "a" ? { a: image, b: null } : { a: null, b: image };
    return Array.from({ length: copies }, () => ({
      table: tableName(t),
      kind: `missing-on-${theirs.id}` as const,
      key,
      ...pair,
    }));
  });
}
