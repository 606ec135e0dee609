/**
 * `mysql-ha-prober lab rehearse`: the lab up, a deployment file written for it, the CDK app a user
 * deploys (infra/app.ts) synthesized with it, and the cloud assembly run against the lab from inside
 * the lab's client namespace (rehearse.ts). Root only.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { parse, stringify } from "yaml";
import { buildApp } from "../infra/app.ts";
import { DeploySchema } from "../infra/deploy-config.ts";
import { Lab } from "../lab/lab.ts";
import { labDeployment, REHEARSAL_ACCOUNT } from "../lab/lab-config.ts";
import { NODE_IDS } from "../lab/plan.ts";
import type { Ec2Mode } from "../shared/domain/ec2.ts";
import { EC2_DRILL } from "./ec2-drill.ts";
import { FLEET_DRILL } from "./fleet-drill.ts";
import { type RehearsalReport, rehearse } from "./rehearse.ts";

export interface RehearseOptions {
  name: string;
  subnet: string;
  timeFactor: number;
  keep: boolean;
  /** Rehearse a deployment with the EC2 view on, in this mode, through its own drill. */
  ec2?: Ec2Mode;
  /**
   * Rehearse a fleet: this many lab pairs (this lab and copies named <name>f2, <name>f3... on the next
   * subnets) in one deployment, through the fleet drill. @default 1
   */
  fleet?: number;
  log: (line: string) => void;
}

const BIN = fileURLToPath(new URL("../bin/mysql-ha-prober.mjs", import.meta.url));

/** Outside the lab: up, deployment file, synth, then the rehearsal inside the client namespace. */
export async function runRehearsal(o: RehearseOptions): Promise<RehearsalReport> {
  const lab = new Lab({ name: o.name, subnet: o.subnet }, (l) => o.log(`lab: ${l}`));
  const members = fleetMembers(o).map((m) => new Lab(m, (l) => o.log(`lab ${m.name}: ${l}`)));
  try {
    await lab.up({ heal: true }); // the rehearsal's own labs: a known-good start
    for (const m of members) await m.up({ heal: true });
    if (members.length) await linkFleet(lab, members);
    const dir = join(lab.plan.dir, "rehearsal");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const deployFile = join(dir, "deploy.yaml");
    const deployment = labDeployment(lab, o.ec2 ? { ec2: o.ec2 } : {}) as { clusters: unknown[] };
    // the other pairs of the fleet: their own nodes, under managed-node ids of their own
    for (const [i, m] of members.entries())
      deployment.clusters.push(withInstanceIds(labDeployment(m), i + 2));
    writeFileSync(
      deployFile,
      `# Written by \`mysql-ha-prober lab rehearse\`\n${stringify(deployment, { aliasDuplicateObjects: false })}`,
    );
    const assembly = join(dir, "cdk.out");
    const started = Date.now();
    const { app } = buildApp(deployFile, new App({ outdir: assembly }));
    app.synth();
    o.log(`synthesized infra/app.ts with ${deployFile} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const out = await inNamespace(lab.plan.client.ns, [
      "lab",
      "rehearse-inside",
      "--name",
      o.name,
      "--subnet",
      o.subnet,
      "--deploy",
      deployFile,
      "--assembly",
      assembly,
      "--time-factor",
      String(o.timeFactor),
      ...(members.length
        ? ["--fleet-labs", JSON.stringify(members.map((m) => ({ name: m.plan.name, subnet: m.plan.subnet })))]
        : []),
    ]);
    return JSON.parse(out) as RehearsalReport;
  } finally {
    if (!o.keep) for (const l of [...members, lab]) await l.down();
  }
}

/** The fleet's other labs: <name>f2 on the next subnet, <name>f3 on the one after... */
export function fleetMembers(o: {
  name: string;
  subnet: string;
  fleet?: number;
}): { name: string; subnet: string }[] {
  const [a, b, c] = o.subnet.split(".").map(Number) as [number, number, number];
  return Array.from({ length: Math.max(0, (o.fleet ?? 1) - 1) }, (_, i) => {
    const third = c + i + 1;
    if (third > 255) throw new Error(`--fleet: no room after ${o.subnet} for ${o.fleet} labs`);
    return { name: `${o.name.slice(0, 6)}f${i + 2}`, subnet: `${a}.${b}.${third}.0/24` };
  });
}

/** A pair's deployment under managed-node ids of its own: i-k000000000000000a / b for the k-th lab. */
function withInstanceIds(d: Record<string, unknown>, k: number): unknown {
  const c = (d as { clusters: { nodes: Record<string, { runner: { instanceId: string } }> }[] }).clusters[0];
  if (!c) throw new Error("no cluster");
  for (const id of NODE_IDS)
    (c.nodes[id] as { runner: { instanceId: string } }).runner.instanceId = fleetInstanceId(k, id);
  return c;
}
export const fleetInstanceId = (k: number, id: "a" | "b") => `i-${k.toString(16)}${"0".repeat(15)}${id}`;

/**
 * Connects the other labs to this lab's client namespace, where the function runs (the VPC of a real
 * fleet reaches every pair): a veth pair per lab on 198.18.250.<4k>/30, a route to its subnet, and in its
 * client namespace forwarding with masquerade onto its bridge, so its servers see their own client's
 * address (the lab's grants). Namespace-local: nothing leaves the labs.
 */
async function linkFleet(lab: Lab, members: Lab[]): Promise<void> {
  const { run } = await import("../shared/util/exec.ts");
  const ns1 = lab.plan.client.ns;
  for (const [i, m] of members.entries()) {
    const k = i + 2;
    const ns = m.plan.client.ns;
    const here = `198.18.250.${4 * k + 1}`;
    const there = `198.18.250.${4 * k + 2}`;
    const ip = (...args: string[]) => run("ip", args, { timeoutMs: 10_000 });
    await ip("link", "add", `fl${k}`, "netns", ns1, "type", "veth", "peer", "name", "fl1", "netns", ns);
    await ip("-n", ns1, "addr", "add", `${here}/30`, "dev", `fl${k}`);
    await ip("-n", ns1, "link", "set", `fl${k}`, "up");
    await ip("-n", ns, "addr", "add", `${there}/30`, "dev", "fl1");
    await ip("-n", ns, "link", "set", "fl1", "up");
    await ip("-n", ns1, "route", "replace", m.plan.subnet, "via", there);
    await run("ip", ["netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=1"], { timeoutMs: 10_000 });
    await run("ip", ["netns", "exec", ns, "nft", "-f", "-"], {
      timeoutMs: 10_000,
      input: `table ip mhp_fleet {\n chain post {\n  type nat hook postrouting priority 100;\n  oifname "${m.plan.client.bridge}" masquerade\n }\n}\n`,
    });
  }
}

function inNamespace(ns: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, BIN, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const last = stdout.trim().split("\n").at(-1) ?? "";
      if (last.startsWith("{")) resolve(last);
      else reject(new Error(`the rehearsal inside ${ns} ended with code ${code} and no report`));
    });
  });
}

/** Inside the lab's client namespace: the deployment rehearsed, the report printed as one JSON line. */
export async function runRehearsalInside(o: {
  name: string;
  subnet: string;
  deployFile: string;
  assemblyDir: string;
  timeFactor: number;
  /** The fleet's other labs. */
  fleetLabs?: { name: string; subnet: string }[];
  log: (line: string) => void;
}): Promise<RehearsalReport> {
  const lab = new Lab({ name: o.name, subnet: o.subnet }, (l) => o.log(`lab: ${l}`));
  const deploy = DeploySchema.parse(parse(readFileSync(o.deployFile, "utf8")));
  const cluster = deploy.clusters[0];
  if (!cluster) throw new Error(`${o.deployFile}: no cluster`);
  const instances: Record<string, string> = {};
  for (const id of NODE_IDS) {
    const r = cluster.nodes[id].runner;
    if (r.type === "ssm") instances[r.instanceId] = lab.plan.nodes[id].ns;
  }
  // a fleet: the other labs' nodes under their own managed-node ids
  const fleet = (o.fleetLabs ?? []).map((m) => new Lab(m));
  fleet.forEach((m, i) => {
    for (const id of NODE_IDS) instances[fleetInstanceId(i + 2, id)] = m.plan.nodes[id].ns;
  });
  return rehearse({
    lab,
    assemblyDir: o.assemblyDir,
    env: { region: deploy.deploy.region, account: deploy.deploy.account ?? REHEARSAL_ACCOUNT.account },
    instances,
    secrets: {
      [deploy.deploy.passwordSecretArn]: lab.plan.users.monitor.password,
      ...(deploy.deploy.heartbeatPasswordSecretArn
        ? { [deploy.deploy.heartbeatPasswordSecretArn]: lab.plan.users.heartbeat.password }
        : {}),
    },
    timeFactor: o.timeFactor,
    log: o.log,
    // a deployment with the EC2 view on runs the EC2 drill; a fleet, the fleet drill
    ...(cluster.ec2 ? { drill: EC2_DRILL } : fleet.length ? { drill: FLEET_DRILL } : {}),
    functionLogFile: join(o.assemblyDir, "..", "function.log"),
  });
}
