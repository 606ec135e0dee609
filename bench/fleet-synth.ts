/**
 * The fleet at synth: the example deployment with N pairs (1, 10, 100, 1,000 by default; BENCH_FLEET_SIZES),
 * synthesized with cdk-nag as `cdk synth` does. Prints, per size: synth time, stacks, the largest stack's
 * resources and template size, and the resources each added pair costs. CloudFormation's limits: 500
 * resources per stack, 1 MB per template (uploaded through S3 by the CDK).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { parse, stringify } from "yaml";
import { buildApp } from "../infra/app.ts";

const EXAMPLE = fileURLToPath(new URL("../infra/deploy.example.yaml", import.meta.url));

export interface FleetSynthRow {
  pairs: number;
  synthMs: number;
  stacks: number;
  resources: number;
  maxStackResources: number;
  maxTemplateBytes: number;
  errors: string[];
}

/** The example deployment with `n` pairs (distinct names, VIPs and instance ids). */
export function fleetDeployment(n: number, example = EXAMPLE): string {
  const doc = parse(readFileSync(example, "utf8")) as { clusters: Record<string, unknown>[] };
  const base = doc.clusters[0] as {
    name: string;
    vip: { host: string };
    nodes: Record<"a" | "b", { host: string; runner: { instanceId: string } }>;
  };
  const hex = (i: number) => i.toString(16).padStart(17, "0");
  const ip = (i: number, last: number) => `10.${Math.floor(i / 250) % 250}.${i % 250}.${last}`;
  doc.clusters = Array.from({ length: n }, (_, i) => ({
    ...base,
    name: `pair-${String(i + 1).padStart(4, "0")}`,
    vip: { ...base.vip, host: ip(i, 100) },
    nodes: {
      a: {
        ...base.nodes.a,
        host: ip(i, 11),
        runner: { ...base.nodes.a.runner, instanceId: `i-${hex(2 * i)}` },
      },
      b: {
        ...base.nodes.b,
        host: ip(i, 12),
        runner: { ...base.nodes.b.runner, instanceId: `i-${hex(2 * i + 1)}` },
      },
    },
  }));
  return stringify(doc, { aliasDuplicateObjects: false });
}

export function synthFleet(n: number): FleetSynthRow {
  const dir = mkdtempSync(join(tmpdir(), "mhp-fleet-synth-"));
  try {
    const file = join(dir, "deploy.yaml");
    writeFileSync(file, fleetDeployment(n));
    const started = performance.now();
    const { app } = buildApp(file, new App({ outdir: join(dir, "cdk.out") }));
    const asm = app.synth();
    const synthMs = Math.round(performance.now() - started);
    const stacks = asm.stacks.map((s) => ({
      resources: Object.keys((s.template as { Resources: object }).Resources).length,
      bytes: JSON.stringify(s.template).length,
      errors: s.messages
        .filter((m) => m.level === "error")
        .map((m) => `${s.stackName}: ${String(m.entry.data)}`),
    }));
    return {
      pairs: n,
      synthMs,
      stacks: stacks.length,
      resources: stacks.reduce((a, s) => a + s.resources, 0),
      maxStackResources: Math.max(...stacks.map((s) => s.resources)),
      maxTemplateBytes: Math.max(...stacks.map((s) => s.bytes)),
      errors: stacks.flatMap((s) => s.errors),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = (process.env.BENCH_FLEET_SIZES ?? "1,10,100,1000").split(",").map(Number);
  for (const n of sizes) console.log(JSON.stringify(synthFleet(n)));
}
