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
import { buildApp } from "../../infra/app.ts";
import { DeploySchema } from "../../infra/deploy-config.ts";
import type { Ec2Mode } from "../../shared/domain/ec2.ts";
import { Lab } from "../lab.ts";
import { NODE_IDS } from "../plan.ts";
import { labDeployment, REHEARSAL_ACCOUNT } from "../target.ts";
import { EC2_DRILL } from "./ec2-drill.ts";
import { type RehearsalReport, rehearse } from "./rehearse.ts";

export interface RehearseOptions {
  name: string;
  subnet: string;
  timeFactor: number;
  keep: boolean;
  /** Rehearse a deployment with the EC2 view on, in this mode, through its own drill. */
  ec2?: Ec2Mode;
  log: (line: string) => void;
}

const BIN = fileURLToPath(new URL("../../bin/mysql-ha-prober.mjs", import.meta.url));

/** Outside the lab: up, deployment file, synth, then the rehearsal inside the client namespace. */
export async function runRehearsal(o: RehearseOptions): Promise<RehearsalReport> {
  const lab = new Lab({ name: o.name, subnet: o.subnet }, (l) => o.log(`lab: ${l}`));
  try {
    await lab.up();
    const dir = join(lab.plan.dir, "rehearsal");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const deployFile = join(dir, "deploy.yaml");
    writeFileSync(
      deployFile,
      `# Written by \`mysql-ha-prober lab rehearse\`\n${stringify(labDeployment(lab, o.ec2 ? { ec2: o.ec2 } : {}))}`,
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
    ]);
    return JSON.parse(out) as RehearsalReport;
  } finally {
    if (!o.keep) await lab.down();
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
    // a deployment with the EC2 view on runs the EC2 drill
    ...(cluster.ec2 ? { drill: EC2_DRILL } : {}),
    functionLogFile: join(o.assemblyDir, "..", "function.log"),
  });
}
