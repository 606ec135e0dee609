/**
 * The fleet file: each pair validated on its own (a bad entry fails only its pair, naming the pair and
 * the field), names unique, found in the function's directory, and the scheduled event's pair checked.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  loadFleet,
  pairOf,
  parseFleet,
  scheduledPairsOf,
  ssmChecksOf,
} from "../../../../functions/probe/fleet.ts";

const pair = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  vip: { host: "10.0.0.100" },
  mysql: { user: "prober", tls: { mode: "disabled" } },
  nodes: {
    a: { host: "10.0.0.11", runner: { type: "ssm", instanceId: "i-0123456789abcdef0" } },
    b: { host: "10.0.0.12", runner: { type: "ssm", instanceId: "i-0fedcba9876543210" } },
  },
  ...extra,
});

describe("the fleet file", () => {
  it("validates every pair with the deployed schema: no password in a pair, defaults filled", () => {
    const fleet = parseFleet(JSON.stringify([pair("one"), pair("two")]), "fleet.json");
    expect([...fleet.pairs.keys()]).toEqual(["one", "two"]);
    expect(fleet.errors.size).toBe(0);
    expect(pairOf(fleet, "two").mysql).toEqual({
      user: "prober",
      connectTimeoutMs: 2000,
      queryTimeoutMs: 2000,
      totalTimeoutMs: 5000,
      tls: { mode: "disabled" },
    });
  });

  it("a bad pair fails only itself, with an error naming the pair and the field; the others probe on", () => {
    const fleet = parseFleet(
      JSON.stringify([pair("good"), pair("bad", { vip: { host: "nope" } }), { vip: 1 }]),
      "fleet.json",
    );
    expect([...fleet.pairs.keys()]).toEqual(["good"]);
    expect(() => pairOf(fleet, "bad")).toThrow(
      /fleet\.json, pair bad[\s\S]*vip\.host: must be an IPv4 address/,
    );
    // an entry without a usable name is kept by its index
    expect(fleet.errors.get("#2")?.message).toMatch(/name: /);
    expect(pairOf(fleet, "good").name).toBe("good");
  });

  it("a lab-only runner is refused in a deployed pair", () => {
    const fleet = parseFleet(
      JSON.stringify([
        pair("p", {
          nodes: {
            a: { host: "10.0.0.11", runner: { type: "netns", namespace: "lab-a" } },
            b: { host: "10.0.0.12", runner: { type: "ssm", instanceId: "i-0fedcba9876543210" } },
          },
        }),
      ]),
      "fleet.json",
    );
    expect(() => pairOf(fleet, "p")).toThrow(/nodes\.a\.runner/);
  });

  it("a name used twice makes both unusable (never probe one pair with another's settings)", () => {
    const fleet = parseFleet(JSON.stringify([pair("dup"), pair("dup"), pair("x")]), "fleet.json");
    expect(() => pairOf(fleet, "dup")).toThrow(/name: "dup" is used by 2 pairs/);
    expect(pairOf(fleet, "x").name).toBe("x");
  });

  it("refuses what is not a non-empty JSON array", () => {
    expect(() => parseFleet("{", "f.json")).toThrow(/f\.json[\s\S]*must be JSON/);
    expect(() => parseFleet("[]", "f.json")).toThrow(/non-empty array/);
    expect(() => parseFleet("{}", "f.json")).toThrow(/non-empty array/);
  });

  it("a pair the function does not probe is named in the error, with some it does", () => {
    const fleet = parseFleet(JSON.stringify([pair("one")]), "fleet.json");
    expect(() => pairOf(fleet, "other")).toThrow(
      /cluster: "other" is not a pair of this function \(it probes one\)/,
    );
  });

  it("is found in the function's directory (LAMBDA_TASK_ROOT) when its name is relative", () => {
    const dir = mkdtempSync(join(tmpdir(), "mhp-fleet-test-"));
    writeFileSync(join(dir, "fleet.json"), JSON.stringify([pair("here")]));
    expect([...loadFleet("fleet.json", dir).pairs.keys()]).toEqual(["here"]);
    expect([...loadFleet(join(dir, "fleet.json"), undefined).pairs.keys()]).toEqual(["here"]);
    expect(() => loadFleet("fleet.json", undefined)).toThrow(/FLEET_CONFIG_FILE: "fleet.json" is relative/);
    expect(() => loadFleet("missing.json", dir)).toThrow(/FLEET_CONFIG_FILE: cannot read .*missing\.json/);
  });

  it("a scheduled event names its pairs (or one pair); anything else is a clear error", () => {
    expect(scheduledPairsOf({ clusters: ["a", "b", "a"] })).toEqual(["a", "b"]);
    expect(scheduledPairsOf({ cluster: "prod-db" })).toEqual(["prod-db"]);
    expect(() => scheduledPairsOf({ source: "aws.scheduler" })).toThrow(
      /the invocation's event[\s\S]*give \{ "clusters": \["<pair>", \.\.\.\] \} or \{ "cluster": "<pair>" \}/,
    );
    expect(() => scheduledPairsOf({ clusters: ["ok", "../etc"] })).toThrow(
      /clusters\[1\]: must be a pair's name/,
    );
    expect(() => scheduledPairsOf({ clusters: [] })).toThrow(/clusters: /);
    expect(() => scheduledPairsOf(null)).toThrow(/the invocation's event/);
  });
});

describe("ssmChecksOf: the SSM node checks one probe of the schedule's pairs starts", () => {
  it("counts both nodes and every ssm witness of each known pair, by document; unknown names count nothing", () => {
    const witness = {
      name: "w1",
      runner: { type: "ssm", instanceId: "i-0aaaaaaaaaaaaaaaa", documentName: "other-doc" },
      nodeCheck: {},
    };
    const fleet = parseFleet(
      JSON.stringify([pair("one"), pair("two", { witnesses: [witness] })]),
      "fleet.json",
    );
    const doc =
      (fleet.pairs.get("one")?.nodes.a.runner as { documentName?: string } | undefined)?.documentName ?? "?";
    expect(Object.fromEntries(ssmChecksOf(fleet, ["one", "two", "nobody"]))).toEqual({
      [doc]: 4,
      "other-doc": 1,
    });
  });
});
