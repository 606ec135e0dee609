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
    const outcome = await compareNodes(nodes.reference, nodes.other, {
      cluster,
      schemas: settings.schemas,
      chunkTimeMs: settings.chunkTimeMs,
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
    const message = String((e as Error)?.message ?? e).slice(0, 500);
    deps.log?.("sweep-error", { cluster, error: message, chunks });
    await save({ ...record, pass, lastSlice: { at, outcome: "error", message } }, 0).catch(() => {});
    return { outcome: "error", why: message, chunks, saves };
  } finally {
    await nodes?.close().catch(() => {});
  }
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
