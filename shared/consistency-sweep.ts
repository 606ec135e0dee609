/**
 * One slice of the deployed consistency sweep: after the scheduled probe, within a time budget of its
 * own, the check (consistency-check.ts) goes on where the last slice stopped, its progress saved in the
 * state table after every chunk (a crash loses at most the chunk under way). A slice first takes the
 * sweep with a conditional write (a lease until its end): of two overlapping invocations one sweeps.
 * Read-only on the nodes, as `compare`; what it finds reaches the operator through the next probe
 * (domain/consistency/sweep.ts: the DATA_DIVERGENCE incident, `status`, the DataDifferences metric).
 */
import { type CompareNode, compareNodes, type Progress, type TableProgress } from "./consistency-check.ts";
import type { CompareReport } from "./domain/consistency/model.ts";
import {
  boundRecord,
  KEPT_DIFFERENCES,
  newPass,
  passResult,
  RECORD_MAX_BYTES,
  type SliceAction,
  type StoredTableProgress,
  type SweepPass,
  type SweepRecord,
  type SweepSettings,
  sliceAction,
} from "./domain/consistency/sweep.ts";
import type { ClusterState } from "./domain/state.ts";
import type { NodeId } from "./domain/types.ts";
import type { StoredSweep, SweepStore } from "./ports.ts";

/** Both nodes of a pair opened for a slice (read-only sessions), the reference (the writer) first. */
export interface SweepNodes {
  readonly reference: CompareNode;
  readonly other: CompareNode;
  close(): Promise<void>;
}

export interface SweepDeps {
  readonly store: SweepStore;
  /** Opens both nodes, `reference` as the reference: each connection with its own deadline. */
  readonly open: (reference: NodeId) => Promise<SweepNodes>;
  readonly now?: () => Date;
  readonly log?: (event: string, detail: Record<string, unknown>) => void;
}

export interface SliceOutcome {
  /** wait: nothing to do now (why); held: another slice holds the sweep; lost: another slice wrote first. */
  readonly outcome: "wait" | "held" | "lost" | "progress" | "done" | "error";
  readonly why?: string;
  readonly chunks: number;
  /** State table writes of this slice. */
  readonly saves: number;
}

/** Kept after a slice's end in its lease: one statement's deadline (10 s) and a save (3 s), rounded up. */
export const LEASE_MARGIN_MS = 15_000;

class LostSweep extends Error {
  override readonly name = "LostSweep";
}

/** One slice; never throws (a failure is the outcome `error`, with why). */
export async function sweepSlice(
  cluster: string,
  settings: SweepSettings,
  state: ClusterState,
  deps: SweepDeps,
  stopAt: number,
  /**
   * No statement starts after this (a chunk still being narrowed or confirmed then is given up, and its
   * next try reads a quarter of its rows): the caller's hard end minus a statement's deadline and a save.
   * @default stopAt + 10 s
   */
  abortAt: number = stopAt + 10_000,
): Promise<SliceOutcome> {
  const now = deps.now ?? (() => new Date());
  let stored: StoredSweep | null;
  try {
    stored = await deps.store.loadSweep(cluster);
  } catch (e) {
    const why = `the sweep's record could not be read: ${String((e as Error)?.message ?? e)}`;
    deps.log?.("sweep-error", { cluster, error: why });
    return { outcome: "error", why, chunks: 0, saves: 0 };
  }
  if (stored && stored.leaseUntil > Date.now())
    return {
      outcome: "held",
      why: `held until ${new Date(stored.leaseUntil).toISOString()}`,
      chunks: 0,
      saves: 0,
    };
  const action = sliceAction(stored?.record ?? null, state, settings, now());
  if (action.do === "wait") return { outcome: "wait", why: action.why, chunks: 0, saves: 0 };
  const pass = action.do === "start" ? newPass(action, now()) : (stored?.record.pass as SweepPass);
  let record: SweepRecord = { ...(stored?.record ?? { last: null }), pass };
  let version = stored?.version ?? null;
  let saves = 0;
  let chunks = 0;
  const save = async (r: SweepRecord, leaseUntil: number) => {
    const bounded = boundRecord(r);
    if (!bounded)
      throw new Error(
        `the sweep's progress does not fit in the state table's item (over ${RECORD_MAX_BYTES} bytes even without any key): too many tables in ${settings.schemas.join(", ")}; sweep fewer schemas`,
      );
    const v = await deps.store.saveSweep(cluster, version, bounded, leaseUntil);
    if (v === null) throw new LostSweep("another slice wrote the sweep first");
    version = v;
    saves++;
  };
  const lease = stopAt + LEASE_MARGIN_MS;
  const at = now().toISOString();
  if (action.do === "start") deps.log?.("sweep-start", { cluster, reason: action.reason });
  let nodes: SweepNodes | undefined;
  try {
    await save(record, lease);
    nodes = await deps.open(action.reference);
    const base = baseCounts(pass);
    const current: { table?: string } = {};
    const [reference, other] = [nodes.reference, nodes.other].map((n) => guarded(n, abortAt, current));
    const outcome = await compareNodes(reference as CompareNode, other as CompareNode, {
      cluster,
      schemas: settings.schemas,
      chunkTimeMs: settings.chunkTimeMs,
      maxLoad: settings.maxLoad,
      onPause: (why) => deps.log?.("sweep-paused", { cluster, why }),
      images: false,
      stopAt,
      resume: resumeOf(pass),
      onProgress: async (p) => {
        pass.tables = storedTables(p, base);
        chunks++;
        await save({ ...record, pass }, lease);
      },
    });
    pass.drift = [...outcome.report.drift];
    pass.skipped = skippedOf(outcome.report);
    record = outcome.complete
      ? { pass: null, last: passResult(pass, now()), lastSlice: { at, outcome: "done" } }
      : { ...record, pass, lastSlice: { at, outcome: "progress" } };
    await save(record, 0);
    deps.log?.("sweep-slice", { cluster, outcome: record.lastSlice?.outcome, chunks, saves });
    return { outcome: outcome.complete ? "done" : "progress", chunks, saves };
  } catch (e) {
    if (e instanceof LostSweep) return { outcome: "lost", why: e.message, chunks, saves };
    if (e instanceof SliceTimeUp)
      return shrunk(e, { record, pass, save, at, chunks, saves: () => saves, log: deps.log, cluster });
    const message = String((e as Error)?.message ?? e).slice(0, 500);
    deps.log?.("sweep-error", { cluster, error: message, chunks });
    await save({ ...record, pass, lastSlice: { at, outcome: "error", message } }, 0).catch(() => {});
    return { outcome: "error", why: message, chunks, saves };
  } finally {
    await nodes?.close().catch(() => {});
  }
}

/** No statement may start any more in this slice. */
class SliceTimeUp extends Error {
  override readonly name = "SliceTimeUp";
  constructor(readonly table: string | undefined) {
    super("the slice's time is up");
  }
}

/**
 * A node whose every call first checks the slice's hard end (and notes the table being read): what the
 * engine does within a chunk (narrowing, confirming) ends with the slice, whatever the chunk holds.
 */
function guarded(n: CompareNode, abortAt: number, current: { table?: string }): CompareNode {
  return new Proxy(n, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        const t = args[0] as { schema?: string; name?: string } | undefined;
        if (t?.schema && t.name) current.table = `${t.schema}.${t.name}`;
        if (Date.now() >= abortAt) throw new SliceTimeUp(current.table);
        return v.apply(target, args);
      };
    },
  });
}

/** The chunks the engine starts a table with (consistency-check.ts's default). */
const FIRST_CHUNK_ROWS = 1000;

/**
 * A slice that ran out of time inside a chunk: the chunk is given up (the progress saved after the last
 * whole chunk stands) and its table's next try reads a quarter of its rows (at least 10), so a chunk that
 * differs in many rows is worked through in smaller ones instead of being tried again whole forever.
 */
async function shrunk(
  e: SliceTimeUp,
  c: {
    record: SweepRecord;
    pass: SweepPass;
    save: (r: SweepRecord, leaseUntil: number) => Promise<void>;
    at: string;
    chunks: number;
    saves: () => number;
    log: SweepDeps["log"];
    cluster: string;
  },
): Promise<SliceOutcome> {
  const name = e.table;
  if (name) {
    const t = c.pass.tables[name] ?? {
      done: false,
      lower: null,
      size: FIRST_CHUNK_ROWS,
      rows: 0,
      chunks: 0,
      differing: 0,
      differences: [],
      unconfirmed: 0,
    };
    c.pass.tables[name] = { ...t, size: Math.max(10, Math.floor(t.size / 4)) };
  }
  const message = `a chunk of ${name ?? "a table"} was not finished by the slice's end (many rows differ there?): its next try reads ${name ? c.pass.tables[name]?.size : "fewer"} rows`;
  c.log?.("sweep-slice", { cluster: c.cluster, outcome: "progress", message, chunks: c.chunks });
  await c
    .save({ ...c.record, pass: c.pass, lastSlice: { at: c.at, outcome: "progress", message } }, 0)
    .catch(() => {});
  return { outcome: "progress", why: message, chunks: c.chunks, saves: c.saves() };
}

/** The engine's progress from the stored pass (differences beyond the kept ones are counted, not listed). */
function resumeOf(pass: SweepPass): Progress {
  const tables: Record<string, TableProgress> = {};
  for (const [name, t] of Object.entries(pass.tables))
    tables[name] = {
      done: t.done,
      lower: t.lower,
      size: t.size,
      rows: t.rows,
      chunks: t.chunks,
      chunkMs: [],
      differences: t.differences.map((d) => ({ ...d, a: null, b: null })),
      unconfirmed: [],
    };
  return { tables };
}

/** Per table, what the stored pass counted beyond what the engine is given back (resumeOf). */
function baseCounts(pass: SweepPass): Record<string, { differing: number; unconfirmed: number }> {
  return Object.fromEntries(
    Object.entries(pass.tables).map(([name, t]) => [
      name,
      { differing: t.differing - t.differences.length, unconfirmed: t.unconfirmed },
    ]),
  );
}

/** The engine's progress as the state table keeps it: keys only, at most KEPT_DIFFERENCES per table. */
function storedTables(
  p: Progress,
  base: Record<string, { differing: number; unconfirmed: number }>,
): Record<string, StoredTableProgress> {
  const out: Record<string, StoredTableProgress> = {};
  for (const [name, t] of Object.entries(p.tables))
    out[name] = {
      done: t.done,
      lower: t.lower,
      size: t.size,
      rows: t.rows,
      chunks: t.chunks,
      differing: (base[name]?.differing ?? 0) + t.differences.length,
      differences: t.differences
        .slice(0, KEPT_DIFFERENCES)
        .map(({ table, kind, key }) => ({ table, kind, key })),
      unconfirmed: (base[name]?.unconfirmed ?? 0) + t.unconfirmed.length,
    };
  return out;
}

function skippedOf(r: CompareReport): string[] {
  return r.tables.filter((t) => t.skipped).map((t) => `${t.table}: ${t.skipped}`);
}

export type { SliceAction };
