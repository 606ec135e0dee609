import { describe, expect, it } from "vitest";
import { parseNodeCheckOutput, SSM_STDOUT_LIMIT } from "../../../shared/domain/node.ts";
import { assessNodes } from "../../../shared/domain/rules/node-views.ts";
import { healthy, report } from "../../helpers/node-reports.ts";

const good = JSON.stringify(report({ bound: true, keepalived: "MASTER" }));

describe("parseNodeCheckOutput", () => {
  it("accepts the script's JSON line", () => {
    const r = parseNodeCheckOutput(`${good}\n`, 10);
    expect(r.ok).toBe(true);
  });

  it.each([
    ["", "empty"],
    ["  \n", "empty"],
    [good.slice(0, 120), "truncated"],
    ["Segmentation fault", "malformed"],
    [JSON.stringify({ ...JSON.parse(good), vip: { ...JSON.parse(good).vip, bound: "yes" } }), "malformed"],
    [
      JSON.stringify({ ...JSON.parse(good), arp: { ...JSON.parse(good).arp, replies: ["not-a-mac"] } }),
      "malformed",
    ],
    ['{"v":1,"script":"1.0.0","fatal":"parameter Vip is required"}', "script-error"],
  ])("%j -> %s, never a report", (stdout, reason) => {
    const r = parseNodeCheckOutput(stdout, 10);
    expect(r).toMatchObject({ ok: false, reason });
  });

  it("names the field that is wrong", () => {
    const bad = JSON.stringify({
      ...JSON.parse(good),
      keepalived: { ...JSON.parse(good).keepalived, running: 1 },
    });
    const r = parseNodeCheckOutput(bad, 10);
    expect(r.ok === false && r.detail).toMatch(/^keepalived\.running: /);
  });

  it("output at SSM's 24,000-character limit is truncated even if it parses", () => {
    const padded = good + " ".repeat(SSM_STDOUT_LIMIT);
    expect(parseNodeCheckOutput(padded, 10, { truncatedAt: SSM_STDOUT_LIMIT })).toMatchObject({
      ok: false,
      reason: "truncated",
    });
  });

  it("a failed parse becomes NODE_CHECK_FAILED with the reason, and the state is unknown, not healthy", () => {
    const r = assessNodes({ a: healthy().a, b: parseNodeCheckOutput(good.slice(0, 50), 3) });
    expect(r.findings).toEqual([
      expect.objectContaining({
        code: "NODE_CHECK_FAILED",
        subject: "b",
        evidence: expect.objectContaining({ reason: "truncated" }),
      }),
    ]);
    expect(r.holders).toBeNull();
  });
});
