/**
 * The repair SQL (pure): statements by key that make one node's rows like the other's, binary-safe
 * (strings and binaries as hex literals, numbers and times as the server printed them). Never applied by
 * the tool: the file says how to apply it and what each way does (docs/consistency.md).
 */
import type { ColumnDef, Difference, RowImage, TableDef } from "./model.ts";
import { quoteIdent } from "./row-sql.ts";

/** A confirmed difference with both nodes' images of the row (null: the node lacks it). */
export interface RowDifference extends Difference {
  readonly a: RowImage | null;
  readonly b: RowImage | null;
}

/** Types whose bytes are the server's own text of the value: written back as a quoted literal. */
const PRINTED =
  /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|date|datetime|timestamp|time|year)\b/i;

/** A column's value as a SQL literal from its hex image: NULL, '<text>' or X'<hex>'. */
export function literal(c: ColumnDef, hex: string | null): string {
  if (hex === null) return "NULL";
  if (!/^([0-9A-Fa-f]{2})*$/.test(hex)) throw new Error(`${c.name}: the image is not hex`);
  if (PRINTED.test(c.type)) return `'${Buffer.from(hex, "hex").toString("latin1").replaceAll("'", "''")}'`;
  if (/^json\b/i.test(c.type)) return `CONVERT(X'${hex}' USING utf8mb4)`;
  return `X'${hex}'`;
}

/** The row by its key; a table without a key: by every column, NULL-safe (`<=>`), one copy (LIMIT 1). */
function keyMatch(t: TableDef, image: RowImage): string {
  if (t.key.length === 0)
    return t.columns
      .map((c) => `${quoteIdent(c.name)} <=> ${literal(c, image[c.name] ?? null)}`)
      .join(" AND ");
  const col = (name: string) => t.columns.find((c) => c.name === name) as ColumnDef;
  return t.key.map((k) => `${quoteIdent(k)} = ${literal(col(k), image[k] ?? null)}`).join(" AND ");
}

/** The statement that makes `target`'s row like `source`'s (null: absent), by key. */
export function repairStatement(
  t: TableDef,
  source: RowImage | null,
  target: RowImage | null,
): string | null {
  const name = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
  if (source && !target)
    return `INSERT INTO ${name} (${t.columns.map((c) => quoteIdent(c.name)).join(", ")}) VALUES (${t.columns.map((c) => literal(c, source[c.name] ?? null)).join(", ")});`;
  if (!source && target) return `DELETE FROM ${name} WHERE ${keyMatch(t, target)} LIMIT 1;`;
  if (source && target) {
    const changed = t.columns.filter((c) => (source[c.name] ?? null) !== (target[c.name] ?? null));
    if (changed.length === 0) return null;
    return `UPDATE ${name} SET ${changed.map((c) => `${quoteIdent(c.name)} = ${literal(c, source[c.name] ?? null)}`).join(", ")} WHERE ${keyMatch(t, target)} LIMIT 1;`;
  }
  return null;
}

/**
 * The file that makes node `target` like node `source` for every difference, applied on `target` only with
 * its binary log off for the session: the change stays on that node (no GTID, nothing replicates).
 */
export function repairScript(
  defs: readonly TableDef[],
  differences: readonly RowDifference[],
  source: "a" | "b",
  target: "a" | "b",
  header: { cluster: string; at: string },
): string {
  const byName = new Map(defs.map((d) => [`${d.schema}.${d.name}`, d]));
  const lines = [
    `-- mysql-ha-prober compare: ${header.cluster}, ${header.at}`,
    `-- Makes node ${target.toUpperCase()} like node ${source.toUpperCase()} for ${differences.length} confirmed row difference(s).`,
    `-- Apply on node ${target.toUpperCase()} ONLY, as a user allowed to turn off its binary log for the session:`,
    `--   mysql -h <node ${target.toUpperCase()}> < this-file`,
    "-- sql_log_bin = 0: the changes stay on that node (no GTID, nothing replicates, a binlog-based backup",
    "-- or point-in-time recovery will not see them). With the binary log on instead, these row changes would",
    `-- replicate to node ${source.toUpperCase()}, which already holds these values: an INSERT there fails with`,
    "-- 1062 and a DELETE or UPDATE of a row it lacks with 1032, each STOPPING its replication. Do not.",
    "-- Nothing here was applied by the tool. Compare again after applying: it must find no difference.",
    "SET SESSION sql_log_bin = 0;",
    "-- TIMESTAMP values below are in UTC, as compare read them:",
    "SET SESSION time_zone = '+00:00';",
  ];
  for (const d of differences) {
    const t = byName.get(d.table);
    if (!t) continue;
    const statement = repairStatement(t, d[source], d[target]);
    if (statement) lines.push(statement);
  }
  lines.push("SET SESSION sql_log_bin = 1;", "");
  return lines.join("\n");
}
