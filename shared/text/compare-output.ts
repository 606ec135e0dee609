/** The consistency check's report as the CLI prints it: the verdict, the drift, each table's differences. */
import { allDifferences, allSame, type CompareReport } from "../domain/consistency/model.ts";
import { keyText } from "../domain/consistency/sweep.ts";
import { table } from "./output.ts";

export { keyText };

export function renderCompare(r: CompareReport, repairFiles: readonly string[]): string {
  const differences = allDifferences(r);
  const unconfirmed = r.tables.reduce((n, t) => n + t.unconfirmed.length, 0);
  const rows = r.tables.reduce((n, t) => n + t.rows, 0);
  const skipped = r.tables.filter((t) => t.skipped).length;
  const verdict = allSame(r)
    ? "the same data on both nodes"
    : `${differences.length} row difference(s), ${r.drift.length} schema drift(s), ${skipped} table(s) not compared, ${unconfirmed} row(s) unconfirmed`;
  const lines = [
    `cluster ${r.cluster}: ${verdict} (${rows} rows in ${r.tables.length} tables read at node ${r.reference.toUpperCase()}'s replication point, ${r.seconds.toFixed(1)} s)`,
  ];
  if (r.pausedSeconds)
    lines.push(`paused ${r.pausedSeconds.toFixed(1)} s for a busy node (Threads_running above the limit)`);
  if (unconfirmed > 0)
    lines.push(
      `${unconfirmed} row(s) kept changing while read: unconfirmed (hot), compare again when quieter`,
    );
  if (r.drift.length > 0) {
    lines.push("", "schema drift (these tables' rows were not compared):");
    lines.push(table([["table", "kind", "detail"], ...r.drift.map((d) => [d.table, d.kind, d.detail])]));
  }
  lines.push(
    "",
    table([
      ["table", "rows", "chunks", "missing on A", "missing on B", "different", "hot", "note"],
      ...r.tables.map((t) => {
        const n = (k: string) => String(t.differences.filter((d) => d.kind === k).length);
        return [
          t.table,
          String(t.rows),
          String(t.chunks),
          n("missing-on-a"),
          n("missing-on-b"),
          n("different"),
          String(t.unconfirmed.length),
          t.skipped ?? "",
        ];
      }),
    ]),
  );
  if (differences.length > 0) {
    lines.push("", "rows that differ (by key):");
    lines.push(
      table([
        ["table", "kind", "key"],
        ...differences.slice(0, 50).map((d) => [d.table, d.kind, keyText(d.key)]),
      ]),
    );
    if (differences.length > 50) lines.push(`... and ${differences.length - 50} more (--json has them all)`);
  }
  if (repairFiles.length > 0) {
    lines.push("", "repair SQL (nothing was applied; read each file's header first):");
    for (const f of repairFiles) lines.push(`  ${f}`);
  }
  return lines.join("\n");
}
