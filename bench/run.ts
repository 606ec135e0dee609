/**
 * Benchmarks (`npm run bench`, as root): prints a table per section and writes bench/results/*.json.
 *   1. detection latency per fault in the lab, at two watch intervals, with the seed design's method
 *      (cron once a minute running `arping -d` on a node) replayed on the same injections;
 *   2. the cost of one full probe (3 SQL endpoints + 2 node checks through the namespace runner);
 *   3. the Lambda bundle: size and cold-start import time;
 *   4. one process probing N clusters concurrently;
 *   5. the fleet at synth: 1, 10, 100, 1,000 pairs (stacks, resources, template size; BENCH_FLEET_SIZES);
 *   6. (BENCH_SECTIONS=round, not in the default run) one round of a simulated fleet of 1,000 pairs probed
 *      by the deployed function against stand-ins (bench/fleet-round.ts).
 * `npm run bench -- peers` runs only the comparison with Prometheus + mysqld_exporter + Alertmanager,
 * pt-heartbeat and the seed design's scripts on the same drills (bench/peers.ts).
 * BENCH_REPS (default 5) and BENCH_INTERVALS (default "5,1" seconds) shorten a run.
 */
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { startDynalite, startSesLocal } from "../emulators/aws.ts";
import { lambdaEsbuildOptions } from "../infra/bundling.ts";
import { type FaultKind, Lab } from "../lab/lab.ts";
import { labPorts, labProbeTarget } from "../lab/lab-config.ts";
import { DynamoStore } from "../shared/adapters/dynamo-store.ts";
import { SesNotifier } from "../shared/adapters/ses-notifier.ts";
import { triggerListener } from "../shared/adapters/trigger-fifo.ts";
import { deadlineIn, type NodeId } from "../shared/domain/types.ts";
import { NODE_CHECK_SCRIPT_PATH } from "../shared/node-check/script.ts";
import { observeAndAssess, probeCluster } from "../shared/pipeline.ts";
import { runSchedule, Wake } from "../shared/schedule-loop.ts";
import { run } from "../shared/util/exec.ts";
import { sleep } from "../shared/util/wait.ts";
import { fleetRound } from "./fleet-round.ts";
import { fleetDeployment, synthFleet } from "./fleet-synth.ts";
import { pct, table } from "./format.ts";

const RESULTS = fileURLToPath(new URL("./results/", import.meta.url));
const REPS = Number(process.env.BENCH_REPS ?? 5);
const INTERVALS = (process.env.BENCH_INTERVALS ?? "5,1").split(",").map(Number);
/**
 * Detection configurations, "mode:interval" (push: the lab's notify scripts trigger a probe at once):
 * e.g. BENCH_DETECTION=push:60,push:5,poll:60,poll:5,poll:1. @default poll at BENCH_INTERVALS
 */
const DETECTION = (process.env.BENCH_DETECTION ?? INTERVALS.map((i) => `poll:${i}`).join(","))
  .split(",")
  .map((c) => {
    const [mode, interval] = c.split(":");
    return { push: mode === "push", interval: Number(interval) };
  });
const SECTIONS = (process.env.BENCH_SECTIONS ?? "probe,bundle,fleet,cli,scale,detection").split(",");

const r1 = (n: number) => Math.round(n * 10) / 10;
function save(name: string, data: unknown) {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(
    `${RESULTS}${name}.json`,
    `${JSON.stringify({ machine: machine(), at: new Date().toISOString(), data }, null, 2)}\n`,
  );
}
function machine() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version };
}

// ------------------------------------------------------------------ 2. probe cost
/** [ArpCount, ArpWaitMs]: the default first, then shorter and longer ARP windows. */
const ARP_VARIANTS: [number, number][] = [
  [3, 20],
  [2, 40],
  [2, 100],
  [2, 500],
];
async function probeCost(lab: Lab) {
  const rows: (string | number)[][] = [
    ["ARP window (ArpCount x ArpWaitMs)", "probes", "wall p50 ms", "wall p95 ms", "CPU p50 ms (prober)"],
  ];
  const out = [];
  for (const [count, wait] of ARP_VARIANTS) {
    const t = labProbeTarget(lab);
    for (const id of ["a", "b"] as const) {
      t.nodes[id].nodeCheck.ArpCount = count;
      t.nodes[id].nodeCheck.ArpWaitMs = wait;
    }
    const ports = labPorts(lab);
    const walls: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < 30; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await observeAndAssess(t, ports, deadlineIn(8000), null, new Date());
      walls.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    out.push({
      arpCount: count,
      arpWaitMs: wait,
      wallP50: pct(walls, 50),
      wallP95: pct(walls, 95),
      cpuP50: pct(cpu, 50),
    });
    const label = `${count} x ${wait} ms${count === 3 && wait === 20 ? " (default)" : ""}`;
    rows.push([label, walls.length, r1(pct(walls, 50)), r1(pct(walls, 95)), r1(pct(cpu, 50))]);
  }
  console.log(`\n2. One full probe (3 SQL endpoints + 2 node checks through ip netns exec)\n${table(rows)}`);
  // The handler's own process: bench/handler-memory.ts (the handler wired to the lab) bundled with the
  // Lambda's esbuild options, run by plain node, 30 invocations in a row.
  const dir = fileURLToPath(new URL("../cdk.out/bench-memory/", import.meta.url));
  rmSync(dir, { recursive: true, force: true });
  await build(
    lambdaEsbuildOptions(
      fileURLToPath(new URL("./handler-memory.ts", import.meta.url)),
      `${dir}index.mjs`,
      fileURLToPath(new URL("..", import.meta.url)),
    ),
  );
  copyFileSync(fileURLToPath(NODE_CHECK_SCRIPT_PATH), `${dir}node-check.sh`); // found next to the bundle
  const [dynamo, ses] = await Promise.all([startDynalite("bench-mem"), startSesLocal()]);
  let memory: Record<string, unknown>;
  try {
    const args = [
      lab.plan.name,
      lab.plan.subnet,
      dynamo.endpoint,
      dynamo.tableName,
      `http://127.0.0.1:${ses.port}`,
      "30",
    ];
    const env = { PATH: process.env.PATH };
    const child = await run(process.execPath, [`${dir}index.mjs`, ...args], { timeoutMs: 120_000, env });
    const bare = await run(process.execPath, ["-e", "console.log(process.resourceUsage().maxRSS / 1024)"], {
      timeoutMs: 30_000,
      env,
    });
    memory = {
      ...JSON.parse(child.stdout.trim().split("\n").pop() as string),
      bareNodeMb: Number(bare.stdout.trim()),
    };
  } finally {
    await Promise.all([dynamo.stop(), ses.stop()]);
  }
  console.log(
    `handler process (bundled, 30 invocations against the lab): peak RSS ${r1(memory.peakMb as number)} MB, after its imports ${r1(memory.afterImportsMb as number)} MB; a bare node process: ${r1(memory.bareNodeMb as number)} MB; statuses ${JSON.stringify(memory.statuses)}`,
  );
  save("probe-cost", { probes: out, handlerMemory: memory });
}

// ------------------------------------------------------------------ 3. bundle
async function bundle() {
  const outdir = fileURLToPath(new URL("../cdk.out/bench", import.meta.url));
  rmSync(outdir, { recursive: true, force: true }); // no stale asset from an earlier synth
  execFileSync(
    "npx",
    ["cdk", "synth", "--quiet", "--output", outdir, "-c", "config=infra/deploy.example.yaml"],
    {
      stdio: "ignore",
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" },
    },
  );
  const asset = readdirSync(outdir).find(
    (d) => d.startsWith("asset.") && statSync(`${outdir}/${d}`).isDirectory(),
  );
  const file = `${outdir}/${asset}/index.mjs`;
  const size = statSync(file).size;
  // Bare node, the import, and the import as deployed (NODE_OPTIONS=--enable-source-maps) are run in
  // turn, 20 rounds, so that a noisy neighbour weighs on all three alike.
  const env = { PATH: process.env.PATH, AWS_REGION: "us-east-1" };
  const timed = (args: string[]) => {
    const t0 = performance.now();
    execFileSync(process.execPath, args, { stdio: "ignore", env });
    return performance.now() - t0;
  };
  const importIt = `import(${JSON.stringify(file)}).then(()=>{})`;
  const bare: number[] = [];
  const times: number[] = [];
  const withMaps: number[] = [];
  for (let i = 0; i < 20; i++) {
    bare.push(timed(["-e", "0"]));
    times.push(timed(["-e", importIt]));
    withMaps.push(timed(["--enable-source-maps", "-e", importIt]));
  }
  const res = {
    bytes: size,
    mb: size / 1e6,
    importMedianMs: pct(times, 50),
    importWithSourceMapsMedianMs: pct(withMaps, 50),
    nodeStartMedianMs: pct(bare, 50),
    importNetMedianMs: pct(
      times.map((t, i) => t - (bare[i] as number)),
      50,
    ),
  };
  console.log(
    `\n3. Lambda bundle\n${table([
      [
        "minified bundle",
        "new node + import (median of 20)",
        "same, --enable-source-maps (as deployed)",
        "bare node start",
        "import alone (median of paired differences)",
      ],
      [
        `${r1(res.mb)} MB`,
        `${r1(res.importMedianMs)} ms`,
        `${r1(res.importWithSourceMapsMedianMs)} ms`,
        `${r1(res.nodeStartMedianMs)} ms`,
        `${r1(res.importNetMedianMs)} ms`,
      ],
    ])}`,
  );
  save("bundle", res);
}

// ------------------------------------------------------------------ 4. scale
async function scale(lab: Lab) {
  const rows: (string | number)[][] = [
    ["clusters", "wall ms", "clusters/s", "per-cluster p50 ms", "per-cluster p95 ms"],
  ];
  const out = [];
  for (const n of [1, 10, 50]) {
    const t = labProbeTarget(lab);
    const ports = labPorts(lab);
    const per: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: n }, async () => {
        const s = performance.now();
        await observeAndAssess(t, ports, deadlineIn(30_000), null, new Date());
        per.push(performance.now() - s);
      }),
    );
    const wall = performance.now() - t0;
    out.push({ clusters: n, wallMs: wall, perClusterP50: pct(per, 50), perClusterP95: pct(per, 95) });
    rows.push([n, r1(wall), r1((n * 1000) / wall), r1(pct(per, 50)), r1(pct(per, 95))]);
  }
  console.log(`\n4. One process probing N clusters concurrently (the same lab, N times)\n${table(rows)}`);
  save("scale", out);
}

// ------------------------------------------------------------------ 1. detection
/**
 * `observable`: what keepalived must do before the fault exists for anyone to see. A failover exists
 * once the other node is MASTER (the VIP moved), a split brain once the standby is MASTER too; the
 * other faults exist at once.
 */
const FAULTS: {
  kind: FaultKind;
  on: "holder" | "standby";
  expect: string;
  observable: "other-master" | "standby-master" | "injection";
  target: boolean;
}[] = [
  { kind: "mysql-kill", on: "holder", expect: "DEGRADED", observable: "other-master", target: true },
  { kind: "vrrp-block", on: "standby", expect: "SPLIT_BRAIN", observable: "standby-master", target: true },
  { kind: "keepalived-kill", on: "standby", expect: "DEGRADED", observable: "injection", target: false },
  { kind: "blackhole", on: "standby", expect: "DEGRADED", observable: "injection", target: false },
  { kind: "mysql-hang", on: "standby", expect: "DEGRADED", observable: "injection", target: false },
];

/** The seed design's check: `arping -c 1 -d VIP` on a node, from cron once a minute; exit 1 = duplicate. */
async function seedCheck(lab: Lab, node: NodeId): Promise<boolean> {
  const r = await run(
    "ip",
    ["netns", "exec", lab.plan.nodes[node].ns, "arping", "-c", "1", "-d", "-w", "1", lab.plan.vip],
    {
      timeoutMs: 5000,
      allowFailure: true,
    },
  );
  return r.code === 1;
}

/** keepalived's transitions on a node after a moment, from the lab's notify log ("<epoch.ms> <iso> <instance> <state> <prio>"). */
function transitionsAfter(lab: Lab, node: NodeId, afterMs: number): { at: number; state: string }[] {
  return readFileSync(lab.plan.nodes[node].keepalived.transitionsLog, "utf8")
    .split("\n")
    .map((l) => l.split(" "))
    .filter((f) => f.length >= 4 && Number(f[0]) * 1000 >= afterMs)
    .map((f) => ({ at: Math.round(Number(f[0]) * 1000), state: f[3] as string }));
}

async function detection(lab: Lab) {
  const [dynamo, ses] = await Promise.all([startDynalite("bench"), startSesLocal()]);
  const results: Record<string, unknown>[] = [];
  try {
    for (const { push, interval } of DETECTION) {
      for (const f of FAULTS.filter(
        (x) => !process.env.BENCH_FAULTS || process.env.BENCH_FAULTS.split(",").includes(x.kind),
      )) {
        for (let rep = 0; rep < REPS; rep++) {
          const name = `bench-${push ? "push" : "poll"}-${interval}-${f.kind}-${rep}-${Date.now()}`;
          const mails: { at: number; to: string }[] = [];
          const ses1 = new SesNotifier({
            client: ses.client,
            from: "bench@lab.invalid",
            to: ["ops@lab.invalid"],
          });
          const deps = {
            ...labPorts(lab),
            store: new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName }),
            // records when the local SES accepted each mail
            notifier: {
              send: async (a: Parameters<SesNotifier["send"]>[0], d: Parameters<SesNotifier["send"]>[1]) => {
                const id = await ses1.send(a, d);
                mails.push({ at: Date.now(), to: a.to });
                return id;
              },
            },
          };
          const target = labProbeTarget(lab, name);
          // The watch loop runs on its own schedule, as it would in production; the fault is injected
          // at a random moment of it. Every probe is recorded: what it observed (probeStatus, stored
          // in the state document) and whether it committed a new declared status.
          const probes: { at: number; status: string; probeStatus: string; transition: boolean }[] = [];
          const loopStop = new AbortController();
          const wake = new Wake();
          const listener = push
            ? triggerListener(lab.plan.client.triggerFifo, () => wake.nudge())
            : undefined;
          const loop = runSchedule(
            {
              intervalMs: interval * 1000,
              roundBudgetMs: 8000,
              signal: loopStop.signal,
              ...(push ? { wake } : {}),
            },
            async (_i, deadline) => {
              const r = await probeCluster(target, deps, deadline);
              probes.push({
                at: Date.now(),
                status: r.state.status,
                probeStatus: r.state.probeStatus,
                transition: r.transition !== null,
              });
            },
          );
          const settle = Date.now() + 60_000;
          while (!probes.some((x) => x.status === "HEALTHY") && Date.now() < settle) await sleep(100);
          await sleep(Math.random() * interval * 1000 + 200);
          const holder = (await lab.vipHolders())[0] ?? "a";
          const node: NodeId = f.on === "holder" ? holder : holder === "a" ? "b" : "a";
          const other: NodeId = node === "a" ? "b" : "a";
          const injected = Date.now();
          await lab.fault(f.kind, node);
          // a change that needs two confirmations waits two intervals at most
          const giveUp = injected + Math.max(60_000, 2 * interval * 1000 + 30_000);
          let hit: (typeof probes)[number] | undefined;
          let mail: { at: number; to: string } | undefined;
          while (Date.now() < giveUp && !(hit && mail)) {
            hit = probes.find((x) => x.at >= injected && x.transition && x.status !== "HEALTHY");
            mail = mails.find((m) => m.at >= injected && m.to !== "HEALTHY");
            await sleep(50);
          }
          loopStop.abort();
          await loop;
          listener?.close();
          const observed = probes.find((x) => x.at >= injected && x.probeStatus !== "HEALTHY");
          // when keepalived made the fault observable
          const masterOn = (n: NodeId) =>
            transitionsAfter(lab, n, injected).find((t) => t.state === "MASTER")?.at;
          const observableAt =
            f.observable === "injection"
              ? injected
              : f.observable === "other-master"
                ? masterOn(other)
                : masterOn(node);
          // the seed method, replayed: cron runs `arping -d` on the nodes at the next whole minute
          const seedA = await seedCheck(lab, "a");
          const seedB = await seedCheck(lab, "b");
          const nextMinute = Math.ceil(injected / 60_000) * 60_000;
          results.push({
            mode: push ? "push" : "poll",
            interval,
            fault: f.kind,
            node,
            rep,
            status: hit?.status ?? null,
            observableMs: observableAt !== undefined ? observableAt - injected : null,
            observedMs: observed ? observed.at - injected : null,
            storedMs: hit ? hit.at - injected : null,
            storedAfterObservableMs: hit && observableAt !== undefined ? hit.at - observableAt : null,
            mailedMs: mail ? mail.at - injected : null,
            mailedAfterObservableMs: mail && observableAt !== undefined ? mail.at - observableAt : null,
            seedCaught: seedA || seedB,
            seedAtMs: seedA || seedB ? nextMinute - injected : null,
          });
          await lab.heal();
        }
      }
    }
  } finally {
    await Promise.all([dynamo.stop(), ses.stop()]);
  }
  const rows: (string | number)[][] = [
    [
      "mode",
      "interval",
      "fault",
      "runs",
      "missed",
      "keepalived p50 s",
      "observed p95 s",
      "stored p50 s",
      "stored p95 s",
      "mailed p95 s",
      "stored after observable p95 s",
      "mailed after observable p95 s",
      "target",
      "seed method (cron + arping -d on a node)",
    ],
  ];
  const summary: Record<string, unknown>[] = [];
  for (const { push, interval } of DETECTION) {
    const mode = push ? "push" : "poll";
    for (const f of FAULTS) {
      const rs = results.filter((r) => r.mode === mode && r.interval === interval && r.fault === f.kind);
      if (rs.length === 0) continue;
      const nums = (k: string) => rs.map((r) => r[k]).filter((x): x is number => typeof x === "number");
      const stored = nums("storedMs");
      const seed = rs.filter((r) => r.seedCaught).length;
      const afterObs = pct(nums("storedAfterObservableMs"), 95);
      const mailedAfterObs = pct(nums("mailedAfterObservableMs"), 95);
      const line = {
        mode,
        interval,
        fault: f.kind,
        runs: rs.length,
        missed: rs.length - stored.length,
        keepalivedP50: pct(nums("observableMs"), 50),
        observedP95: pct(nums("observedMs"), 95),
        storedP50: pct(stored, 50),
        storedP95: pct(stored, 95),
        mailedP95: pct(nums("mailedMs"), 95),
        storedAfterObservableP95: afterObs,
        mailedAfterObservableP95: mailedAfterObs,
        // poll: the prober's share within interval + 1 s; push (issue 13): stored and mailed within 1 s of keepalived
        targetMet: f.target
          ? rs.length === stored.length &&
            (push ? afterObs <= 1000 && mailedAfterObs <= 1000 : afterObs <= interval * 1000 + 1000)
          : null,
        seedCaught: seed,
      };
      summary.push(line);
      rows.push([
        mode,
        `${interval} s`,
        f.kind,
        line.runs,
        line.missed,
        r1(line.keepalivedP50 / 1000),
        r1(line.observedP95 / 1000),
        r1(line.storedP50 / 1000),
        r1(line.storedP95 / 1000),
        r1(line.mailedP95 / 1000),
        r1(afterObs / 1000),
        r1(mailedAfterObs / 1000),
        line.targetMet === null
          ? "-"
          : line.targetMet
            ? `met (<= ${push ? 1 : interval + 1} s)`
            : `NOT met (> ${push ? 1 : interval + 1} s)`,
        seed === 0 ? `missed ${rs.length}/${rs.length}` : `caught ${seed}/${rs.length}, at the next minute`,
      ]);
    }
  }
  console.log(
    `\n1. Detection latency (from the injection unless said otherwise; "keepalived": until keepalived made the fault observable)\n${table(rows)}`,
  );
  save(DETECTION.some((d) => d.push) ? "detection-push" : "detection", { summary, runs: results });
}

// ------------------------------------------------------------------ 6. CLI start
/**
 * The CLI's start, as a monitoring agent running `probe` every minute sees it: `--version` (compiled,
 * and from the TypeScript sources through tsx) against a bare `node -e 0`, interleaved, median of 10;
 * with the lab, one `probe` of it: the whole command against the probe's own time.
 */
async function cliStart(lab: Lab | null) {
  const bin = fileURLToPath(new URL("../bin/mysql-ha-prober.mjs", import.meta.url));
  execFileSync(process.execPath, [fileURLToPath(new URL("../bin/build-cli.mjs", import.meta.url))], {
    stdio: "ignore",
  });
  const timed = (args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const t0 = performance.now();
    const out = execFileSync(process.execPath, args, { env, stdio: ["ignore", "pipe", "ignore"] }).toString();
    return { ms: performance.now() - t0, out };
  };
  const bare: number[] = [];
  const compiled: number[] = [];
  const source: number[] = [];
  for (let i = 0; i < 10; i++) {
    bare.push(timed(["-e", "0"]).ms);
    compiled.push(timed([bin, "--version"]).ms);
    source.push(timed([bin, "--version"], { ...process.env, MHP_CLI_FROM_SOURCE: "1" }).ms);
  }
  const med = (xs: number[]) => pct(xs, 50);
  const probe: { wallMs: number; probeMs: number }[] = [];
  if (lab) {
    const { writeLabConfig } = await import("../lab/lab-config.ts");
    const config = writeLabConfig(lab);
    for (let i = 0; i < 10; i++) {
      let r: { ms: number; out: string };
      try {
        r = timed([bin, "probe", "-c", config, "--json"]);
      } catch (e) {
        r = { ms: Number.NaN, out: String((e as { stdout?: Buffer }).stdout ?? "[]") };
      }
      const probeMs = (JSON.parse(r.out) as { probeMs: number }[])[0]?.probeMs ?? Number.NaN;
      probe.push({ wallMs: r.ms, probeMs });
    }
  }
  const res = {
    bareNodeMedianMs: r1(med(bare)),
    versionCompiledMedianMs: r1(med(compiled)),
    versionFromSourceMedianMs: r1(med(source)),
    versionRatio: r1(med(compiled) / med(bare)),
    probeWallMedianMs: r1(med(probe.map((p) => p.wallMs))),
    probeOwnMedianMs: r1(med(probe.map((p) => p.probeMs))),
    probeOverheadMedianMs: r1(med(probe.map((p) => p.wallMs - p.probeMs))),
  };
  console.log(
    `\n6. CLI start (median of 10)\n${table([
      [
        "node -e 0",
        "--version compiled",
        "--version from source",
        "ratio",
        "probe wall",
        "probe itself",
        "overhead",
      ],
      [
        res.bareNodeMedianMs,
        res.versionCompiledMedianMs,
        res.versionFromSourceMedianMs,
        `${res.versionRatio}x`,
        res.probeWallMedianMs,
        res.probeOwnMedianMs,
        res.probeOverheadMedianMs,
      ],
    ])}`,
  );
  save("cli", res);
}

/** The fleet at synth (bench/fleet-synth.ts): CloudFormation's limits are 500 resources and 1 MB per template. */
function fleet() {
  const sizes = (process.env.BENCH_FLEET_SIZES ?? "1,10,100,1000").split(",").map(Number);
  const rows = sizes.map((n) => synthFleet(n));
  const one = rows.find((r) => r.pairs === 1);
  console.log("\n== the fleet at synth (cdk-nag on)");
  console.log(
    table([
      [
        "pairs",
        "synth s",
        "stacks",
        "resources",
        "largest stack",
        "largest template KB",
        "per added pair",
        "errors",
      ],
      ...rows.map((r) => [
        r.pairs,
        r1(r.synthMs / 1000),
        r.stacks,
        r.resources,
        r.maxStackResources,
        Math.round(r.maxTemplateBytes / 1024),
        one && r.pairs > 1
          ? (Math.round(((r.resources - one.resources) / (r.pairs - 1)) * 100) / 100).toFixed(2)
          : "-",
        r.errors.length,
      ]),
    ]),
  );
  save("fleet-synth", rows);
}

/** One round of a simulated fleet (bench/fleet-round.ts): duration, API calls, throttling, pairs probed. */
async function round() {
  const r = await fleetRound({
    pairs: Number(process.env.BENCH_ROUND_PAIRS ?? 1000),
    pairsPerSchedule: Number(process.env.BENCH_ROUND_PER_SCHEDULE ?? 10),
    rounds: Number(process.env.BENCH_ROUND_ROUNDS ?? 3),
    ...(process.env.BENCH_ROUND_SHARDS ? { shards: Number(process.env.BENCH_ROUND_SHARDS) } : {}),
    log: () => {},
  });
  console.log(
    `\n== one round of ${r.pairs} simulated pairs, ${r.pairsPerSchedule} per schedule (SSM ${r.ssmLatencyMs.join("-")} ms, rates ${JSON.stringify(r.ssmRates)}; ${r.shards ?? 1} shards of schedules one after another, each with its share of the rates; round = the longest shard)`,
  );
  console.log(
    table([
      [
        "round",
        "s",
        "shards s (min-max)",
        "invocations",
        "inv p50 s",
        "inv max s",
        "fn errors",
        "cold starts",
        "pairs probed",
        "statuses",
        "findings",
        "SSM calls (throttled)",
        "CPU s: function / stand-ins",
      ],
      ...r.rounds.map((x, i) => [
        i + 1,
        r1(x.roundMs / 1000),
        x.shardMs?.length ? `${r1(Math.min(...x.shardMs) / 1000)}-${r1(Math.max(...x.shardMs) / 1000)}` : "",
        x.invocations,
        r1(x.invocationMs.p50 / 1000),
        r1(x.invocationMs.max / 1000),
        x.functionErrors,
        x.coldStarts,
        x.pairsProbed,
        JSON.stringify(x.statuses),
        JSON.stringify(x.findings),
        Object.entries(x.calls)
          .filter(([k]) => k.startsWith("ssm:"))
          .map(([k, v]) => `${k.slice(4)} ${v.ok + v.throttled} (${v.throttled})`)
          .join(", "),
        `${r1(x.cpuS.function)} / ${r1(x.cpuS.standIns)}`,
      ]),
    ]),
  );
  save("fleet-round", r);
}

async function main() {
  if (process.argv.slice(2).includes("peers-report")) {
    // the Markdown of the last peers run (bench/results/peers.json), as BENCHMARKS.md section 11 carries it
    const { markdown } = await import("./peers-report.ts");
    console.log(markdown(JSON.parse(readFileSync(new URL("./results/peers.json", import.meta.url), "utf8"))));
    return;
  }
  const costArg = process.argv.slice(2).indexOf("cost");
  if (costArg >= 0) {
    // the monthly cost recomputed from the synthesized template: a deployment file, or 1, 10 and 100 pairs
    const { costOfDeployment, costTable } = await import("./cost.ts");
    const file = process.argv.slice(2)[costArg + 1];
    if (file) console.log(costTable(costOfDeployment(file)));
    else
      for (const n of [1, 10, 100]) {
        const f = join(mkdtempSync(join(tmpdir(), "mhp-cost-")), "deploy.yaml");
        writeFileSync(f, fleetDeployment(n));
        console.log(`\n${costTable(costOfDeployment(f))}`);
      }
    return;
  }
  console.log(`machine: ${JSON.stringify(machine())}`);
  if (process.argv.slice(2).includes("compare")) {
    // the consistency check beside pt-table-checksum (bench/compare.ts), on its own lab
    const { compareBench } = await import("./compare.ts");
    await compareBench(save);
    return;
  }
  if (process.argv.slice(2).includes("peers")) {
    // the comparison with other tools (bench/peers.ts): long (about an hour), so never in the default run
    const { peers } = await import("./peers.ts");
    await peers();
    return;
  }
  if (SECTIONS.includes("round")) await round();
  if (SECTIONS.includes("bundle")) await bundle();
  if (SECTIONS.includes("fleet")) fleet();
  if (SECTIONS.includes("cli") && process.getuid?.() !== 0) await cliStart(null);
  if (!SECTIONS.some((s) => ["probe", "cli", "scale", "detection"].includes(s))) return;
  if (process.getuid?.() !== 0) throw new Error("the benchmarks use the lab: run as root");
  const lab = new Lab({ name: "mhpb", subnet: "198.18.120.0/24" });
  await lab.up({ rebuild: true });
  try {
    if (SECTIONS.includes("probe")) await probeCost(lab);
    if (SECTIONS.includes("cli")) await cliStart(lab);
    if (SECTIONS.includes("scale")) await scale(lab);
    if (SECTIONS.includes("detection")) await detection(lab);
  } finally {
    await lab.down();
  }
}

await main();
