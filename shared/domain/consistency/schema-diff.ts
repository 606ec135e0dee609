/**
 * The two nodes' table definitions side by side (pure). A table missing on one node, or defined
 * differently (columns, their types, charsets and collations, the key), is schema drift: its rows are
 * not compared, since different definitions make different bytes of equal data.
 */
import { type SchemaDrift, type TableDef, tableName } from "./model.ts";

/** The drift between A's and B's definitions, table by table (names sorted). */
export function schemaDrift(a: readonly TableDef[], b: readonly TableDef[]): SchemaDrift[] {
  const byName = (defs: readonly TableDef[]) => new Map(defs.map((d) => [tableName(d), d]));
  const onA = byName(a);
  const onB = byName(b);
  const names = [...new Set([...onA.keys(), ...onB.keys()])].sort();
  return names.flatMap((name) => tableDrift(name, onA.get(name), onB.get(name)));
}

/** One table's drift: missing on a node, or the first way its definitions differ, per kind. */
export function tableDrift(name: string, a: TableDef | undefined, b: TableDef | undefined): SchemaDrift[] {
  if (!a) return [{ table: name, kind: "missing-on-a", detail: "the table exists on node B only" }];
  if (!b) return [{ table: name, kind: "missing-on-b", detail: "the table exists on node A only" }];
  const drift: SchemaDrift[] = [];
  const colsA = a.columns.map((c) => c.name);
  const colsB = b.columns.map((c) => c.name);
  if (colsA.join("\u0000") !== colsB.join("\u0000"))
    drift.push({
      table: name,
      kind: "columns",
      detail: `columns differ: A (${colsA.join(", ")}), B (${colsB.join(", ")})`,
    });
  for (const ca of a.columns) {
    const cb = b.columns.find((c) => c.name === ca.name);
    if (!cb) continue;
    if (ca.type !== cb.type || ca.nullable !== cb.nullable)
      drift.push({
        table: name,
        kind: "column-type",
        detail: `${ca.name}: ${describe(ca)} on A, ${describe(cb)} on B`,
      });
    if (ca.charset !== cb.charset)
      drift.push({
        table: name,
        kind: "charset",
        detail: `${ca.name}: ${ca.charset} on A, ${cb.charset} on B`,
      });
    else if (ca.collation !== cb.collation)
      drift.push({
        table: name,
        kind: "collation",
        detail: `${ca.name}: ${ca.collation} on A, ${cb.collation} on B`,
      });
  }
  if (a.key.join("\u0000") !== b.key.join("\u0000"))
    drift.push({
      table: name,
      kind: "key",
      detail: `the key differs: A (${a.key.join(", ") || "none"}), B (${b.key.join(", ") || "none"})`,
    });
  return drift;
}

function describe(c: { type: string; nullable: boolean }): string {
  return `${c.type}${c.nullable ? "" : " NOT NULL"}`;
}
