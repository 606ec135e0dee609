import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GtidSet, MariadbPosition } from "../../../shared/domain/gtid.ts";

const U1 = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const U2 = "8a94f357-aab4-11df-86ab-c80aa9429562";

/** A model of a GTID set: the explicit set of "key#n" transactions. */
function explode(s: GtidSet): Set<string> {
  const out = new Set<string>();
  for (const k of s.keys())
    for (const [a, b] of s.intervals(k)) for (let n = a; n <= b; n++) out.add(`${k}#${n}`);
  return out;
}

const keyArb = fc.constantFrom(U1, U2, `${U1}:alpha`, `${U2}:b_2`);
const setArb = fc
  .array(fc.tuple(keyArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 6 })), { maxLength: 8 })
  .map((items) => GtidSet.fromMap(items.map(([k, s, len]) => [k, [[s, s + len]]])));

describe("GtidSet", () => {
  it("parses MySQL's multi-line output and normalizes it", () => {
    const s = GtidSet.parse(`${U2.toUpperCase()}:1-3:5,\n${U1}:1-5:6-9:11`);
    expect(s.toString()).toBe(`${U1}:1-9:11,${U2}:1-3:5`);
    expect(s.count()).toBe(14);
  });

  it("supports tagged GTIDs (MySQL 8.3+)", () => {
    const s = GtidSet.parse(`${U1}:1-5:mytag:1-3:other:7`);
    expect(s.keys()).toEqual([U1, `${U1}:mytag`, `${U1}:other`]);
    expect(s.restrictToUuid(U1).count()).toBe(9);
    expect(GtidSet.parse(s.toString()).equals(s)).toBe(true);
  });

  it.each([
    ["not-a-uuid:1-5", /not a server UUID/],
    [`${U1}`, /no transaction interval/],
    [`${U1}:5-3`, /invalid interval/],
    [`${U1}:0`, /invalid interval/],
    [`${U1}:1-3:-x-`, /neither an interval nor a GTID tag/],
    [`${U1}:1-3:tag`, /tag without interval/],
    [`${U1}:1-3,,${U2}:1`, /empty element/],
  ])("rejects %j with a clear error naming the field", (text, problem) => {
    expect(() => GtidSet.parse(text, "gtid_executed")).toThrow(problem);
    expect(() => GtidSet.parse(text, "gtid_executed")).toThrow(/^gtid_executed: /);
  });

  it("treats empty text as the empty set", () => {
    expect(GtidSet.parse("").isEmpty).toBe(true);
    expect(GtidSet.parse(" \n").toString()).toBe("");
  });

  it("round-trips through its canonical text", () => {
    fc.assert(fc.property(setArb, (s) => GtidSet.parse(s.toString()).equals(s)));
  });

  it("union, subtract and contains agree with set semantics", () => {
    fc.assert(
      fc.property(setArb, setArb, (a, b) => {
        const ea = explode(a);
        const eb = explode(b);
        expect(explode(a.union(b))).toEqual(new Set([...ea, ...eb]));
        expect(explode(a.subtract(b))).toEqual(new Set([...ea].filter((x) => !eb.has(x))));
        expect(a.contains(b)).toBe([...eb].every((x) => ea.has(x)));
        expect(a.union(b).contains(a)).toBe(true);
        expect(a.subtract(b).union(b).contains(a)).toBe(true);
        expect(a.count()).toBe(ea.size);
      }),
    );
  });
});

describe("MariadbPosition", () => {
  it("parses domain-server-seq lists", () => {
    const p = MariadbPosition.parse("1-1-40, 2-2-7");
    expect(p.domain(2)).toEqual({ domain: 2, server: 2, seq: 7 });
    expect(p.fromServer(1)).toEqual([{ domain: 1, server: 1, seq: 40 }]);
    expect(p.toString()).toBe("1-1-40,2-2-7");
  });

  it.each([
    ["1-1", /not a MariaDB GTID/],
    ["a-b-c", /not a MariaDB GTID/],
    ["0-1-5,0-2-6", /domain 0 appears twice/],
  ])("rejects %j", (text, problem) => {
    expect(() => MariadbPosition.parse(text, "gtid_binlog_pos")).toThrow(problem);
  });

  const posArb = fc
    .uniqueArray(
      fc.tuple(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 50 }),
      ),
      {
        selector: (t) => t[0],
        maxLength: 4,
      },
    )
    .map((l) => MariadbPosition.parse(l.map(([d, s, q]) => `${d}-${s}-${q}`).join(",")));

  it("contains, aheadOf and union agree per domain", () => {
    fc.assert(
      fc.property(posArb, posArb, (a, b) => {
        const u = a.union(b);
        expect(u.contains(a) && u.contains(b)).toBe(true);
        expect(a.contains(b)).toBe(b.aheadOf(a).length === 0);
        expect(MariadbPosition.parse(a.toString()).toString()).toBe(a.toString());
      }),
    );
  });
});

describe("GtidSet.subtract on large sets (a hostile or broken server's gtid_executed)", () => {
  it("8,000 intervals minus 4,000: exactly the transactions left, in one pass", () => {
    const odd = Array.from({ length: 8000 }, (_, i): [number, number] => [2 * i + 1, 2 * i + 1]);
    const everyFourth = Array.from({ length: 4000 }, (_, i): [number, number] => [4 * i + 1, 4 * i + 1]);
    const a = GtidSet.fromMap([[U1, odd]]);
    const b = GtidSet.fromMap([[U1, everyFourth]]);
    const left = a.subtract(b);
    expect(left.count()).toBe(4000);
    expect(left.intervals(U1).slice(0, 3)).toEqual([
      [3, 3],
      [7, 7],
      [11, 11],
    ]);
    expect(left.intervals(U1).at(-1)).toEqual([15_999, 15_999]);
    expect(b.subtract(a).isEmpty).toBe(true);
  });

  it("one interval of b spanning many of a, and many of b inside one of a", () => {
    const a = GtidSet.fromMap([
      [
        U1,
        [
          [1, 2],
          [4, 5],
          [7, 8],
          [20, 40],
        ],
      ],
    ]);
    const b = GtidSet.fromMap([
      [
        U1,
        [
          [2, 7],
          [22, 22],
          [25, 26],
          [40, 50],
        ],
      ],
    ]);
    expect(a.subtract(b).toString()).toBe(`${U1}:1:8:20-21:23-24:27-39`);
  });
});
