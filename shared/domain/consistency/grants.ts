/**
 * What a user may read, from `SHOW GRANTS` (pure): the schemas with SELECT on every table (`db`.*), or
 * everything (*.*). A table-level grant is not enough for the consistency check, which reads every base
 * table of the schema.
 */
export interface Readable {
  readonly all: boolean;
  readonly schemas: ReadonlySet<string>;
}

/** The schemas `SHOW GRANTS`' lines let the user SELECT from (MySQL and MariaDB spellings). */
export function readableSchemas(lines: readonly string[]): Readable {
  let all = false;
  const schemas = new Set<string>();
  for (const line of lines) {
    const m = /^GRANT (.+?) ON (\S+) TO /i.exec(line.trim());
    if (!m) continue;
    const privileges = (m[1] as string).split(",").map((p) => p.trim().toUpperCase());
    if (!privileges.some((p) => p === "SELECT" || p === "ALL PRIVILEGES" || p === "ALL")) continue;
    const on = m[2] as string;
    if (on === "*.*") all = true;
    const db = /^`((?:[^`]|``)+)`\.\*$/.exec(on) ?? /^([A-Za-z0-9_$]+)\.\*$/.exec(on);
    if (db) schemas.add((db[1] as string).replaceAll("``", "`"));
  }
  return { all, schemas };
}

/** The schemas of `wanted` the user may not read whole. */
export function unreadableSchemas(lines: readonly string[], wanted: readonly string[]): string[] {
  const r = readableSchemas(lines);
  return r.all ? [] : wanted.filter((s) => !r.schemas.has(s));
}
