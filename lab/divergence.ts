/**
 * Divergences for the consistency check (`lab diverge <kind> <node>`): a write made on one node with
 * sql_log_bin=0, which replication never sees and `lab heal` does not undo (the repair SQL of `compare`, or
 * `lab up --rebuild`, does). Each acts on the drill's own tables, created and seeded through replication
 * first, and says what `compare` must find.
 */
import type { NodeId } from "../shared/domain/types.ts";

export const DIVERGENCE_KINDS = [
  "row-insert",
  "row-delete",
  "row-update",
  "null-vs-empty",
  "trailing-space",
  "float",
  "twin-update",
  "keyless-copy",
  "collation",
  "table-missing",
] as const;
export type DivergenceKind = (typeof DIVERGENCE_KINDS)[number];

/** Rows of lab.drill as seeded. */
export const DIVERGENCE_SEED_ROWS = 100;

/** The drill's tables, written once on a node with its binary log on, so both nodes hold them. */
export const DIVERGENCE_SEED = `CREATE TABLE IF NOT EXISTS lab.drill (id INT PRIMARY KEY, name VARCHAR(32) NULL,
    price DOUBLE NOT NULL, note TEXT NULL) ENGINE=InnoDB;
  INSERT IGNORE INTO lab.drill SELECT seq, IF(seq % 7 = 0, NULL, CONCAT('item ', seq)), seq / 3,
    IF(seq % 5 = 0, NULL, REPEAT('n', seq)) FROM lab.seq_1_to_${DIVERGENCE_SEED_ROWS};
  CREATE TABLE IF NOT EXISTS lab.drill_codes (code VARCHAR(8) NOT NULL PRIMARY KEY) ENGINE=InnoDB
    DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
  INSERT IGNORE INTO lab.drill_codes VALUES ('a'), ('B'), ('c');`;

/** The drill's table without a key, seeded apart (a lab seeded before it had it gets it alone). */
export const DIVERGENCE_SEED_KEYLESS = `CREATE TABLE lab.drill_log (id INT NOT NULL) ENGINE=InnoDB;
  INSERT INTO lab.drill_log SELECT seq FROM lab.seq_1_to_20;`;

/** What `compare` must report for a divergence: a row difference, or schema drift. */
export type Expected =
  | {
      readonly table: string;
      readonly kind: "missing-on-a" | "missing-on-b" | "different";
      /** The first row's key (kept for `lab diverge --json` readers); `ids` has them all. */
      readonly id: number;
      readonly ids: readonly number[];
    }
  | { readonly table: string; readonly drift: "collation" | "missing-on-a" | "missing-on-b" };

export interface Divergence {
  readonly describe: string;
  readonly sql: string;
  readonly expected: Expected;
}

/** The divergence `kind` made on node `node` (its SQL runs there with sql_log_bin=0). */
export function divergence(kind: DivergenceKind, node: NodeId): Divergence {
  const other = node === "a" ? "b" : "a";
  const row = (id: number, describe: string, sql: string, ids = [id]): Divergence => ({
    describe,
    sql,
    expected: { table: "lab.drill", kind: "different", id, ids },
  });
  switch (kind) {
    case "row-insert":
      return {
        describe: "a row inserted on this node only (id 900001)",
        sql: "INSERT INTO lab.drill VALUES (900001, 'only here', 1, NULL)",
        expected: { table: "lab.drill", kind: `missing-on-${other}`, id: 900001, ids: [900001] },
      };
    case "row-delete":
      return {
        describe: "a row deleted on this node only (id 10)",
        sql: "DELETE FROM lab.drill WHERE id = 10",
        expected: { table: "lab.drill", kind: `missing-on-${node}`, id: 10, ids: [10] },
      };
    case "row-update":
      return row(
        11,
        "a row updated on this node only (id 11, price + 1)",
        "UPDATE lab.drill SET price = price + 1 WHERE id = 11",
      );
    case "null-vs-empty":
      return row(
        14,
        "NULL made '' on this node only (id 14, name)",
        "UPDATE lab.drill SET name = '' WHERE id = 14",
      );
    case "trailing-space":
      return row(
        15,
        "a trailing space on this node only (id 15, name)",
        "UPDATE lab.drill SET name = CONCAT(name, ' ') WHERE id = 15",
      );
    case "float":
      return row(
        16,
        "a float changed in its last digits on this node only (id 16, price + 1e-9)",
        "UPDATE lab.drill SET price = price + 1e-9 WHERE id = 16",
      );
    case "twin-update":
      // the same bytes changed at the same place in two rows of the same shape: a CRC-based chunk checksum
      // changes by the same value for each, and its BIT_XOR cancels them out (row-sql.ts chunkHashQuery)
      return row(
        20,
        "the same change on two rows alike on this node only (ids 20 and 25, name upper-cased)",
        "UPDATE lab.drill SET name = UPPER(name) WHERE id IN (20, 25)",
        [20, 25],
      );
    case "keyless-copy":
      return {
        describe: "one more copy of a row of a table without a key on this node only (lab.drill_log, id 5)",
        sql: "INSERT INTO lab.drill_log VALUES (5)",
        expected: { table: "lab.drill_log", kind: `missing-on-${other}`, id: 5, ids: [5] },
      };
    case "collation":
      return {
        describe: "lab.drill_codes.code's collation changed on this node only (utf8mb4_bin)",
        sql: "ALTER TABLE lab.drill_codes MODIFY code VARCHAR(8) COLLATE utf8mb4_bin NOT NULL",
        expected: { table: "lab.drill_codes", drift: "collation" },
      };
    case "table-missing":
      return {
        describe: "a table on this node only (lab.drill_only_here)",
        sql: "CREATE TABLE IF NOT EXISTS lab.drill_only_here (id INT PRIMARY KEY)",
        expected: { table: "lab.drill_only_here", drift: `missing-on-${other}` },
      };
  }
}

/**
 * The SQL that puts node `node`'s side of a divergence back as the seed made it (run there with
 * sql_log_bin=0): its rows re-made (or removed above the seeded ids), its table dropped, its collation back.
 */
export function undoDivergence(e: Expected): string {
  if (e.table === "lab.drill_log") return "DELETE FROM lab.drill_log WHERE id = 5 LIMIT 1";
  if ("drift" in e)
    return e.drift === "collation"
      ? "ALTER TABLE lab.drill_codes MODIFY code VARCHAR(8) COLLATE utf8mb4_general_ci NOT NULL"
      : `DROP TABLE IF EXISTS ${e.table}`;
  const seeded = e.ids.filter((id) => id <= DIVERGENCE_SEED_ROWS);
  const added = e.ids.filter((id) => id > DIVERGENCE_SEED_ROWS);
  return [
    ...(seeded.length
      ? [
          `REPLACE INTO lab.drill SELECT seq, IF(seq % 7 = 0, NULL, CONCAT('item ', seq)), seq / 3,
             IF(seq % 5 = 0, NULL, REPEAT('n', seq)) FROM lab.seq_1_to_${DIVERGENCE_SEED_ROWS} WHERE seq IN (${seeded.join(", ")})`,
        ]
      : []),
    ...(added.length ? [`DELETE FROM lab.drill WHERE id IN (${added.join(", ")})`] : []),
  ].join(";\n");
}
