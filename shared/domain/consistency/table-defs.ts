/**
 * Table definitions from information_schema's rows (pure): the columns in order, and the key the scan
 * walks (PRIMARY, else the first unique key on NOT NULL columns). A malformed row is an InputError
 * naming the field.
 */
import { InputError } from "../errors.ts";
import type { ColumnDef, TableDef } from "./model.ts";

type Row = Record<string, unknown>;

function text(row: Row, field: string, where: string): string {
  const v = row[field];
  if (typeof v !== "string" || v === "")
    throw new InputError(`${where}.${field}`, "missing or not text", String(v));
  return v;
}

function nullableText(row: Row, field: string): string | null {
  const v = row[field];
  return typeof v === "string" && v !== "" ? v : null;
}

/** The base tables of `tables`, with their columns (`columns`) and unique keys (`keys`). */
export function tableDefs(tables: readonly Row[], columns: readonly Row[], keys: readonly Row[]): TableDef[] {
  const id = (r: Row, where: string) => `${text(r, "s", where)}.${text(r, "t", where)}`;
  const cols = new Map<string, ColumnDef[]>();
  for (const r of columns) {
    const k = id(r, "information_schema.COLUMNS");
    const list = cols.get(k) ?? [];
    list.push({
      name: text(r, "c", "information_schema.COLUMNS"),
      type: text(r, "type", "information_schema.COLUMNS"),
      nullable: r.nullable === "YES",
      charset: nullableText(r, "cs"),
      collation: nullableText(r, "co"),
    });
    cols.set(k, list);
  }
  const indexes = new Map<string, Map<string, string[]>>();
  for (const r of keys) {
    const k = id(r, "information_schema.STATISTICS");
    const byIndex = indexes.get(k) ?? new Map<string, string[]>();
    const name = text(r, "i", "information_schema.STATISTICS");
    byIndex.set(name, [...(byIndex.get(name) ?? []), text(r, "c", "information_schema.STATISTICS")]);
    indexes.set(k, byIndex);
  }
  return tables
    .map((r) => {
      const schema = text(r, "s", "information_schema.TABLES");
      const name = text(r, "t", "information_schema.TABLES");
      const columnsOf = cols.get(`${schema}.${name}`) ?? [];
      const { key, keyName } = scanKey(columnsOf, indexes.get(`${schema}.${name}`) ?? new Map());
      return { schema, name, columns: columnsOf, key, keyName };
    })
    .sort((x, y) => `${x.schema}.${x.name}`.localeCompare(`${y.schema}.${y.name}`));
}

/** PRIMARY, else the first (by name) unique key whose columns are all NOT NULL; none: an empty key. */
export function scanKey(
  columns: readonly ColumnDef[],
  unique: ReadonlyMap<string, readonly string[]>,
): { key: string[]; keyName: string | null } {
  const primary = unique.get("PRIMARY");
  if (primary) return { key: [...primary], keyName: "PRIMARY" };
  const notNull = (c: string) => columns.some((x) => x.name === c && !x.nullable);
  const name = [...unique.keys()].sort().find((n) => (unique.get(n) ?? []).every(notNull));
  return name ? { key: [...(unique.get(name) ?? [])], keyName: name } : { key: [], keyName: null };
}
