/**
 * The deployed path with the EC2 view on: `lab rehearse --ec2 route-table` synthesizes the app with a
 * deployment whose cluster has the view on and runs the cloud assembly through the EC2 drill (the
 * rehearsal's EC2 endpoint answers from the lab's EC2; every call checked against the template's IAM).
 */
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { EC2_DRILL } from "../../lab/rehearsal/ec2-drill.ts";
import type { RehearsalReport } from "../../lab/rehearsal/rehearse.ts";
import { run } from "../../shared/util/exec.ts";
import { skipLab } from "../helpers/lab-env.ts";

const skip = await skipLab();
const BIN = fileURLToPath(new URL("../../bin/mysql-ha-prober.mjs", import.meta.url));

describe.skipIf(skip)("the deployment rehearsal with the EC2 view on (route-table mode)", () => {
  let report: RehearsalReport;
  let exitCode: number | null;
  beforeAll(async () => {
    const r = await run(
      process.execPath,
      [
        BIN,
        "lab",
        "rehearse",
        "--json",
        "--ec2",
        "route-table",
        "--name",
        "mhpt17",
        "--subnet",
        "198.18.117.0/24",
      ],
      { timeoutMs: 900_000, allowFailure: true },
    );
    exitCode = r.code;
    try {
      report = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as RehearsalReport;
    } catch {
      throw new Error(`no report (exit ${r.code}): ${r.stderr.slice(-3000)}`);
    }
  }, 900_000);
  const step = (prefix: string) => {
    const s = report.steps.find((x) => x.name.startsWith(prefix));
    if (!s) throw new Error(`no step "${prefix}" (steps: ${report.steps.map((x) => x.name).join(", ")})`);
    return s;
  };

  it("passes every step of the EC2 drill, exits 0, with no function error and no call the role may not make", () => {
    expect(report.steps.map((s) => [s.name, s.ok, s.failures])).toEqual(
      report.steps.map((s) => [s.name, true, []]),
    );
    expect(report.steps).toHaveLength(EC2_DRILL.length);
    expect(report.functionErrors).toBe(0);
    // ec2:DescribeRouteTables is granted by the construct's EC2 statement alone: a denied call shows here
    expect(report.deniedCalls).toEqual([]);
    expect(exitCode).toBe(0);
  });

  it("a lagging assignment within the grace is one DEGRADED mail and its resolution, never DOWN", () => {
    expect(step("EC2: failover, the assignment lags").mails).toEqual([
      expect.stringMatching(/HEALTHY -> DEGRADED$/),
      expect.stringMatching(/DEGRADED -> HEALTHY$/),
    ]);
  });

  it("a failed assignment is DOWN once the grace is over, with the DownOrSplitBrain alarm, then healed", () => {
    const s = step("EC2: failover, the assignment fails");
    expect(s.mails.some((m) => m.endsWith("-> DOWN"))).toBe(true);
    expect(s.alarmChanges.map((c) => c.replace(/^mysql-ha-prober-[^:]*-(\w+):/, "$1:"))).toContain(
      "DownOrSplitBrain: OK -> ALARM",
    );
  });
});
