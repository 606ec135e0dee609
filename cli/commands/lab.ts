/**
 * `mysql-ha-prober lab ...`: the local two-node lab from the command line. The lab itself is imported
 * by the actions, so `--help` does not load it.
 */

import { Argument, Command, Option } from "commander";
import { DIVERGENCE_KINDS, type DivergenceKind } from "../../lab/divergence.ts";
import { FAULT_KINDS, type FaultKind } from "../../lab/fault-kinds.ts";
import type { LabStatus } from "../../lab/lab.ts";
import type { RehearsalReport } from "../../rehearsal/rehearse.ts";
import { NODE_IDS, type NodeId } from "../../shared/domain/types.ts";
import { table } from "../../shared/text/output.ts";
import { type Io, parseDuration } from "../common.ts";

export function labCommand(io: Io): Command {
  const lab = new Command("lab").description(
    "the local lab: two MariaDB nodes and keepalived in network namespaces (needs root)",
  );
  addUp(lab, io);
  addLifecycle(lab, io);
  addDemo(lab, io);
  addRehearse(lab, io);
  return lab;
}

/** The options of the commands that address one lab. */
function withLabOptions(c: Command): Command {
  return c
    .option("--name <name>", "lab name (namespace prefix)", "mhp")
    .option("--subnet <cidr>", "lab subnet, a /24 inside 198.18.0.0/15", "198.18.0.0/24")
    .option("--json", "print the status document as JSON");
}

/** The lab named by the options (imported on use, so `--help` does not load it). */
async function openLab(o: { name: string; subnet: string }, err: Io["err"]) {
  const { Lab } = await import("../../lab/lab.ts");
  return new Lab({ name: o.name, subnet: o.subnet }, (line) => err(`lab: ${line}`));
}

/** `lab up`: create the lab or reuse it, write the prober's configuration for it. */
function addUp(lab: Command, { out, err }: Io): void {
  withLabOptions(lab.command("up"))
    .description(
      "create the lab, or reuse a running one as it is (faults applied by someone stay), and print its status",
    )
    .option("--rebuild", "tear down an existing lab and build it anew")
    .option("--heal", "when the lab is already up, undo its faults before reusing it")
    .addOption(
      new Option(
        "--ec2 <mode>",
        "write a configuration with the EC2 view on, answered by the lab's EC2 stand-in (the ARP view is then not applicable)",
      ).choices(["secondary-ip", "route-table"]),
    )
    .action(async (o) => {
      const l = await openLab(o, err);
      const s = await l.up({ rebuild: Boolean(o.rebuild), heal: Boolean(o.heal) });
      const { writeLabConfig } = await import("../../lab/lab-config.ts");
      const configFile = writeLabConfig(l, o.ec2 ? { ec2: o.ec2 } : {});
      out(
        o.json
          ? JSON.stringify({ ...s, configFile }, null, 2)
          : `${renderStatus(s)}\nprober config: ${configFile}`,
      );
    });
}

/** `lab down`, `status`, `fault`, `heal`. */
function addLifecycle(lab: Command, { out, err }: Io): void {
  lab
    .command("down")
    .requiredOption("--name <name>", "the lab's name: removing a lab takes its name, never a default")
    .option("--subnet <cidr>", "lab subnet, a /24 inside 198.18.0.0/15", "198.18.0.0/24")
    .option("--json", "print the result as JSON")
    .description("remove every process, namespace and file of the lab (exit 0, also when it was not up)")
    .action(async (o) => {
      await (await openLab(o, err)).down();
      if (!o.json) out(`lab ${o.name} is down`);
      else out(JSON.stringify({ name: o.name, down: true }));
    });
  withLabOptions(lab.command("status"))
    .description("show namespaces, addresses, VIP holders, keepalived and replication state")
    .action(async (o) => {
      // without root the namespaces and the servers' sockets cannot be read: "not running" would be a guess
      (await import("../../lab/packages.ts")).assertRoot();
      const s = await (await openLab(o, err)).status();
      out(o.json ? JSON.stringify(s, null, 2) : renderStatus(s));
    });
  withLabOptions(lab.command("fault"))
    .description("inject a fault on one node (undo with `lab heal`)")
    .addArgument(new Argument("kind", "fault kind").choices(FAULT_KINDS))
    .addArgument(new Argument("node", "node").choices(NODE_IDS))
    .action(async (kind: FaultKind, node: NodeId, o) => {
      const f = await (await openLab(o, err)).fault(kind, node);
      out(o.json ? JSON.stringify(f) : `${f.at} ${f.kind} on node ${f.node}`);
    });
  withLabOptions(lab.command("diverge"))
    .description(
      "make the nodes' data differ without replication noticing (a write with sql_log_bin=0 on one node), for `compare` to find; `lab heal` does not undo it",
    )
    .addArgument(new Argument("kind", "divergence kind").choices(DIVERGENCE_KINDS))
    .addArgument(new Argument("node", "node").choices(NODE_IDS))
    .action(async (kind: DivergenceKind, node: NodeId, o) => {
      const d = await (await openLab(o, err)).diverge(kind, node);
      const e = d.expected;
      const finds =
        "drift" in e
          ? `schema drift (${e.drift}) on ${e.table}`
          : `${e.table} ${e.kind}, id ${e.ids.join(", ")}`;
      out(
        o.json
          ? JSON.stringify(d)
          : `${d.at} node ${node.toUpperCase()}: ${d.describe}; compare finds: ${finds}`,
      );
    });
  withLabOptions(lab.command("heal"))
    .description("undo every fault and wait for one VIP holder and replication running")
    .action(async (o) => {
      const s = await (await openLab(o, err)).heal();
      out(o.json ? JSON.stringify(s, null, 2) : renderStatus(s));
    });
}

/** `lab demo`: the lab, the embedded store and mail viewer, and the drill. */
function addDemo(lab: Command, { out, stopSignal, setExitCode }: Io): void {
  lab
    .command("demo")
    .description("the demo: lab up, embedded store and mail viewer, and a failover and split-brain drill")
    .option("--name <name>", "lab name (namespace prefix): the demo's own, apart from `lab up`'s", "mhpdemo")
    .option("--subnet <cidr>", "lab subnet, a /24 inside 198.18.0.0/15", "198.18.1.0/24")
    .option("--interval <duration>", "time between probes", "2s")
    .option("--keep", "leave the lab, the store and the mail viewer running")
    .option("--json", "also print the drill summary as JSON")
    .action(async (o) => {
      const { runDemo } = await import("../demo.ts");
      const steps = await runDemo(
        { name: o.name, subnet: o.subnet, intervalMs: parseDuration(o.interval), keep: Boolean(o.keep) },
        out,
        stopSignal,
      );
      if (o.json) out(JSON.stringify(steps, null, 2));
      // a drill step nobody detected fails the demo (its help says so)
      setExitCode(steps.every((x) => x.detectionMs !== null) ? 0 : 1);
    });
}

/** `lab rehearse` (and the hidden step it runs inside the lab's namespace). */
function addRehearse(lab: Command, { out, err, setExitCode }: Io): void {
  lab
    .command("rehearse")
    .description(
      "rehearse the deployment: synthesize the CDK app for the lab and run its cloud assembly against it (needs root)",
    )
    .option("--name <name>", "lab name (namespace prefix)", "mhp")
    .option("--subnet <cidr>", "lab subnet, a /24 inside 198.18.0.0/15", "198.18.0.0/24")
    .option("--time-factor <n>", "template time runs this many times faster", (v) => Number.parseFloat(v), 20)
    .option("--keep", "leave the lab running afterwards")
    .addOption(
      new Option(
        "--ec2 <mode>",
        "rehearse a deployment with the EC2 view on (the lab's EC2 behind a local EC2 endpoint), through the EC2 drill",
      ).choices(["secondary-ip", "route-table"]),
    )
    .option(
      "--fleet <n>",
      "rehearse a fleet: n lab pairs (this lab and copies on the next subnets) in one deployment, through the fleet drill",
      (v) => Number.parseInt(v, 10),
    )
    .option("--json", "print the report as JSON")
    .action(async (o) => {
      const { runRehearsal } = await import("../../rehearsal/run-rehearsal.ts");
      if (o.fleet !== undefined && (!Number.isInteger(o.fleet) || o.fleet < 2 || o.fleet > 10))
        throw new Error("--fleet: give 2 to 10 labs");
      if (o.fleet && o.ec2) throw new Error("--fleet and --ec2: rehearse one at a time");
      const report = await runRehearsal({
        name: o.name,
        subnet: o.subnet,
        timeFactor: o.timeFactor,
        keep: Boolean(o.keep),
        ...(o.ec2 ? { ec2: o.ec2 } : {}),
        ...(o.fleet ? { fleet: o.fleet } : {}),
        log: (l) => err(l),
      });
      out(o.json ? JSON.stringify(report, null, 2) : renderRehearsal(report));
      setExitCode(report.ok ? 0 : 1);
    });
  lab
    .command("rehearse-inside", { hidden: true })
    .requiredOption("--name <name>")
    .requiredOption("--subnet <cidr>")
    .requiredOption("--deploy <file>")
    .requiredOption("--assembly <dir>")
    .option("--time-factor <n>", "", (v) => Number.parseFloat(v), 20)
    .option("--fleet-labs <json>")
    .action(async (o) => {
      const { runRehearsalInside } = await import("../../rehearsal/run-rehearsal.ts");
      const report = await runRehearsalInside({
        name: o.name,
        subnet: o.subnet,
        deployFile: o.deploy,
        assemblyDir: o.assembly,
        timeFactor: o.timeFactor,
        ...(o.fleetLabs ? { fleetLabs: JSON.parse(o.fleetLabs) as { name: string; subnet: string }[] } : {}),
        log: (l) => err(l),
      });
      out(JSON.stringify(report));
    });
}

/** The rehearsal's report for a person: a line per step, then what was checked. */
export function renderRehearsal(r: RehearsalReport): string {
  const alarmNames = Object.keys(r.steps[0]?.alarms ?? {});
  // mysql-ha-prober-<cluster>-DownOrSplitBrain -> DownOrSplitBrain; in a fleet, <cluster>-DownOrSplitBrain
  const last = (name: string) => name.split("-").at(-1) ?? name;
  const ambiguous = alarmNames.some((n, i) => alarmNames.findIndex((m) => last(m) === last(n)) !== i);
  const short = (name: string) => (ambiguous ? name.replace(/^mysql-ha-prober-/, "") : last(name));
  const rows = [
    ["step", "result", "status", "mails", ...alarmNames.map(short), "fn errors"],
    ...r.steps.map((s) => [
      s.name,
      s.ok ? "ok" : "FAILED",
      s.status ?? "-",
      String(s.mails.length),
      ...alarmNames.map((a) => s.alarms[a] ?? "-"),
      `${s.functionErrors}${s.errorsExpected ? " (expected)" : ""}`,
    ]),
  ];
  const failures = r.steps.flatMap((s) => s.failures.map((f) => `  ${s.name}: ${f}`));
  return [
    `Rehearsal of the deployment (time x${r.timeFactor}): ${r.ok ? "OK" : "FAILED"}`,
    table(rows),
    `invocations ${r.invocations} (${r.coldStarts} cold), SSM commands ${r.ssmCommands} (${r.ssmNodeChecks} node checks), failure queue ${r.failureQueueMessages}`,
    `unexpected function errors ${r.functionErrors}, denied calls ${r.deniedCalls.length}, widgets without data ${r.widgetsWithoutData.length}`,
    ...r.deniedCalls.map((d) => `  denied in "${d.step}": ${d.action} on ${d.resource} (${d.result})`),
    ...r.widgetsWithoutData.map((w) => `  no data: ${w}`),
    `node footprint: ${r.nodeFootprint.folders} orchestration folders kept by the SSM agent, ${r.nodeFootprint.bytes} bytes (${r.nodeFootprint.bytesPerCheck} per node check; kept 14 days by default: docs/node-footprint.md)`,
    `alarm notifications: ${r.alarmNotifications.filter((n) => n.delivered).length} delivered to the alarm address, ${r.alarmNotifications.filter((n) => !n.delivered).length} refused; alarms in ALARM never delivered: ${r.undeliveredAlarms.length}`,
    ...r.alarmNotifications
      .filter((n) => !n.delivered)
      .map((n) => `  not delivered: ${n.alarm} ${n.state}: ${n.reason ?? "no subscription"}`),
    ...(failures.length ? ["failures:", ...failures] : []),
  ].join("\n");
}

export function renderStatus(s: LabStatus): string {
  if (!s.exists) return `lab ${s.name}: not running`;
  const rows = [["node", "ns", "ip", "mac", "vip", "mysqld", "keepalived", "replication (io/sql, lag)"]];
  for (const id of NODE_IDS) {
    const n = s.nodes[id];
    const r = n.replication;
    rows.push([
      id,
      n.ns,
      n.ip,
      n.mac ?? "-",
      n.vipBound ? "BOUND" : "-",
      n.mysql.running ? (n.mysql.stopped ? "STOPPED" : `up (${n.mysql.pid})`) : "down",
      n.keepalived.running ? `${n.keepalived.state ?? "?"} (${n.keepalived.pid})` : "down",
      r.configured
        ? `${r.ioRunning}/${r.sqlRunning}, ${r.secondsBehind ?? "null"}s`
        : (r.error ?? "not configured"),
    ]);
  }
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const table = rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
  const holders = s.vipHolders.length === 0 ? "nobody" : s.vipHolders.join(" and ");
  return [
    `lab ${s.name} (${s.subnet}), client ${s.client.ns} ${s.client.ip}, files in ${s.dir}`,
    `VIP ${s.vip} held by ${holders}${s.vipHolders.length > 1 ? "  <-- SPLIT BRAIN" : ""}`,
    table,
    s.faults.length ? `faults: ${s.faults.map((f) => `${f.kind}@${f.node}`).join(", ")}` : "faults: none",
  ].join("\n");
}
