/**
 * The deployed path, rehearsed: `lab rehearse --json` synthesizes the CDK app a user deploys with a
 * deployment file for the lab and runs the cloud assembly as AWS would (the synthesized asset in fresh
 * Node.js processes with the template's environment, the template's schedule, async invoke config,
 * IAM, table, SSM document, alarms and dashboard) through the drill. CI protects the deployed path here.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DRILL, type RehearsalReport } from "../../rehearsal/rehearse.ts";
import { nodeCheckDocument } from "../../shared/node-check/document.ts";
import { skipLab } from "../helpers/lab-env.ts";
import { rehearseCli } from "../helpers/rehearsal.ts";

const skip = await skipLab();

describe.skipIf(skip)("the deployment rehearsal", () => {
  let report: RehearsalReport;
  let exitCode: number | null;
  beforeAll(async () => {
    ({ report, exitCode } = await rehearseCli(["--name", "mhpt12", "--subnet", "198.18.112.0/24"]));
  }, 900_000);

  const step = (name: string) => {
    const s = report.steps.find((x) => x.name === name);
    if (!s) throw new Error(`no step "${name}" (steps: ${report.steps.map((x) => x.name).join(", ")})`);
    return s;
  };
  const alarm = (s: { alarms: Record<string, string> }, short: string) =>
    Object.entries(s.alarms).find(([n]) => n.endsWith(`-${short}`))?.[1];

  it("passes every step of the drill, exits 0, with no unexpected function error and no denied call", () => {
    expect(report.steps.map((s) => [s.name, s.ok, s.failures])).toEqual(
      report.steps.map((s) => [s.name, true, []]),
    );
    expect(report.steps).toHaveLength(DRILL.length);
    expect(report.functionErrors).toBe(0);
    expect(report.deniedCalls).toEqual([]);
    expect(report.ok).toBe(true);
    expect(exitCode).toBe(0);
  });

  it("every alarm that went to ALARM was delivered: published as CloudWatch, allowed by the topic and key policies, mailed", () => {
    expect(report.undeliveredAlarms).toEqual([]);
    const alarmed = report.alarmNotifications.filter((n) => n.state === "ALARM");
    expect(alarmed.map((n) => n.alarm)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/-DownOrSplitBrain$/),
        expect.stringMatching(/-DeadMansSwitch$/),
      ]),
    );
    for (const n of report.alarmNotifications) {
      expect(n.delivered, `${n.alarm} ${n.state}: ${n.reason}`).toBe(true);
      expect(n.to).toEqual([expect.stringContaining("@")]);
    }
  });

  it("measures what the node checks leave on the nodes: an orchestration folder per check, the whole script in each", () => {
    const f = report.nodeFootprint;
    expect(f.folders).toBeGreaterThan(10);
    expect(f.folders).toBeLessThanOrEqual(report.ssmNodeChecks);
    // _script.sh (the document's runCommand) + stdout + stderr
    expect(f.files).toBe(3 * f.folders);
    const script = nodeCheckDocument().mainSteps[0]?.inputs.runCommand.join("\n") ?? "";
    expect(f.bytesPerCheck).toBeGreaterThan(Buffer.byteLength(script));
    expect(f.bytesPerCheck).toBeLessThan(Buffer.byteLength(script) + 8000);
  });

  it("split brain: the DownOrSplitBrain alarm goes to ALARM, and back to OK once healed", () => {
    expect(step("split brain").status).toBe("SPLIT_BRAIN");
    expect(alarm(step("split brain"), "DownOrSplitBrain")).toBe("ALARM");
    expect(alarm(step("healed"), "DownOrSplitBrain")).toBe("OK");
    expect(step("split brain").mails).toEqual([expect.stringMatching(/-> \*\*\* SPLIT BRAIN \*\*\*$/)]);
  });

  it("the SES outage loses no mail: the failover and its resolution both arrive once SES is back", () => {
    expect(step("SES outage and recovery").mails).toEqual([
      expect.stringMatching(/HEALTHY -> DEGRADED \(FAILOVER [AB] -> [AB]\)$/),
      expect.stringMatching(/DEGRADED -> HEALTHY$/),
    ]);
  });

  it("the prober stopped: the dead man's switch fires and clears, and DownOrSplitBrain stays in ALARM meanwhile", () => {
    const s = step("prober stopped mid split brain, then restarted");
    const changes = s.alarmChanges.map((c) => c.replace(/^mysql-ha-prober-[^:]*-(\w+):/, "$1:"));
    expect(changes).toContain("DeadMansSwitch: OK -> ALARM");
    expect(changes).toContain("DeadMansSwitch: ALARM -> OK");
    // DownOrSplitBrain went to ALARM once and back to OK once: never OK while the prober was silent
    expect(changes.filter((c) => c.startsWith("DownOrSplitBrain:"))).toEqual([
      "DownOrSplitBrain: OK -> ALARM",
      "DownOrSplitBrain: ALARM -> OK",
    ]);
  });

  it("the store down: the DownOrSplitBrain alarm still fires (metrics do not wait for the store)", () => {
    const s = step("store down during a split brain");
    expect(s.alarmChanges.some((c) => /DownOrSplitBrain: OK -> ALARM/.test(c))).toBe(true);
    expect(s.functionErrors).toBeGreaterThan(0);
  });

  it("a split brain in which both nodes wrote: the function's sweep names the row in status and in the DATA_DIVERGENCE incident mail", () => {
    const s = step(
      "split brain in which both nodes wrote: the sweep starts at once, the rows that differ in status and in the mail",
    );
    expect(s.failures).toEqual([]);
    expect(s.mails).toEqual(
      expect.arrayContaining([expect.stringMatching(/INCIDENT DATA_DIVERGENCE \(status HEALTHY\)$/)]),
    );
  });

  it("emits exactly the series the alarms and widgets read: per pair under {Cluster} (ClusterStatus, DataDifferences with the sweep), every widget with data", () => {
    expect(report.widgetsWithoutData).toEqual([]);
    const own = report.emittedSeries.filter(
      (x) => x.startsWith("MysqlHaProber/") && !x.includes("ColdStart"),
    );
    // and the fleet's AlertsUnsent, which the log group's metric filter made of the probe lines while SES was
    // down; DataDifferences: the lab's pair has the consistency sweep, which the dashboard graphs
    expect(own).toEqual([
      "MysqlHaProber/AlertsUnsent{}",
      "MysqlHaProber/ClusterStatus{Cluster}",
      "MysqlHaProber/DataDifferences{Cluster}",
    ]);
  });

  it("push: the nodes' notify scripts invoke the function through the node policy, and a failover is declared and mailed with the schedule stopped", () => {
    const s = step("push: a failover with the schedule stopped");
    expect(s.mails[0]).toMatch(/HEALTHY -> DEGRADED \(FAILOVER [AB] -> [AB]\)$/);
    expect(report.push.triggers).toBeGreaterThan(0);
    // the notify scripts' own pushes are all accepted (the drill's forbidden ones are counted apart)
    expect(report.push.refused).toBe(0);
    expect(report.push.invocations).toBeGreaterThan(0);
  });

  it("push only pushes: a node cannot invoke the scheduled function or another node's alias (IAM), another pair's name and a flood are refused, and the schedule keeps its rate", () => {
    const s = step(
      "push: what a node may not do (the scheduled entry, another node's alias, another pair, a flood)",
    );
    expect(s.failures).toEqual([]);
    expect(report.push.nodeDenied).toBe(2);
    // the flood's 29 own-pair pushes: at most 12 past the count, the rest refused or throttled until too old
    expect(report.push.refusedByFunction + report.push.dropped).toBeGreaterThanOrEqual(29 - 12);
    expect(report.push.throttled).toBeGreaterThan(0);
    // the pushes dropped as too old go nowhere: no alarm moves (the failure queue's pages; it did, 24 messages)
    expect(s.alarmChanges).toEqual([]);
  });

  it("runs the schedule's probes in warm environments (cold starts are few)", () => {
    expect(report.invocations).toBeGreaterThan(20);
    expect(report.coldStarts).toBeLessThanOrEqual(5);
  });
});
