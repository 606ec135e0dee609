/** The consistency check's pure parts: schema drift, the range SQL, the repair SQL, the chunk size. */
import { describe, expect, it } from "vitest";
import { nextChunkRows } from "../../../../shared/consistency-check.ts";
import { compareGrantChecks } from "../../../../shared/doctor.ts";
import { unreadableSchemas } from "../../../../shared/domain/consistency/grants.ts";
import type { ColumnDef, TableDef } from "../../../../shared/domain/consistency/model.ts";
import { compareExitCode } from "../../../../shared/domain/consistency/model.ts";
import { literal, repairScript, repairStatement } from "../../../../shared/domain/consistency/repair.ts";
import {
  afterKey,
  chunkWhere,
  imageOf,
  integerKey,
  quoteIdent,
  rowBytesExpr,
  rowHashExpr,
} from "../../../../shared/domain/consistency/row-sql.ts";
import { schemaDrift } from "../../../../shared/domain/consistency/schema-diff.ts";
import { scanKey, tableDefs } from "../../../../shared/domain/consistency/table-defs.ts";

const col = (name: string, type: string, extra: Partial<ColumnDef> = {}): ColumnDef => ({
  name,
  type,
  nullable: false,
  charset: null,
  collation: null,
  ...extra,
});
const text = (name: string) =>
  col(name, "varchar(32)", { nullable: true, charset: "utf8mb4", collation: "utf8mb4_general_ci" });
const orders: TableDef = {
  schema: "shop",
  name: "orders",
  columns: [col("id", "bigint(20)"), col("line", "int(11)"), text("note"), col("price", "double")],
  key: ["id", "line"],
  keyName: "PRIMARY",
};
const hex = (s: string) => Buffer.from(s).toString("hex").toUpperCase();

describe("schema drift", () => {
  it("a table on one node only, a column type, a collation and a key are drift, each named", () => {
    // Prepare
    const b: TableDef = {
      ...orders,
      columns: [
        orders.columns[0] as ColumnDef,
        col("line", "bigint(20)"),
        { ...text("note"), collation: "utf8mb4_bin" },
        col("price", "double"),
      ],
      key: ["id"],
    };
    const extra: TableDef = { ...orders, name: "audit" };
    // Act
    const drift = schemaDrift([orders], [b, extra]);
    // Assess
    expect(drift.map((d) => `${d.table}:${d.kind}`)).toEqual([
      "shop.audit:missing-on-a",
      "shop.orders:column-type",
      "shop.orders:collation",
      "shop.orders:key",
    ]);
    expect(drift[1]?.detail).toBe("line: int(11) NOT NULL on A, bigint(20) NOT NULL on B");
  });

  it("the same definitions: no drift", () => {
    expect(schemaDrift([orders], [{ ...orders }])).toEqual([]);
  });
});

describe("the table definitions from information_schema", () => {
  it("PRIMARY first; else the first unique key on NOT NULL columns; a nullable unique key is no key", () => {
    const cols = [col("a", "int"), { ...col("b", "int"), nullable: true }];
    expect(
      scanKey(
        cols,
        new Map([
          ["u_b", ["b"]],
          ["PRIMARY", ["a"]],
        ]),
      ),
    ).toEqual({ key: ["a"], keyName: "PRIMARY" });
    expect(
      scanKey(
        cols,
        new Map([
          ["u_b", ["b"]],
          ["u_a", ["a"]],
        ]),
      ),
    ).toEqual({ key: ["a"], keyName: "u_a" });
    expect(scanKey(cols, new Map([["u_b", ["b"]]]))).toEqual({ key: [], keyName: null });
  });

  it("a row without its table name is an error naming the field", () => {
    expect(() => tableDefs([{ s: "shop" }], [], [])).toThrow(/information_schema\.TABLES\.t/);
  });
});

describe("the range SQL", () => {
  it("after a two-column key: expanded, each value a placeholder in the column's own collation", () => {
    const t: TableDef = { ...orders, key: ["id", "note"] };
    const s = afterKey(t, ["31", hex("x")]);
    expect(s.sql).toBe(
      "((`id` > UNHEX(?)) OR (`id` = UNHEX(?) AND `note` > CONVERT(UNHEX(?) USING utf8mb4) COLLATE utf8mb4_general_ci))",
    );
    expect(s.values).toEqual(["31", "31", hex("x")]);
  });

  it("one integer key column is stepped through; a composite or string key is walked", () => {
    expect(integerKey({ ...orders, key: ["id"] })).toBe(true);
    expect(integerKey(orders)).toBe(false);
    expect(integerKey({ ...orders, key: ["note"] })).toBe(false);
  });

  it("a chunk with open bounds reads the whole table; (lower, upper] otherwise", () => {
    expect(chunkWhere(orders, null, null).sql).toBe("1=1");
    const w = chunkWhere({ ...orders, key: ["id"] }, ["31"], ["3130"]);
    expect(w.sql).toBe("((`id` > UNHEX(?))) AND NOT ((`id` > UNHEX(?)))");
    expect(w.values).toEqual(["31", "3130"]);
  });

  it("a row's bytes: a number as printed, a string as its length and bytes, then the NULL flags; identifiers quoted", () => {
    expect(rowBytesExpr({ ...orders, columns: [col("we`ird", "int"), text("n")] })).toBe(
      "CONCAT_WS('#', `we``ird`, LENGTH(`n`), CAST(`n` AS BINARY), CONCAT(ISNULL(`we``ird`), ISNULL(`n`)))",
    );
    expect(rowHashExpr({ ...orders, columns: [col("i", "int")] })).toBe(
      "MD5(CONCAT_WS('#', `i`, CONCAT(ISNULL(`i`))))",
    );
    expect(quoteIdent("a`b")).toBe("`a``b`");
  });

  it("a FLOAT as the DOUBLE it converts to exactly (the server prints a FLOAT with 6 digits), in the hash and the image", () => {
    const gauges = { ...orders, columns: [col("f", "float"), col("g", "float(7,4) unsigned")] };
    expect(rowBytesExpr(gauges)).toBe(
      "CONCAT_WS('#', (`f` + 0E0), (`g` + 0E0), CONCAT(ISNULL(`f`), ISNULL(`g`)))",
    );
    expect(imageOf(col("f", "float"))).toBe("HEX(CAST((`f` + 0E0) AS BINARY))");
    expect(imageOf(col("d", "double"))).toBe("HEX(CAST(`d` AS BINARY))");
  });
});

describe("the repair SQL", () => {
  const imageA = { id: hex("7"), line: hex("1"), note: hex("it's "), price: hex("1.5") };
  it("values: numbers as the server printed them, strings as hex (trailing space kept), NULL as NULL", () => {
    expect(literal(col("price", "double"), hex("1.5"))).toBe("'1.5'");
    expect(literal(text("note"), hex("a "))).toBe("X'6120'");
    expect(literal(text("note"), null)).toBe("NULL");
    expect(literal(col("doc", "json"), hex("{}"))).toBe("CONVERT(X'7B7D' USING utf8mb4)");
  });

  it("missing on the target: INSERT; extra on it: DELETE by key; different: UPDATE of the changed columns only", () => {
    expect(repairStatement(orders, imageA, null)).toBe(
      "INSERT INTO `shop`.`orders` (`id`, `line`, `note`, `price`) VALUES ('7', '1', X'6974277320', '1.5');",
    );
    expect(repairStatement(orders, null, imageA)).toBe(
      "DELETE FROM `shop`.`orders` WHERE `id` = '7' AND `line` = '1' LIMIT 1;",
    );
    expect(repairStatement(orders, imageA, { ...imageA, note: null })).toBe(
      "UPDATE `shop`.`orders` SET `note` = X'6974277320' WHERE `id` = '7' AND `line` = '1' LIMIT 1;",
    );
    expect(repairStatement(orders, imageA, { ...imageA })).toBeNull();
  });

  it("a table without a key: one copy deleted by every column, NULL-safe; a copy inserted whole", () => {
    const log: TableDef = { ...orders, key: [], keyName: null };
    const row = { ...imageA, note: null };
    expect(repairStatement(log, null, row)).toBe(
      "DELETE FROM `shop`.`orders` WHERE `id` <=> '7' AND `line` <=> '1' AND `note` <=> NULL AND `price` <=> '1.5' LIMIT 1;",
    );
    expect(repairStatement(log, row, null)).toBe(
      "INSERT INTO `shop`.`orders` (`id`, `line`, `note`, `price`) VALUES ('7', '1', NULL, '1.5');",
    );
  });

  it("the file turns the binary log off for its session and says on which node, and why", () => {
    const sql = repairScript(
      [orders],
      [{ table: "shop.orders", kind: "missing-on-b", key: [hex("7"), hex("1")], a: imageA, b: null }],
      "a",
      "b",
      { cluster: "lab", at: "2026-12-07T00:00:00.000Z" },
    );
    expect(sql).toMatch(/^-- Apply on node B ONLY/m);
    expect(sql).toMatch(/^SET SESSION sql_log_bin = 0;$/m);
    expect(sql).toMatch(/^SET SESSION time_zone = '\+00:00';$/m);
    expect(sql).toMatch(/^INSERT INTO `shop`\.`orders`/m);
    expect(sql.trim().split("\n").at(-1)).toBe("SET SESSION sql_log_bin = 1;");
  });
});

describe("the chunk size", () => {
  it("follows the time budget, at most ten times more or half as many, within 10 and 1,000,000 rows", () => {
    expect(nextChunkRows(1000, 100, 500)).toBe(5000);
    expect(nextChunkRows(1000, 10, 500)).toBe(10_000);
    expect(nextChunkRows(1000, 2000, 500)).toBe(500);
    expect(nextChunkRows(1000, 625, 500)).toBe(800);
    expect(nextChunkRows(12, 10_000, 500)).toBe(10);
    expect(nextChunkRows(900_000, 1, 500)).toBe(1_000_000);
  });
});

describe("the compare grants from SHOW GRANTS", () => {
  it("SELECT or ALL on `db`.* or *.* reads the schema; a table-level grant or another privilege does not", () => {
    const lines = [
      "GRANT SLAVE MONITOR, BINLOG MONITOR ON *.* TO `prober`@`10.0.%`",
      "GRANT SELECT ON `shop`.* TO `prober`@`10.0.%`",
      "GRANT ALL PRIVILEGES ON `we``ird`.* TO `prober`@`10.0.%`",
      "GRANT SELECT ON `billing`.`invoices` TO `prober`@`10.0.%`",
      "GRANT SELECT, UPDATE ON mysql_ha_prober.* TO 'prober'@'10.0.%'",
    ];
    expect(unreadableSchemas(lines, ["shop", "we`ird", "billing", "mysql_ha_prober"])).toEqual(["billing"]);
    expect(unreadableSchemas(["GRANT SELECT ON *.* TO `x`@`%`"], ["any"])).toEqual([]);
    expect(unreadableSchemas(["GRANT INSERT ON *.* TO `x`@`%`"], ["any"])).toEqual(["any"]);
  });

  it("doctor: one line per node, the fix naming the kit's SQL; a node whose grants could not be read fails", () => {
    const checks = compareGrantChecks(
      { a: ["GRANT SELECT ON `shop`.* TO `p`@`%`"], b: new Error("connect ECONNREFUSED") },
      ["shop", "billing"],
      "p",
    );
    expect(checks.map((c) => [c.what, c.ok, c.detail])).toEqual([
      ["node A: p may read shop, billing (compare)", false, "no SELECT on billing"],
      ["node B: p may read shop, billing (compare)", false, "SHOW GRANTS failed: connect ECONNREFUSED"],
    ]);
    expect(checks[0]?.fix).toMatch(
      /^run node-kit\/sql\/compare\.sql on node A once per schema \(COMPARE_SCHEMA=billing\)/,
    );
  });
});

describe("the verdict", () => {
  const table = { table: "shop.t", rows: 10, chunks: 1, differences: [], unconfirmed: [], chunkMs: [] };
  const report = {
    cluster: "c",
    reference: "a" as const,
    startedAt: "",
    seconds: 1,
    drift: [],
    tables: [table],
  };
  it("the same data only when every table was read whole: a skipped table or a hot row is exit 1", () => {
    expect(compareExitCode(report)).toBe(0);
    expect(compareExitCode({ ...report, tables: [{ ...table, skipped: "no key" }] })).toBe(1);
    expect(compareExitCode({ ...report, tables: [{ ...table, unconfirmed: [{ key: ["31"] }] }] })).toBe(1);
  });
});
