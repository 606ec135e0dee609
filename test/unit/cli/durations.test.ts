/** The CLI's durations and cluster names: a mistake is an error that says what to write, never a guess. */
import { describe, expect, it } from "vitest";
import { clustersOf, parseDuration } from "../../../cli/common.ts";
import type { Config } from "../../../shared/config.ts";

describe("durations on the command line", () => {
  it.each([
    ["500ms", 500],
    ["5s", 5_000],
    ["2m", 120_000],
    ["1.5h", 5_400_000],
    ["7d", 604_800_000],
  ])("%s is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it("a bare number is refused with what to write (--timeout 5 used to mean seconds silently)", () => {
    expect(() => parseDuration("5")).toThrow(/"5" has no unit: write 5s/);
  });
  it("zero is refused (--interval 0 used to be accepted)", () => {
    expect(() => parseDuration("0s")).toThrow(/must be more than zero/);
  });
  it("a wrong cluster name lists the valid ones", () => {
    const cfg = { clusters: [{ name: "prod" }, { name: "stage" }] } as unknown as Config;
    expect(() => clustersOf(cfg, "prd")).toThrow(
      /no cluster named "prd" in the configuration \(it has: prod, stage\)/,
    );
  });
});

describe("a command about one cluster", () => {
  it("takes the configuration's only cluster without --cluster, and with several lists them", async () => {
    const { oneCluster } = await import("../../../cli/common.ts");
    const one = { clusters: [{ name: "prod" }] } as unknown as Config;
    expect(oneCluster(one).name).toBe("prod");
    const two = { clusters: [{ name: "prod" }, { name: "stage" }] } as unknown as Config;
    expect(() => oneCluster(two)).toThrow(/the configuration has 2 clusters \(prod, stage\): name one/);
    expect(oneCluster(two, "stage").name).toBe("stage");
  });
});
