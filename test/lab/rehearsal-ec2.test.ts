/**
 * The deployed path with the EC2 view on: `lab rehearse --ec2 route-table` synthesizes the app with a
 * deployment whose cluster has the view on and runs the cloud assembly through the EC2 drill (the
 * rehearsal's EC2 endpoint answers from the lab's EC2; every call checked against the template's IAM).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { EC2_DRILL } from "../../rehearsal/ec2-drill.ts";
import type { RehearsalReport } from "../../rehearsal/rehearse.ts";
import { skipLab } from "../helpers/lab-env.ts";
import { rehearseCli, stepOf } from "../helpers/rehearsal.ts";

const skip = await skipLab();

describe.skipIf(skip)("the deployment rehearsal with the EC2 view on (route-table mode)", () => {
  let report: RehearsalReport;
  let exitCode: number | null;
  beforeAll(async () => {
    ({ report, exitCode } = await rehearseCli([
      "--ec2",
      "route-table",
      "--name",
      "mhpt17",
      "--subnet",
      "198.18.117.0/24",
    ]));
  }, 900_000);
  const step = (prefix: string) => stepOf(report, prefix);

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
      expect.stringMatching(/HEALTHY -> DEGRADED \(FAILOVER [AB] -> [AB]\)$/),
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
