/**
 * The consistency check's read-only SQL (pure builders; the values go as placeholders). Every value is
 * read as its bytes (rowBytesExpr: no charset conversion on the way), so trailing spaces, floats as the
 * server prints them and binary bytes all count; keys and row images travel as hex. A chunk's checksum is
 * a BIT_XOR over its rows' MD5s, so it does not depend on the row order.
 */
import type { ColumnDef, TableDef } from "./model.ts";

/** A key: each key column's bytes in hex (null for NULL), in key order. */
export type Key = readonly (string | null)[];

/** A statement and its placeholder values. */
export interface Statement {
  readonly sql: string;
  readonly values: readonly (string | number)[];
}

/** `name` quoted as an identifier (a backtick doubled). */
export function quoteIdent(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}

export function qualified(t: TableDef): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
}

/** A column's bytes in hex: NULL for NULL. */
export function hexOf(column: string): string {
  return `HEX(CAST(${quoteIdent(column)} AS BINARY))`;
}

/**
 * A column's value as its bytes are read: a FLOAT as the DOUBLE it converts to exactly (`c + 0E0`), since
 * the server prints a FLOAT with 6 significant digits (1.0000001 and 1.0000002 both print "1", 16777216
 * prints "16777200"): the check would not see them differ, and a repair would write the wrong value.
 */
export function readAs(c: ColumnDef): string {
  return /^float\b/i.test(c.type) ? `(${quoteIdent(c.name)} + 0E0)` : quoteIdent(c.name);
}

/** A column's bytes in hex, as the row images carry them (readAs: a FLOAT at full precision). */
export function imageOf(c: ColumnDef): string {
  return `HEX(CAST(${readAs(c)} AS BINARY))`;
}

/** Types whose text cannot hold the separator: numbers and times, hashed as the server prints them. */
const PRINTED =
  /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|float|double|real|date|datetime|timestamp|time|year)\b/i;

/**
 * One row as the bytes its hash is taken over: each column in order, a string, binary or other column as
 * its length and its bytes (`LENGTH(c)`, `CAST(c AS BINARY)`: no charset conversion), a number or a time
 * as the server prints it (its text holds no '#'), then one NULL flag per column. The lengths leave no
 * separator to forge (pt-table-checksum's `CONCAT_WS('#', ...)` reads ('a#', 'b') and ('a', '#b') alike);
 * the flags tell NULL from '' apart.
 */
export function rowBytesExpr(t: TableDef): string {
  const parts = t.columns.flatMap((c) =>
    PRINTED.test(c.type)
      ? [readAs(c)]
      : [`LENGTH(${quoteIdent(c.name)})`, `CAST(${quoteIdent(c.name)} AS BINARY)`],
  );
  const nulls = `CONCAT(${t.columns.map((c) => `ISNULL(${quoteIdent(c.name)})`).join(", ")})`;
  return `CONCAT_WS('#', ${[...parts, nulls].join(", ")})`;
}

/** One row's fingerprint, for the rows of a differing chunk: the MD5 of its bytes. */
export function rowHashExpr(t: TableDef): string {
  return `MD5(${rowBytesExpr(t)})`;
}

/** True when the scan can step through the key's values instead of finding each chunk's bound: one integer column. */
export function integerKey(t: TableDef): boolean {
  const c = t.columns.find((x) => x.name === t.key[0]);
  return t.key.length === 1 && !!c && /^(tinyint|smallint|mediumint|int|integer|bigint)\b/i.test(c.type);
}

/**
 * A key value given in hex, as the column compares it: a string column in its own charset and collation
 * (so the range follows the index's order, case-insensitive collations included), anything else as is.
 */
function keyValue(c: ColumnDef): string {
  return c.charset && c.collation
    ? `CONVERT(UNHEX(?) USING ${c.charset}) COLLATE ${c.collation}`
    : "UNHEX(?)";
}

function keyColumns(t: TableDef): ColumnDef[] {
  return t.key.map((k) => {
    const c = t.columns.find((x) => x.name === k);
    if (!c) throw new Error(`${t.schema}.${t.name}: key column ${k} is not a column`);
    return c;
  });
}

/**
 * Rows strictly after `key` in key order, expanded (k1 > v1 OR (k1 = v1 AND k2 > v2) ...), which every
 * MySQL and MariaDB version turns into a range on the key.
 */
export function afterKey(t: TableDef, key: Key, inclusive = false): Statement {
  const cols = keyColumns(t);
  const ors: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < cols.length; i++) {
    const parts: string[] = [];
    for (let j = 0; j < i; j++) {
      parts.push(`${quoteIdent(cols[j]?.name as string)} = ${keyValue(cols[j] as ColumnDef)}`);
      values.push(key[j] as string);
    }
    const last = i === cols.length - 1;
    parts.push(
      `${quoteIdent(cols[i]?.name as string)} ${last && inclusive ? ">=" : ">"} ${keyValue(cols[i] as ColumnDef)}`,
    );
    values.push(key[i] as string);
    ors.push(`(${parts.join(" AND ")})`);
  }
  return { sql: `(${ors.join(" OR ")})`, values };
}

/** Rows at or before `key` in key order. */
export function upToKey(t: TableDef, key: Key): Statement {
  const after = afterKey(t, key);
  return { sql: `NOT ${after.sql}`, values: after.values };
}

/** The WHERE of the chunk (lower, upper]: null bounds are open. */
export function chunkWhere(t: TableDef, lower: Key | null, upper: Key | null): Statement {
  const parts = [...(lower ? [afterKey(t, lower)] : []), ...(upper ? [upToKey(t, upper)] : [])];
  if (parts.length === 0) return { sql: "1=1", values: [] };
  return { sql: parts.map((p) => p.sql).join(" AND "), values: parts.flatMap((p) => p.values) };
}

const orderBy = (t: TableDef) => t.key.map(quoteIdent).join(", ");
const keyHexColumns = (t: TableDef) => t.key.map((k, i) => `${hexOf(k)} AS k${i}`).join(", ");

/**
 * The key of the row `rows` rows after `lower` (the chunk's inclusive upper bound), among the rows at or
 * before `within` when given (a part of a range that must stay in it); no row: the last chunk.
 */
export function upperBoundQuery(
  t: TableDef,
  lower: Key | null,
  rows: number,
  within: Key | null = null,
): Statement {
  const where = chunkWhere(t, lower, within);
  return {
    sql: `SELECT ${keyHexColumns(t)} FROM ${qualified(t)} WHERE ${where.sql} ORDER BY ${orderBy(t)} LIMIT 1 OFFSET ${Math.max(0, Math.floor(rows) - 1)}`,
    values: where.values,
  };
}

/**
 * The chunk's row count and checksum: the BIT_XOR of the first 64 bits of each row's MD5 (the chunk checksum
 * of TiDB's sync-diff-inspector). Not a CRC: a CRC is linear, so two rows changed by the same bytes at the
 * same distance from their ends (`UPDATE ... SET name = UPPER(name)` on two rows alike) change their CRCs
 * by the same value, which BIT_XOR cancels: the chunk would read the same on both nodes. pt-table-checksum's
 * BIT_XOR of CRC32 misses them (BENCHMARKS.md §12); MD5 has no such structure.
 */
export function chunkHashQuery(t: TableDef, lower: Key | null, upper: Key | null): Statement {
  const where = chunkWhere(t, lower, upper);
  return {
    sql: `SELECT COUNT(*) AS n, COALESCE(BIT_XOR(CAST(CONV(LEFT(${rowHashExpr(t)}, 16), 16, 10) AS UNSIGNED)), 0) AS x FROM ${qualified(t)} WHERE ${where.sql}`,
    values: where.values,
  };
}

/** The key's smallest and largest values (two index dives): an integer key's chunks step between them. */
export function keyRangeQuery(t: TableDef): Statement {
  const k = quoteIdent(t.key[0] as string);
  return {
    sql: `SELECT HEX(CAST(MIN(${k}) AS BINARY)) AS lo, HEX(CAST(MAX(${k}) AS BINARY)) AS hi FROM ${qualified(t)}`,
    values: [],
  };
}

/** Every row of the chunk as (key, row hash): a differing chunk narrowed to its rows. */
export function rowHashesQuery(t: TableDef, lower: Key | null, upper: Key | null): Statement {
  const where = chunkWhere(t, lower, upper);
  return {
    sql: `SELECT ${keyHexColumns(t)}, ${rowHashExpr(t)} AS h FROM ${qualified(t)} WHERE ${where.sql} ORDER BY ${orderBy(t)}`,
    values: where.values,
  };
}

/** One row's image (every column's hex) by its key. */
export function rowImageQuery(t: TableDef, key: Key): Statement {
  const cols = keyColumns(t);
  return {
    sql: `SELECT ${t.columns.map((c) => `${imageOf(c)} AS ${quoteIdent(c.name)}`).join(", ")} FROM ${qualified(t)} WHERE ${cols.map((c) => `${quoteIdent(c.name)} = ${keyValue(c)}`).join(" AND ")}`,
    values: [...key] as string[],
  };
}

/**
 * A table without a key, whole: each distinct row's hash and how many times it is there (a table may hold
 * a row twice), over at most `maxRows + 1` rows: more than `maxRows` says the table is too large to compare.
 */
export function rowCountsQuery(t: TableDef, maxRows: number): Statement {
  return {
    sql: `SELECT h, COUNT(*) AS n FROM (SELECT ${rowHashExpr(t)} AS h FROM ${qualified(t)} LIMIT ${Math.floor(maxRows) + 1}) AS x GROUP BY h`,
    values: [],
  };
}

/** The rows of a table without a key whose hash is one of `hashes` (every column's hex), with their hash. */
export function rowsByHashQuery(t: TableDef, hashes: readonly string[]): Statement {
  return {
    sql: `SELECT ${rowHashExpr(t)} AS \`#h\`, ${t.columns.map((c) => `${imageOf(c)} AS ${quoteIdent(c.name)}`).join(", ")} FROM ${qualified(t)} WHERE ${rowHashExpr(t)} IN (${hashes.map(() => "?").join(", ")})`,
    values: [...hashes],
  };
}

/**
 * The rows of a table with an integer key whose key is one of `keys`, each with its key's hex (`#k`) and
 * every column's hex: the images of many rows in one statement (an integer prints one way, so `#k` is the
 * key as asked).
 */
export function rowImagesQuery(t: TableDef, keys: readonly Key[]): Statement {
  return {
    sql: `SELECT ${hexOf(t.key[0] as string)} AS \`#k\`, ${t.columns.map((c) => `${imageOf(c)} AS ${quoteIdent(c.name)}`).join(", ")} FROM ${qualified(t)} WHERE ${quoteIdent(t.key[0] as string)} IN (${keys.map(() => "UNHEX(?)").join(", ")})`,
    values: keys.map((k) => k[0] as string),
  };
}

/** The tables' columns, in order, for the schemas given. */
export const COLUMNS_QUERY =
  "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, CHARACTER_SET_NAME AS cs, COLLATION_NAME AS co FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION";

/** Base tables only (a view holds no rows of its own). */
export const TABLES_QUERY =
  "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?) AND TABLE_TYPE = 'BASE TABLE'";

/** The unique keys and their columns in order. */
export const KEYS_QUERY =
  "SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, INDEX_NAME AS i, COLUMN_NAME AS c, SEQ_IN_INDEX AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA IN (?) AND NON_UNIQUE = 0 ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX";
