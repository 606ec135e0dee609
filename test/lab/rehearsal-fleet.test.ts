/**
 * The deployed path for a fleet: `lab rehearse --fleet 3` brings up three lab pairs, synthesizes the app
 * with all three in one deployment file (one function, one schedule carrying the three names, one table)
 * and runs the cloud assembly through the fleet drill: every pair probed and HEALTHY under its own name,
 * a split brain on one pair is that pair's alone (status, alarm, mail), healed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { FLEET_DRILL } from "../../rehearsal/fleet-drill.ts";
import type { RehearsalReport } from "../../rehearsal/rehearse.ts";
import { skipLab } from "../helpers/lab-env.ts";
import { rehearseCli, stepOf } from "../helpers/rehearsal.ts";

const skip = await skipLab();

describe.skipIf(skip)("the deployment rehearsal of a fleet of three lab pairs", () => {
  let report: RehearsalReport;
  let exitCode: number | null;
  beforeAll(async () => {
    ({ report, exitCode } = await rehearseCli([
      "--fleet",
      "3",
      "--name",
      "mhpt18",
      "--subnet",
      "198.18.118.0/24",
    ]));
  }, 900_000);
  const step = (prefix: string) => stepOf(report, prefix);

  it("passes every step of the fleet drill, exits 0, with no function error and no denied call", () => {
    expect(report.steps.map((s) => [s.name, s.ok, s.failures])).toEqual(
      FLEET_DRILL.map((s) => [s.name, true, []]),
    );
    expect(report.functionErrors).toBe(0);
    expect(report.deniedCalls).toEqual([]);
    expect(report.widgetsWithoutData).toEqual([]);
    expect(exitCode).toBe(0);
  });

  it("each pair has its own alarms; only the drilled pair's went to ALARM, and back", () => {
    const names = Object.keys(step("fleet: every pair healthy").alarms);
    for (const pair of ["lab-mhpt18", "lab-mhpt18f2", "lab-mhpt18f3"])
      for (const a of ["DownOrSplitBrain", "DeadMansSwitch"])
        expect(names).toContain(`mysql-ha-prober-${pair}-${a}`);
    const changes = [...step("fleet: a split brain").alarmChanges, ...step("fleet: healed").alarmChanges];
    expect(changes).toEqual([
      "mysql-ha-prober-lab-mhpt18-DownOrSplitBrain: OK -> ALARM",
      "mysql-ha-prober-lab-mhpt18-DownOrSplitBrain: ALARM -> OK",
    ]);
  });

  it("one schedule probes the three pairs: every invocation sends both node checks of each, batched", () => {
    // 2 node checks per pair per probe: they come in sixes, a few in flight at the end
    expect(report.ssmNodeChecks).toBeGreaterThanOrEqual(6 * (report.invocations - 2));
    // started together, they go out in shared commands (one SendCommand for up to 50 nodes), not one each
    expect(report.ssmCommands).toBeLessThanOrEqual(report.ssmNodeChecks / 3);
    // one custom metric per pair, whatever the fleet's size (and DataDifferences: the lab pairs have the sweep)
    const own = report.emittedSeries.filter(
      (x) => x.startsWith("MysqlHaProber/") && !x.includes("ColdStart"),
    );
    expect(own).toEqual(["MysqlHaProber/ClusterStatus{Cluster}", "MysqlHaProber/DataDifferences{Cluster}"]);
  });
});
