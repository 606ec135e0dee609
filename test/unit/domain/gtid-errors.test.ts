/** GTID text that does not parse: each error names the field, the problem and the text, exactly. */
import { describe, expect, it } from "vitest";
import { GtidSet, MariadbPosition, parseMariadbGtidList } from "../../../shared/domain/gtid.ts";

const U = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return "no error";
};

describe("MySQL GTID sets", () => {
  it.each([
    [`${U}:1-5,,${U}:7`, "empty element in GTID set"],
    ["not-a-uuid:1-5", '"not-a-uuid" is not a server UUID'],
    [U, `no transaction interval after ${U}`],
    [`${U}:0-5`, 'invalid interval "0-5"'],
    [`${U}:5-4`, 'invalid interval "5-4"'],
    [`${U}:1-99999999999999999999`, 'invalid interval "1-99999999999999999999"'],
    [`${U}:1-5:9tag`, '"9tag" is neither an interval nor a GTID tag'],
    [`${U}:1-5:tag`, `tag without interval in "${U}:1-5:tag"`],
    [`${U}:${"t".repeat(33)}:1`, `"${"t".repeat(33)}" is neither an interval nor a GTID tag`],
  ])("%s: %s", (text, problem) => {
    expect(errorOf(() => GtidSet.parse(text, "@@gtid_executed"))).toBe(
      `@@gtid_executed: ${problem} (got ${JSON.stringify(text).length > 80 ? `${JSON.stringify(text).slice(0, 77)}...` : JSON.stringify(text)})`,
    );
  });

  it("accepts the edges: interval 1, a single transaction, a 32-character tag, upper case, whitespace", () => {
    const t = "t".repeat(32);
    expect(GtidSet.parse(` ${U.toUpperCase()}:1:3-4,\n${U}:${t}:2 `).toString()).toBe(`${U}:1:3-4:${t}:2`);
    expect(GtidSet.parse(`${U}:1-2:3`).toString()).toBe(`${U}:1-3`);
    expect(GtidSet.parse(`${U}:5:1-3`).intervals(U.toUpperCase())).toEqual([
      [1, 3],
      [5, 5],
    ]);
    expect(GtidSet.parse(`${U}:1-3:2-9`).count()).toBe(9);
    expect(GtidSet.parse(`${U}:1-3`).equals(GtidSet.parse(`${U}:1:2:3`))).toBe(true);
    expect(GtidSet.parse(`${U}:1-3`).equals(GtidSet.parse(`${U}:1-4`))).toBe(false);
    expect(
      GtidSet.fromMap([
        [
          U,
          [
            [4, 6],
            [1, 2],
          ],
        ],
      ]).toString(),
    ).toBe(`${U}:1-2:4-6`);
    expect(GtidSet.fromMap([[U, []]]).isEmpty).toBe(true);
  });

  it("restrictToUuid keeps the UUID's untagged and tagged transactions only", () => {
    const other = "8a94f357-aab4-11df-86ab-c80aa9429562";
    const s = GtidSet.parse(`${U}:1-3:blue:1,${other}:1-9`);
    expect(s.restrictToUuid(U.toUpperCase()).toString()).toBe(`${U}:1-3:blue:1`);
    expect(s.keys()).toEqual([U, `${U}:blue`, other]);
  });
});

describe("MariaDB positions and lists", () => {
  it.each([
    ["1-1", '"1-1" is not a MariaDB GTID (domain-server-seq)'],
    ["1-1-x", '"1-1-x" is not a MariaDB GTID (domain-server-seq)'],
    ["1-1-99999999999999999999", '"1-1-99999999999999999999" has a number out of range'],
    ["1-1-3,1-2-4", "domain 1 appears twice"],
  ])("position %s: %s", (text, problem) => {
    expect(errorOf(() => MariadbPosition.parse(text, "@@gtid_current_pos"))).toBe(
      `@@gtid_current_pos: ${problem} (got ${JSON.stringify(text)})`,
    );
  });

  it("a list allows a domain once per server, and names a bad element", () => {
    expect(parseMariadbGtidList(" 1-1-3,\n1-2-4 ")).toEqual([
      { domain: 1, server: 1, seq: 3 },
      { domain: 1, server: 2, seq: 4 },
    ]);
    expect(parseMariadbGtidList("  ")).toEqual([]);
    expect(errorOf(() => parseMariadbGtidList("1-1-3,x", "@@gtid_binlog_state"))).toBe(
      '@@gtid_binlog_state: "x" is not a MariaDB GTID (domain-server-seq) (got "1-1-3,x")',
    );
  });

  it("positions: sorted by domain, contains, aheadOf, union, fromServer", () => {
    const p = MariadbPosition.parse("2-1-5,1-2-9");
    expect(p.toString()).toBe("1-2-9,2-1-5");
    expect(p.fromServer(1)).toEqual([{ domain: 2, server: 1, seq: 5 }]);
    expect(p.contains(MariadbPosition.parse("1-1-9"))).toBe(true);
    expect(p.contains(MariadbPosition.parse("1-1-10"))).toBe(false);
    expect(p.contains(MariadbPosition.parse("3-1-0"))).toBe(false);
    expect(p.aheadOf(MariadbPosition.parse("1-2-9"))).toEqual([{ domain: 2, server: 1, seq: 5 }]);
    expect(p.aheadOf(MariadbPosition.parse("1-2-9,2-1-5"))).toEqual([]);
    expect(MariadbPosition.parse("1-1-0").aheadOf(MariadbPosition.EMPTY)).toEqual([
      { domain: 1, server: 1, seq: 0 },
    ]);
    expect(p.union(MariadbPosition.parse("2-3-4,3-1-1")).toString()).toBe("1-2-9,2-1-5,3-1-1");
    expect(p.union(MariadbPosition.parse("2-3-6")).toString()).toBe("1-2-9,2-3-6");
    expect(MariadbPosition.parse(" ").isEmpty).toBe(true);
    expect(p.isEmpty).toBe(false);
  });
});

describe("the GTID grammars at their edges", () => {
  const U2 = "8a94f357-aab4-11df-86ab-c80aa9429562";
  it("MariaDB GTIDs: multi-digit numbers parse; anything before or after the three numbers is refused", () => {
    expect(MariadbPosition.parse("12-34-56").toString()).toBe("12-34-56");
    expect(parseMariadbGtidList("12-34-56")).toEqual([{ domain: 12, server: 34, seq: 56 }]);
    for (const bad of ["x1-1-3", "1-1-3x", "1--3", "-1-1-3"]) {
      expect(() => MariadbPosition.parse(bad), bad).toThrow("is not a MariaDB GTID");
      expect(() => parseMariadbGtidList(bad), bad).toThrow("is not a MariaDB GTID");
    }
  });

  it("errors without a field name say which grammar", () => {
    expect(errorOf(() => GtidSet.parse("x:1"))).toMatch(/^gtid set: /);
    expect(errorOf(() => MariadbPosition.parse("x"))).toMatch(/^gtid position: /);
    expect(errorOf(() => parseMariadbGtidList("x"))).toMatch(/^gtid list: /);
  });

  it("MySQL intervals and tags: multi-digit bounds parse; anything around them is refused", () => {
    expect(GtidSet.parse(`${U}:10-200`).toString()).toBe(`${U}:10-200`);
    for (const bad of [`${U}:x1`, `${U}:1x`, `${U}:1-x`, `${U}:1-2-3`, `${U}:_t-1:1`, `${U}:1-`])
      expect(() => GtidSet.parse(bad), bad).toThrow();
    expect(GtidSet.parse(`${U}:_t9:1`).toString()).toBe(`${U}:_t9:1`);
    expect(GtidSet.parse(`${U}:Ab_9:1`).toString()).toBe(`${U}:ab_9:1`);
  });

  it("UUIDs: exactly 8-4-4-4-12 hex digits", () => {
    for (const bad of [
      `x${U}`,
      `${U}x`,
      U.replace(/-/g, ""),
      `${U.slice(0, 7)}-${U.slice(8)}`,
      `g${U.slice(1)}`,
    ])
      expect(() => GtidSet.parse(`${bad}:1`), bad).toThrow("is not a server UUID");
  });

  it("keys come out sorted whatever the input order", () => {
    expect(GtidSet.parse(`${U2}:1,${U}:1`).toString()).toBe(`${U}:1,${U2}:1`);
    expect(GtidSet.parse(`${U}:z:1,${U}:a:1`).toString()).toBe(`${U}:a:1:z:1`);
  });

  it("MariaDB union: a new lower domain is placed in order; on an equal sequence this position's GTID stays", () => {
    expect(MariadbPosition.parse("2-1-5").union(MariadbPosition.parse("1-1-1")).toString()).toBe(
      "1-1-1,2-1-5",
    );
    expect(MariadbPosition.parse("1-1-5").union(MariadbPosition.parse("1-2-5")).toString()).toBe("1-1-5");
  });
});
