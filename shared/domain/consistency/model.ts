/**
 * The consistency check's vocabulary (pure): the tables as each node defines them, the differences found,
 * and the report. A difference is about a row that was read on both nodes at the same replication point
 * and confirmed (docs/consistency.md); a row that kept changing is "unconfirmed (hot)", never a difference.
 */

/** A column as information_schema.COLUMNS describes it. */
export interface ColumnDef {
  readonly name: string;
  /** COLUMN_TYPE, e.g. `varchar(32)`, `decimal(10,2) unsigned`. */
  readonly type: string;
  readonly nullable: boolean;
  readonly charset: string | null;
  readonly collation: string | null;
}

/** A table as one node defines it. */
export interface TableDef {
  readonly schema: string;
  readonly name: string;
  readonly columns: readonly ColumnDef[];
  /** The key the scan walks: the primary key, else the first unique key on NOT NULL columns. */
  readonly key: readonly string[];
  /** Which key that is (PRIMARY or the unique index's name); null when the table has none. */
  readonly keyName: string | null;
}

/** Where two nodes' definitions of the schema part ways: reported as drift, never as row differences. */
export interface SchemaDrift {
  readonly table: string;
  readonly kind:
    | "missing-on-a"
    | "missing-on-b"
    | "columns"
    | "column-type"
    | "charset"
    | "collation"
    | "key";
  readonly detail: string;
}

export type DifferenceKind = "missing-on-a" | "missing-on-b" | "different";

/** A row the two nodes hold differently, confirmed at one replication point. */
export interface Difference {
  readonly table: string;
  readonly kind: DifferenceKind;
  /** The row's key values, in key column order, as text. */
  readonly key: readonly (string | null)[];
}

/** A row's values as read for a repair: each column's bytes in hex, null for NULL. */
export type RowImage = Readonly<Record<string, string | null>>;

export interface TableReport {
  readonly table: string;
  readonly rows: number;
  readonly chunks: number;
  readonly differences: readonly Difference[];
  /** Rows that changed between every read: not shown to differ, not shown equal. */
  readonly unconfirmed: readonly { readonly key: readonly (string | null)[] }[];
  /** Why the rows were not compared (schema drift, no usable key), when they were not. */
  readonly skipped?: string;
  /** Server time of the chunk reads (both nodes), in ms. */
  readonly chunkMs: readonly number[];
}

export interface CompareReport {
  readonly cluster: string;
  /** The node whose reads set the replication point (the writer), and the other one. */
  readonly reference: "a" | "b";
  readonly startedAt: string;
  readonly seconds: number;
  /** Seconds the check paused for a busy node (Threads_running above the limit) before its reads. */
  readonly pausedSeconds?: number;
  readonly drift: readonly SchemaDrift[];
  readonly tables: readonly TableReport[];
}

/** `schema`.`table`, for messages and report keys. */
export function tableName(t: { schema: string; name: string }): string {
  return `${t.schema}.${t.name}`;
}

/** The report's differences, over every table. */
export function allDifferences(r: CompareReport): Difference[] {
  return r.tables.flatMap((t) => [...t.differences]);
}

/** True only when every table was read whole and nothing differed: a table skipped or a hot row is not "same". */
export function allSame(r: CompareReport): boolean {
  return (
    r.drift.length === 0 &&
    allDifferences(r).length === 0 &&
    r.tables.every((t) => !t.skipped && t.unconfirmed.length === 0)
  );
}

/** The report's verdict: same (0); different, drifted, or not all seen (a skipped table, a hot row): 1. */
export function compareExitCode(r: CompareReport): 0 | 1 {
  return allSame(r) ? 0 : 1;
}

/** Why a pass of the deployed sweep started. */
export type SweepReason = "first" | "schedule" | "after-split-brain";

/** What the cluster's state keeps of the sweep (status, the metric): counts and progress, never keys. */
export interface ConsistencySummary {
  /** Rows confirmed different plus tables defined differently, as known now (DataDifferences). */
  differences: number;
  differing: number;
  drift: number;
  pass: { startedAt: string; reason: SweepReason; tablesDone: number; rows: number } | null;
  last: {
    startedAt: string;
    finishedAt: string;
    reason: SweepReason;
    rows: number;
    tables: number;
    differing: number;
    skipped: number;
    unconfirmed: number;
  } | null;
  lastSlice?: { at: string; outcome: "progress" | "done" | "error"; message?: string };
}

/** A split brain in which both nodes took writes has ended: a sweep pass is owed for it. */
export interface ConsistencyOwed {
  splitBrainSince: string;
  endedAt: string;
}
