/**
 * The rehearsal's CloudWatch Logs metric filters: the JSON pattern forms the template uses are matched as
 * CloudWatch Logs matches them, and any other pattern is refused (never matched loosely).
 */
import { describe, expect, it } from "vitest";
import { jsonFilterMatcher, LocalCloudWatch } from "../../../rehearsal/cloudwatch.ts";

describe("jsonFilterMatcher", () => {
  const unsent = jsonFilterMatcher('{ ($.message = "probe") && ($.mailsPending > 0) }');

  it("matches a probe line with mails pending, not one without, not another message", () => {
    expect(unsent({ message: "probe", mailsPending: 2 })).toBe(true);
    expect(unsent({ message: "probe", mailsPending: 0 })).toBe(false);
    expect(unsent({ message: "pair failed", mailsPending: 2 })).toBe(false);
    // a string where a number is compared never matches
    expect(unsent({ message: "probe", mailsPending: "2" })).toBe(false);
  });

  it("reads nested fields, || alternatives and the other comparisons", () => {
    const m = jsonFilterMatcher("{ $.a.b >= 3 || $.c != 1 }");
    expect(m({ a: { b: 3 }, c: 1 })).toBe(true);
    expect(m({ a: { b: 2 }, c: 1 })).toBe(false);
    expect(m({ a: { b: 2 }, c: 2 })).toBe(true);
  });

  it.each([["ERROR"], ["[ip, user, ...]"], ["{ $.a = * }"], ["{ $.a IS TRUE }"]])(
    "refuses %j (not emulated)",
    (p) => {
      expect(() => jsonFilterMatcher(p)).toThrow(/not emulated/);
    },
  );

  it("a matching line becomes a datapoint of the filter's metric, without dimensions", () => {
    const cw = new LocalCloudWatch([], 1);
    cw.addMetricFilter({
      pattern: '{ ($.message = "probe") && ($.mailsPending > 0) }',
      namespace: "MysqlHaProber",
      name: "AlertsUnsent",
      value: "$.mailsPending",
    });
    cw.ingestLogLine(JSON.stringify({ message: "probe", mailsPending: 3 }), 1000);
    cw.ingestLogLine(JSON.stringify({ message: "probe", mailsPending: 0 }), 2000);
    expect(cw.datapoints).toEqual([
      { namespace: "MysqlHaProber", name: "AlertsUnsent", dims: {}, value: 3, at: 1000 },
    ]);
  });
});
