/**
 * The node setup kit: the files a node of the pair needs (keepalived's notify and track scripts, the
 * VRRP fragment, the SQL for the monitoring and heartbeat users per flavor), with @NAME@ placeholders.
 * The lab renders exactly these files, so every lab test runs them.
 */
import { readFileSync } from "node:fs";

export const KIT_FILES = {
  notify: "notify.sh",
  checkMysql: "check-mysql.sh",
  /** The forced command of the prober's SSH key: runs only the node check installed beside it. */
  sshNodeCheck: "ssh-node-check.sh",
  keepalived: "keepalived.conf.fragment",
  /** Merged into /etc/amazon/ssm/amazon-ssm-agent.json: the node checks leave nothing once they succeed. */
  ssmAgent: "amazon-ssm-agent.json",
  "sql-mariadb": "sql/mariadb.sql",
  "sql-mysql-5.7": "sql/mysql-5.7.sql",
  "sql-mysql-8.0": "sql/mysql-8.0.sql",
  "sql-mysql-8.4": "sql/mysql-8.4.sql",
  /** The consistency check's read access, per schema (every flavor). */
  "sql-compare": "sql/compare.sql",
} as const;
export type KitFile = keyof typeof KIT_FILES;

export function kitPath(file: KitFile): string {
  return new URL(KIT_FILES[file], import.meta.url).pathname;
}

/** The placeholders a kit file uses. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/@([A-Z_]+)@/g)].map((m) => m[1] as string))].sort();
}

/** A kit file with its placeholders filled; every placeholder must be given, and nothing else. */
export function renderKit(file: KitFile, values: Record<string, string | number>): string {
  const text = readFileSync(kitPath(file), "utf8");
  const needed = placeholders(text);
  const missing = needed.filter((p) => values[p] === undefined);
  const extra = Object.keys(values).filter((k) => !needed.includes(k));
  if (missing.length || extra.length)
    throw new Error(
      `${KIT_FILES[file]}: ${missing.length ? `missing ${missing.join(", ")}` : ""}${missing.length && extra.length ? "; " : ""}${extra.length ? `not used: ${extra.join(", ")}` : ""}`,
    );
  const quote = KIT_FILES[file].endsWith(".sql") ? sqlStringValue : configValue;
  const safe = Object.fromEntries(
    needed.map((p) => [p, (p.endsWith("_SCHEMA") ? sqlIdentifierValue : quote)(p, String(values[p]))]),
  );
  return text.replace(/@([A-Z_]+)@/g, (_, name: string) => safe[name] as string);
}

/**
 * A value inside a SQL string literal ('...'): a quote doubled ('' is a quote in every sql_mode); a
 * backslash, NUL or line break refused (a backslash means something else under NO_BACKSLASH_ESCAPES).
 * A password with a quote stays that password; nothing in it can end the literal.
 */
export function sqlStringValue(name: string, v: string): string {
  if (/[\\\0\r\n]/.test(v))
    throw new Error(
      `@${name}@: a backslash, NUL or line break cannot be put in the kit's SQL safely; choose another value`,
    );
  return v.replaceAll("'", "''");
}

/**
 * A schema name inside a backquoted SQL identifier: a backtick doubled; NUL, line breaks and names over 64
 * characters refused (MySQL's identifier limit), so nothing in it can end the identifier.
 */
export function sqlIdentifierValue(name: string, v: string): string {
  if (v === "" || v.length > 64 || /[\0\r\n]/.test(v))
    throw new Error(
      `@${name}@: ${JSON.stringify(v)} is not a schema name (1 to 64 characters, no NUL or line break)`,
    );
  return v.replaceAll("`", "``");
}

/**
 * A value in keepalived's configuration (a word, or a path keepalived quotes itself): only characters that
 * cannot start a new keyword, a quoted string, a comment or a block.
 */
export function configValue(name: string, v: string): string {
  if (!/^[A-Za-z0-9_.:/@%+=,-]*$/.test(v))
    throw new Error(
      `@${name}@: ${JSON.stringify(v)} has a character keepalived's configuration would read as syntax (quote, space, #, !, brace, line break); choose another value`,
    );
  return v;
}
