/**
 * The node check's parameter patterns as the script itself applies them: bash's `=~` (POSIX ERE), not
 * JavaScript's RegExp. Every parameter against hostile values (command substitution, separators,
 * options, newlines, traversal); SSM checks the same patterns (allowedPattern) before the script runs.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { scriptParams } from "../../../shared/node-check/script.ts";

const HOSTILE = ["$(id)", "`id`", "a;reboot", "a b", "a|b", "a&b", "x\nid", "'", '"', "*"];
/** A valid value of each parameter, and extra hostile values it must refuse. */
const CASES: Record<string, { valid: string[]; invalid: string[] }> = {
  Vip: { valid: ["198.18.0.100"], invalid: ["198.18.0.100/24", "-1.2.3.4", "198.18.0"] },
  Interface: { valid: ["", "eth0", "ens5.100"], invalid: ["eth0 -x", "abcdefghijklmnop", "../lo"] },
  MysqlPort: { valid: ["3306"], invalid: ["-1", "3306 ", "123456"] },
  KeepalivedPidFile: { valid: ["/run/keepalived.pid"], invalid: ["run/x", "/run/a b", "-x"] },
  KeepalivedDumpDir: { valid: ["/tmp"], invalid: ["tmp", "/tmp;id"] },
  KeepalivedDumpFile: { valid: ["", "/var/run/keepalived/keepalived.data"], invalid: ["relative", "/a\\b"] },
  NotifyStateFile: { valid: ["", "/var/run/keepalived.state"], invalid: ["state", "/x y"] },
  NotifyLog: { valid: ["", "/var/log/keepalived-transitions.log"], invalid: ["log", "/x>y"] },
  Since: { valid: ["0", "1795492397"], invalid: ["-1", "1.5", "1e9"] },
  ArpCount: { valid: ["0", "3", "9"], invalid: ["10", "-1"] },
  ArpWaitMs: { valid: ["20", "9999"], invalid: ["0", "5", "10000"] },
  NodeParams: {
    valid: ["", "aS0wYWJjZGVmMDEgVmlwPTE5OC4xOC4wLjEwMA==", "A".repeat(8192)],
    invalid: ["aS0w YWJj", "aS0w-YWJj", "aS0w\nYWJj"],
  },
};

/** What bash's [[ value =~ pattern ]] says, for many values in one bash run. */
function bashMatches(pattern: string, values: string[]): boolean[] {
  const script = 'p="$1"; shift; for v in "$@"; do if [[ "$v" =~ $p ]]; then echo 1; else echo 0; fi; done';
  const out = execFileSync("bash", ["-c", script, "bash", pattern, ...values], { encoding: "utf8" });
  return out
    .trim()
    .split("\n")
    .map((l) => l === "1");
}

describe("node-check parameter patterns, in bash", () => {
  it("every parameter of the script has a case here", () => {
    expect(
      scriptParams()
        .map((p) => p.name)
        .sort(),
    ).toEqual(Object.keys(CASES).sort());
  });

  it.each(scriptParams().map((p) => [p.name, p.pattern] as const))(
    "%s: valid values pass, hostile ones do not",
    (name, pattern) => {
      const c = CASES[name] as { valid: string[]; invalid: string[] };
      const bad = [...HOSTILE, ...c.invalid];
      expect(bashMatches(pattern, c.valid), `valid ${JSON.stringify(c.valid)}`).toEqual(
        c.valid.map(() => true),
      );
      expect(bashMatches(pattern, bad), `hostile ${JSON.stringify(bad)}`).toEqual(bad.map(() => false));
      // SSM's allowedPattern is the same string: JavaScript (as SSM and the rehearsal read it) agrees with bash
      expect(bad.map((v) => new RegExp(pattern).test(v))).toEqual(bad.map(() => false));
    },
  );
});
