/**
 * The deployed consistency sweep, as data (pure): what one slice of the scheduled function does next
 * (wait, start a pass, go on), what the state table keeps of a pass (bounded: the keys of the differences,
 * never the rows), and what the probe makes of it (the DATA_DIVERGENCE finding, which opens an incident,
 * and the summary `status`, the mail and the DataDifferences metric read). docs/consistency.md, "The
 * deployed sweep".
 */
import { type Finding, makeFinding } from "../codes.ts";
import { hash8 } from "../incidents.ts";
import type { ClusterState } from "../state.ts";
import type { NodeId } from "../types.ts";
import type { ConsistencyOwed, ConsistencySummary, Difference, SchemaDrift, SweepReason } from "./model.ts";
import type { Key } from "./row-sql.ts";

/** The sweep's settings (the pair's `compare.sweep` in the configuration, defaults filled). */
export interface SweepSettings {
  readonly schemas: readonly string[];
  /** The time one invocation spends on the sweep, at most. */
  readonly sliceSeconds: number;
  /** The pause between the end of a pass and the start of the next. */
  readonly restMinutes: number;
  /** The server time a chunk read aims at. */
  readonly chunkTimeMs: number;
  /** Threads_running on either node above which the sweep waits. */
  readonly maxLoad: number;
}

/** The differences kept per table in the state table (the count is always whole). */
export const KEPT_DIFFERENCES = 50;

/** One table's progress as the state table keeps it: where the next chunk starts, and what was found. */
export interface StoredTableProgress {
  done: boolean;
  lower: Key | null;
  size: number;
  rows: number;
  chunks: number;
  /** Rows confirmed different so far (all of them, however many keys are kept). */
  differing: number;
  /** The first KEPT_DIFFERENCES of them. */
  differences: Difference[];
  unconfirmed: number;
}

/** A pass under way. */
export interface SweepPass {
  startedAt: string;
  reason: SweepReason;
  /** For a pass started after a split brain: its start (one pass per split brain). */
  splitBrainSince?: string;
  tables: Record<string, StoredTableProgress>;
  drift: SchemaDrift[];
  /** Tables whose rows are not compared (no usable key, drift): "table: why". */
  skipped: string[];
}

/** A finished pass. */
export interface SweepResult {
  startedAt: string;
  finishedAt: string;
  reason: SweepReason;
  splitBrainSince?: string;
  rows: number;
  tables: number;
  differing: number;
  /** Tables with confirmed differences, and how many rows each. */
  tablesDiffering: Record<string, number>;
  /** The first KEPT_DIFFERENCES differences per table. */
  differences: Difference[];
  drift: SchemaDrift[];
  skipped: string[];
  unconfirmed: number;
}

/** What the state table keeps of the sweep of one pair. */
export interface SweepRecord {
  pass: SweepPass | null;
  last: SweepResult | null;
  /** The last slice: when it ran and how it ended (an error says why no progress was made). */
  lastSlice?: { at: string; outcome: "progress" | "done" | "error"; message?: string };
}

export type SliceAction =
  | { readonly do: "wait"; readonly why: string }
  | {
      readonly do: "start";
      readonly reason: SweepReason;
      readonly reference: NodeId;
      readonly splitBrainSince?: string;
    }
  | { readonly do: "continue"; readonly reference: NodeId };

/**
 * A split brain in which both nodes took writes and that has ended: the data diverged, and a pass is
 * owed for it (the state keeps it until a pass for it has started).
 */
export function owedFor(prev: ClusterState | null, next: ClusterState): ConsistencyOwed | undefined {
  const sb = next.splitBrain;
  if (sb && next.status !== "SPLIT_BRAIN" && sb.writes.a && sb.writes.b)
    return { splitBrainSince: sb.since, endedAt: next.observedAt };
  return prev?.consistencyOwed;
}

/** The owed pass, unless the sweep has started one for that split brain already. */
export function stillOwed(
  owed: ClusterState["consistencyOwed"],
  record: SweepRecord | null,
): ClusterState["consistencyOwed"] {
  if (!owed) return undefined;
  const swept = [record?.pass?.splitBrainSince, record?.last?.splitBrainSince];
  return swept.includes(owed.splitBrainSince) ? undefined : owed;
}

/**
 * What a slice does, from the sweep's record and the state the probe just committed: nothing while the
 * pair is not HEALTHY or DEGRADED (the other node could not catch up, or the writer is not known); a pass
 * owed after a split brain first (the one under way abandoned); else the pass under way, or a new one once
 * the rest after the last one is over. The reference is always the writer (the VIP owner): its rows are
 * read before and after the other node's.
 */
export function sliceAction(
  record: SweepRecord | null,
  state: ClusterState,
  s: Pick<SweepSettings, "restMinutes">,
  now: Date,
): SliceAction {
  if (state.status !== "HEALTHY" && state.status !== "DEGRADED")
    return { do: "wait", why: `the pair is ${state.status}` };
  const reference = state.vipOwner === "a" || state.vipOwner === "b" ? state.vipOwner : null;
  if (!reference) return { do: "wait", why: "no single node holds the VIP: the writer is not known" };
  const other = reference === "a" ? "b" : "a";
  const rep = state.nodes[other]?.replication;
  // the other node reads only once it has applied the writer's position: not while it cannot
  if (rep?.sql !== true || rep.io !== "Yes")
    return {
      do: "wait",
      why: `node ${other.toUpperCase()} does not replicate from node ${reference.toUpperCase()} now (IO ${rep?.io ?? "unknown"}, SQL ${rep?.sql ?? "unknown"})`,
    };
  const owed = stillOwed(state.consistencyOwed, record);
  if (owed)
    return { do: "start", reason: "after-split-brain", reference, splitBrainSince: owed.splitBrainSince };
  if (record?.pass) return { do: "continue", reference };
  if (!record?.last) return { do: "start", reason: "first", reference };
  const restEnds = Date.parse(record.last.finishedAt) + s.restMinutes * 60_000;
  if (now.getTime() < restEnds)
    return { do: "wait", why: `resting until ${new Date(restEnds).toISOString()} after the last pass` };
  return { do: "start", reason: "schedule", reference };
}

/** The record's JSON, at most: well under DynamoDB's 400 KB item limit, with room for the item's other attributes. */
export const RECORD_MAX_BYTES = 300_000;
/** A key longer than this (as JSON) is counted, not kept: it could not be read in a mail anyway. */
const KEPT_KEY_MAX = 512;

/**
 * The record bounded for the state table: keys too long to keep are dropped first, then the kept keys of
 * each table are cut (50, 10, then none) until it fits. Counts stay whole, so the verdict and the metric
 * never change; only the keys named are fewer (`compare` names them all). Returns null when even without
 * any key it does not fit (a schema of thousands of tables): the slice then says so.
 */
export function boundRecord(r: SweepRecord): SweepRecord | null {
  const size = (x: SweepRecord) => Buffer.byteLength(JSON.stringify(x));
  const short = (d: Difference) => JSON.stringify(d.key).length <= KEPT_KEY_MAX;
  for (const keep of [KEPT_DIFFERENCES, 10, 0]) {
    const cut = (ds: Difference[]) => {
      const kept: Difference[] = [];
      const perTable = new Map<string, number>();
      for (const d of ds.filter(short)) {
        const n = perTable.get(d.table) ?? 0;
        if (n >= keep) continue;
        perTable.set(d.table, n + 1);
        kept.push(d);
      }
      return kept;
    };
    const bounded: SweepRecord = {
      ...r,
      pass: r.pass
        ? {
            ...r.pass,
            tables: Object.fromEntries(
              Object.entries(r.pass.tables).map(([n, t]) => [n, { ...t, differences: cut(t.differences) }]),
            ),
          }
        : null,
      last: r.last ? { ...r.last, differences: cut(r.last.differences) } : null,
    };
    if (size(bounded) <= RECORD_MAX_BYTES) return bounded;
  }
  return null;
}

/** A new pass. */
export function newPass(a: Extract<SliceAction, { do: "start" }>, now: Date): SweepPass {
  return {
    startedAt: now.toISOString(),
    reason: a.reason,
    ...(a.splitBrainSince ? { splitBrainSince: a.splitBrainSince } : {}),
    tables: {},
    drift: [],
    skipped: [],
  };
}

/** A finished pass's result. */
export function passResult(p: SweepPass, now: Date): SweepResult {
  const tables = Object.entries(p.tables);
  const tablesDiffering = Object.fromEntries(
    tables.filter(([, t]) => t.differing > 0).map(([name, t]) => [name, t.differing]),
  );
  return {
    startedAt: p.startedAt,
    finishedAt: now.toISOString(),
    reason: p.reason,
    ...(p.splitBrainSince ? { splitBrainSince: p.splitBrainSince } : {}),
    rows: tables.reduce((n, [, t]) => n + t.rows, 0),
    tables: tables.length + p.skipped.length,
    differing: tables.reduce((n, [, t]) => n + t.differing, 0),
    tablesDiffering,
    differences: tables.flatMap(([, t]) => t.differences),
    drift: p.drift,
    skipped: p.skipped,
    unconfirmed: tables.reduce((n, [, t]) => n + t.unconfirmed, 0),
  };
}

/**
 * The differences known now: the pass under way's (confirmed, reported at once) and, for the tables it
 * has not finished yet, the last pass's. Drift: the pass's once it has read the definitions, else the last's.
 */
export function knownDifferences(r: SweepRecord | null): {
  differing: number;
  tablesDiffering: Record<string, number>;
  differences: Difference[];
  drift: SchemaDrift[];
} {
  const pass = r?.pass;
  const last = r?.last;
  const tablesDiffering: Record<string, number> = {};
  const differences: Difference[] = [];
  for (const [name, t] of Object.entries(pass?.tables ?? {})) {
    if (t.differing > 0) tablesDiffering[name] = t.differing;
    differences.push(...t.differences);
  }
  const finished = new Set(
    Object.entries(pass?.tables ?? {})
      .filter(([, t]) => t.done)
      .map(([n]) => n),
  );
  for (const [name, n] of Object.entries(last?.tablesDiffering ?? {})) {
    if (finished.has(name)) continue;
    // a table the pass is still reading: its rows found so far and the last pass's (by key, as far as kept)
    const mine = differences.filter((d) => d.table === name);
    const theirs = (last?.differences ?? []).filter((d) => d.table === name);
    differences.push(...theirs);
    tablesDiffering[name] = Math.max(n, tablesDiffering[name] ?? 0, dedupe([...mine, ...theirs]).length);
  }
  const drift =
    pass && (pass.drift.length > 0 || Object.keys(pass.tables).length > 0) ? pass.drift : (last?.drift ?? []);
  const differing = Object.values(tablesDiffering).reduce((n, x) => n + x, 0);
  return { differing, tablesDiffering, differences: dedupe(differences), drift };
}

function dedupe(ds: Difference[]): Difference[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.table}\u0000${JSON.stringify(d.key)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A key as a person reads it: each value's text when it is printable ASCII, else 0x<hex>; NULL as NULL. */
export function keyText(key: Key): string {
  return key
    .map((hex) => {
      if (hex === null) return "NULL";
      const text = Buffer.from(hex, "hex").toString("utf8");
      return /^[\x20-\x7e]*$/.test(text) &&
        Buffer.from(text, "utf8").toString("hex").toUpperCase() === hex.toUpperCase()
        ? text
        : `0x${hex}`;
    })
    .join(", ");
}

/** Keys named in a finding's message and evidence. */
const NAMED_KEYS = 20;

/**
 * Rule group "consistency": confirmed differences or drift found by the sweep are DATA_DIVERGENCE, an
 * event that opens an incident. Its key is the set of differences: the same set does not open another
 * incident once acknowledged; a changed set does.
 */
export function divergenceFindings(r: SweepRecord | null, cluster: string): Finding[] {
  const k = knownDifferences(r);
  if (k.differing === 0 && k.drift.length === 0) return [];
  const tables = Object.entries(k.tablesDiffering).map(([t, n]) => `${t} (${n})`);
  const driftTables = [...new Set(k.drift.map((d) => d.table))];
  const named = k.differences.slice(0, NAMED_KEYS).map((d) => `${d.table} [${keyText(d.key)}] ${d.kind}`);
  const pass = r?.pass ?? r?.last;
  const parts = [
    k.differing > 0
      ? `${k.differing} row(s) differ between the nodes in ${tables.length} table(s): ${tables.join(", ")}`
      : null,
    driftTables.length > 0
      ? `${driftTables.length} table(s) defined differently: ${driftTables.join(", ")}`
      : null,
  ].filter(Boolean);
  const repairTables = [...Object.keys(k.tablesDiffering)].join(",");
  const f = makeFinding(
    "DATA_DIVERGENCE",
    `${parts.join("; ")} (confirmed by the consistency sweep at the writer's replication point, pass started ${pass?.startedAt ?? "?"}). The prober writes no repair: \`mysql-ha-prober compare --cluster ${cluster}${repairTables ? ` --tables ${repairTables}` : ""} --repair-dir <dir>\` confirms the rows again and writes the repair SQL.`,
    {
      differing: k.differing,
      tables: k.tablesDiffering,
      keys: named,
      drift: k.drift.map((d) => `${d.table}: ${d.kind} (${d.detail})`),
      passStartedAt: pass?.startedAt ?? null,
    },
    "pair",
  );
  const signature = [
    ...k.differences.map((d) => `${d.table}:${JSON.stringify(d.key)}:${d.kind}`).sort(),
    ...k.drift.map((d) => `${d.table}:${d.kind}`).sort(),
    String(k.differing),
  ].join("|");
  return [{ ...f, key: `differences-${hash8(signature)}` }];
}

export function consistencySummary(r: SweepRecord | null): ConsistencySummary {
  const k = knownDifferences(r);
  const pass = r?.pass;
  const last = r?.last;
  return {
    differences: k.differing + new Set(k.drift.map((d) => d.table)).size,
    differing: k.differing,
    drift: k.drift.length,
    pass: pass
      ? {
          startedAt: pass.startedAt,
          reason: pass.reason,
          tablesDone: Object.values(pass.tables).filter((t) => t.done).length,
          rows: Object.values(pass.tables).reduce((n, t) => n + t.rows, 0),
        }
      : null,
    last: last
      ? {
          startedAt: last.startedAt,
          finishedAt: last.finishedAt,
          reason: last.reason,
          rows: last.rows,
          tables: last.tables,
          differing: last.differing,
          skipped: last.skipped.length,
          unconfirmed: last.unconfirmed,
        }
      : null,
    ...(r?.lastSlice ? { lastSlice: r.lastSlice } : {}),
  };
}

/**
 * What the mail and `status` say of the data (pairs with the sweep): the rows that differ, by key (the
 * first NAMED_KEYS), the tables, and where the repair SQL comes from. Empty when nothing differs.
 */
export function divergenceLines(s: ClusterState): string[] {
  const f = s.findings.find((x) => x.code === "DATA_DIVERGENCE");
  if (!f) return [];
  const ev = f.evidence as {
    differing?: number;
    tables?: Record<string, number>;
    keys?: string[];
    drift?: string[];
  };
  const tables = Object.entries(ev.tables ?? {});
  const keys = ev.keys ?? [];
  const more = (ev.differing ?? 0) - keys.length;
  return [
    "Data that differs between the nodes (the consistency sweep, each row confirmed at the writer's replication point):",
    `  ${ev.differing ?? 0} row(s) in ${tables.length} table(s)${tables.length ? `: ${tables.map(([t, n]) => `${t} (${n})`).join(", ")}` : ""}`,
    ...keys.map((k) => `  ${k}`),
    ...(more > 0 ? [`  ... and ${more} more`] : []),
    ...(ev.drift ?? []).map((d) => `  schema drift: ${d}`),
    `  Repair SQL: the prober writes none (it only reads). \`mysql-ha-prober compare --cluster ${s.cluster}${tables.length ? ` --tables ${tables.map(([t]) => t).join(",")}` : ""} --repair-dir <dir>\` confirms the rows again and writes it, both ways (docs/consistency.md).`,
  ];
}
