/**
 * One round of a simulated fleet, probed by the deployed function (`BENCH_SECTIONS=round npm run bench`,
 * root). N pairs (BENCH_ROUND_PAIRS, default 1,000), each a copy of the lab's pair (the same nodes and
 * VIP under its own name), in the deployment file the CDK app synthesizes; the cloud assembly run as the
 * rehearsal runs it (the asset in local Lambda environments inside the lab's client namespace, the
 * template's schedules, IAM checked on every call), with SQL stand-ins answering as a recorded MariaDB
 * pair (3,000 connections a round would measure the lab's two servers, not the prober), an SSM stand-in
 * that answers each node check
 * after 1 to 3 s (BENCH_SSM_LATENCY_MS, "1000-3000": the lab's real node-check output for that node,
 * refreshed every 10 s) and throttles each SSM operation above a rate (BENCH_SSM_RATES,
 * "SendCommand=50,GetCommandInvocation=100,ListCommandInvocations=100" per second: assumptions, AWS does not publish them).
 * Every schedule fires at once, as EventBridge Scheduler does at the top of a minute.
 *
 * Prints: the round's duration (first invoke to last invocation end), invocations and their durations,
 * API calls by operation and how many were throttled, pairs probed, their statuses, node checks lost.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { App } from "aws-cdk-lib";
import { parse, stringify } from "yaml";
import { freePort, serveDynalite, spawnSesLocal } from "../emulators/aws.ts";
import { type Fixture, loadFixture } from "../emulators/mysql-recordings.ts";
import { type FakeServer, scriptedServer } from "../emulators/mysql-server.ts";
import { buildApp } from "../infra/app.ts";
import { DeploySchema } from "../infra/deploy-config.ts";
import { Ec2World, labEc2Topology } from "../lab/ec2-standin.ts";
import { Lab } from "../lab/lab.ts";
import { labDeployment, REHEARSAL_ACCOUNT } from "../lab/lab-config.ts";
import { NODE_IDS } from "../lab/plan.ts";
import { LocalCloudWatch } from "../rehearsal/cloudwatch.ts";
import { createTables, readDeployment } from "../rehearsal/deployment.ts";
import { RoleAuthorizer } from "../rehearsal/iam.ts";
import { functionSpecOf, LocalLambda } from "../rehearsal/lambda.ts";
import { LocalEndpoints } from "../rehearsal/local-endpoints.ts";
import { type CommandDocument, type Invocation, LocalRunCommand } from "../rehearsal/ssm.ts";
import { assemblyStacks, DeployedTemplate } from "../rehearsal/template.ts";
import { nodeParamsOf } from "../shared/node-check/params.ts";

export interface RoundResult {
  pairs: number;
  pairsPerSchedule: number;
  ssmLatencyMs: [number, number];
  ssmRates: Record<string, number>;
  /** The environments' nice value (BENCH_ROUND_ENV_NICE, default 19): the stand-ins run before them. */
  envNice: number;
  /** The environments' warm-up before the first round: one schedule's invocation each, 5 at a time. */
  warmup?: { environments: number; ms: number; ok: number; failed: number };
  /**
   * The round ran in this many shards of schedules, one after another, each with 1/shards of every SSM
   * rate (BENCH_ROUND_SHARDS, default one per 100 pairs). 1: every schedule at once on this machine.
   */
  shards?: number;
  rounds: {
    /** The longest shard: how long the round takes when every invocation runs at once, as in AWS. */
    roundMs: number;
    shardMs: number[];
    /** The shards one after another on this machine. */
    wallMs: number;
    invocations: number;
    invocationMs: { p50: number; p95: number; max: number };
    functionErrors: number;
    /** Invocations that had to start their environment. */
    coldStarts: number;
    calls: Record<string, { ok: number; throttled: number }>;
    /** Commands the SSM stand-in ran and the node checks they carried (a node each). */
    ssm: { commands: number; nodeChecks: number };
    pairsProbed: number;
    statuses: Record<string, number>;
    nodeChecksFailed: number;
    /** Findings above info in the round's probes, by code: what made a pair other than HEALTHY. */
    findings: Record<string, number>;
    /**
     * CPU seconds the round used: the function's environments (the deployed asset, what AWS would run
     * on as many machines as there are invocations) and this process (every stand-in: SSM, DynamoDB,
     * SQL, IAM checks).
     */
    cpuS: { function: number; standIns: number };
  }[];
}

/**
 * SSM Run Command for a simulated fleet: every node check of a node answers with that node's real output
 * (run in its namespace at most every 10 s), after a random 1-3 s, as the agent's round trip takes.
 */
class SimulatedRunCommand extends LocalRunCommand {
  private readonly cache = new Map<string, { at: number; stdout: Promise<string> }>();
  constructor(
    documents: Record<string, CommandDocument>,
    namespaces: Record<string, string>,
    private readonly latency: [number, number],
    /** The real pair's VIP and MySQL port: the check runs with them, its output names the asked VIP. */
    private readonly real: { vip: string; port: number },
  ) {
    super(documents, namespaces);
  }

  protected override run(
    inv: Invocation,
    ns: string,
    doc: CommandDocument,
    values: Record<string, string>,
  ): void {
    if (inv.status !== "Pending") return;
    inv.status = "InProgress";
    inv.statusDetails = "InProgress";
    // a batched command carries each node's parameters in NodeParams, as its script reads them
    const own = values.NodeParams ? nodeParamsOf(values.NodeParams, inv.instanceId) : {};
    const asked = own.Vip ?? values.Vip ?? "";
    const run = { ...values, NodeParams: "", ...own, Vip: this.real.vip, MysqlPort: String(this.real.port) };
    const key = ns;
    let cached = this.cache.get(key);
    if (!cached || Date.now() - cached.at > 10_000) {
      cached = { at: Date.now(), stdout: this.realOutput(ns, doc, run) };
      this.cache.set(key, cached);
    }
    const [lo, hi] = this.latency;
    const wait = lo + Math.random() * (hi - lo);
    void Promise.all([cached.stdout, new Promise((r) => setTimeout(r, wait))]).then(([stdout]) => {
      if (inv.status !== "InProgress") return;
      inv.stdout = (stdout as string).split(this.real.vip).join(asked);
      inv.responseCode = 0;
      inv.status = "Success";
      inv.statusDetails = "Success";
    });
  }

  private realOutput(ns: string, doc: CommandDocument, values: Record<string, string>): Promise<string> {
    const step = doc.mainSteps[0];
    const dir = join("/tmp", `mhp-round-${process.pid}-${ns}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "_script.sh");
    writeFileSync(file, `${step?.inputs.runCommand.join("\n") ?? ""}\n`, { mode: 0o700 });
    const env: NodeJS.ProcessEnv = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
    for (const [k, v] of Object.entries(values)) env[`SSM_${k}`] = v;
    return new Promise((resolve) => {
      const child = spawn("ip", ["netns", "exec", ns, "sh", file], {
        env,
        stdio: ["ignore", "pipe", "ignore"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.on("close", () => resolve(out));
    });
  }
}

const ENV_NICE = Number(process.env.BENCH_ROUND_ENV_NICE ?? 19);

/** Where the simulated pairs' SQL stand-ins listen, on the client namespace's loopback. */
const FAKE_SQL_PORTS = { vip: 43306, a: 43307, b: 43308 } as const;

/**
 * The SQL side of every simulated pair: three servers answering the probe's statements with the recorded
 * MariaDB 10.11 pair (emulators/mysql-recordings/): the writable node of the recording plays the lab's VIP holder
 * (the node checks come from the real lab), the VIP answers as that node.
 */
async function fakePairSql(holder: "a" | "b"): Promise<FakeServer[]> {
  const f = loadFixture("mariadb-10.11");
  // up for a day when the stand-ins start, and counting: an uptime that stood still would read as a restart
  const started = Date.now();
  const playing = holder === "a" ? { a: f.a, b: f.b } : { a: f.b, b: f.a };
  const answer = (n: Fixture["a"]) => {
    const vars = Object.fromEntries(n.variables.map((v) => [v.Variable_name, v.Value]));
    return (sql: string) => {
      if (sql.startsWith("SHOW GLOBAL VARIABLES"))
        return {
          columns: ["Variable_name", "Value"],
          rows: n.variables.map((v) => [v.Variable_name, v.Value]),
        };
      if (sql.startsWith("SELECT @@GLOBAL.")) {
        const names = [...sql.matchAll(/ AS (\w+)/g)].map((m) => m[1] as string);
        return { columns: names, rows: [names.map((x) => vars[x] ?? "")] };
      }
      if (sql.startsWith("SHOW GLOBAL STATUS"))
        return {
          columns: ["Variable_name", "Value"],
          rows: [
            ["Uptime", String(86_400 + Math.floor((Date.now() - started) / 1000))],
            ...["Com_stop_slave", "Com_stop_all_slaves", "Com_slave_stop"].map((c) => [c, "0"]),
          ],
        };
      if (/SLAVES? STATUS|REPLICA STATUS/.test(sql)) {
        const columns = Object.keys(n.replicaRows[0] ?? {});
        return {
          columns,
          rows: n.replicaRows.map((r) =>
            columns.map((c) => (r[c] === null || r[c] === undefined ? null : String(r[c]))),
          ),
        };
      }
      return { error: `not answered by the stand-in: ${sql.slice(0, 60)}`, code: 1064 };
    };
  };
  const version = f.a.variables.find((v) => v.Variable_name === "version")?.Value ?? "10.11.6-MariaDB";
  // the VIP answers as the holder, which the recording's writable node plays
  return Promise.all([
    scriptedServer(answer(f.a), version, FAKE_SQL_PORTS.vip),
    scriptedServer(answer(playing.a), version, FAKE_SQL_PORTS.a),
    scriptedServer(answer(playing.b), version, FAKE_SQL_PORTS.b),
  ]);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number) : 0;
};

/** Outside: the lab up, the fleet's deployment file and synth, then the round inside the client namespace. */
export async function fleetRound(o: {
  pairs: number;
  pairsPerSchedule: number;
  rounds: number;
  /** @default one per 100 pairs */
  shards?: number;
  log: (l: string) => void;
}): Promise<RoundResult> {
  const lab = new Lab({ name: "mhpr", subnet: "198.18.121.0/24" }, (l) => o.log(`lab: ${l}`));
  await lab.up({ heal: true });
  try {
    // 3 endpoints per pair, all pairs at once: more than MariaDB's default 151 connections
    for (const id of NODE_IDS) await lab.sqlOn(id, "SET GLOBAL max_connections = 5000");
    const dir = join(lab.plan.dir, "round");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const d = labDeployment(lab) as { deploy: Record<string, unknown>; clusters: Record<string, unknown>[] };
    const base = d.clusters[0] as { name: string };
    d.deploy.push = false;
    d.deploy.pairsPerSchedule = o.pairsPerSchedule;
    d.deploy.dashboard = false;
    // SQL stand-ins (FAKE_SQL_PORTS, in the client namespace, answering as the recorded MariaDB pair):
    // a thousand pairs' probes would otherwise be 3,000 connections to the lab's two real servers
    const b0 = base as unknown as {
      nodes: Record<"a" | "b", Record<string, unknown>>;
      mysql: Record<string, unknown>;
    };
    const { heartbeat: _hb, ...withoutHeartbeat } = base as Record<string, unknown>;
    // each simulated pair has managed node ids of its own, as a real fleet does (a command reaches each
    // id once), which the SSM stand-in maps to the lab's two namespaces; the EC2 view keeps the lab's ids
    const runnerOf = (id: "a" | "b") => b0.nodes[id].runner as { type: string; instanceId?: string };
    const ownId = (i: number, id: "a" | "b") => `i-0${(i + 1).toString(16).padStart(15, "0")}${id}`;
    const ec2 = (base as { ec2?: Record<string, unknown> }).ec2;
    d.clusters = Array.from({ length: o.pairs }, (_, i) => ({
      ...withoutHeartbeat,
      name: `${base.name}-${String(i + 1).padStart(4, "0")}`,
      vip: { host: "127.0.0.1", port: FAKE_SQL_PORTS.vip },
      mysql: { user: b0.mysql.user },
      nodes: Object.fromEntries(
        NODE_IDS.map((id) => [
          id,
          {
            ...b0.nodes[id],
            host: "127.0.0.1",
            port: FAKE_SQL_PORTS[id],
            ...(runnerOf(id).type === "ssm" ? { runner: { ...runnerOf(id), instanceId: ownId(i, id) } } : {}),
          },
        ]),
      ),
      ...(ec2 && !ec2.nodes
        ? {
            ec2: {
              ...ec2,
              nodes: Object.fromEntries(NODE_IDS.map((id) => [id, { instanceId: runnerOf(id).instanceId }])),
            },
          }
        : {}),
    }));
    const holder = await lab.waitSingleHolder(60_000);
    const deployFile = join(dir, "deploy.yaml");
    writeFileSync(deployFile, stringify(d, { aliasDuplicateObjects: false }));
    const assembly = join(dir, "cdk.out");
    const { app } = buildApp(deployFile, new App({ outdir: assembly }));
    app.synth();
    const out = join(dir, "result.json");
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        "ip",
        [
          "netns",
          "exec",
          lab.plan.client.ns,
          process.execPath,
          "--import",
          "tsx",
          fileURLToPath(import.meta.url),
          "inside",
          JSON.stringify({
            deployFile,
            assembly,
            out,
            rounds: o.rounds,
            shards: o.shards ?? Math.max(1, Math.ceil(o.pairs / 100)),
            holder,
          }),
        ],
        { stdio: ["ignore", "inherit", "inherit"], env: process.env },
      );
      child.on("error", reject);
      child.on("close", (code) =>
        code === 0 ? resolve() : reject(new Error(`the round ended with ${code}`)),
      );
    });
    return JSON.parse(readFileSync(out, "utf8")) as RoundResult;
  } finally {
    await lab.down();
  }
}

/** Inside the client namespace: the assembly run for `rounds` rounds. */
async function inside(a: {
  deployFile: string;
  assembly: string;
  out: string;
  rounds: number;
  shards: number;
  holder: "a" | "b";
}): Promise<void> {
  const latency = (process.env.BENCH_SSM_LATENCY_MS ?? "1000-3000").split("-").map(Number) as [
    number,
    number,
  ];
  const rates = Object.fromEntries(
    (process.env.BENCH_SSM_RATES ?? "SendCommand=50,GetCommandInvocation=100,ListCommandInvocations=100")
      .split(",")
      .filter(Boolean)
      .map((kv) => {
        const [k, v] = kv.split("=");
        return [k as string, Number(v)];
      }),
  );
  const deploy = DeploySchema.parse(parse(readFileSync(a.deployFile, "utf8")));
  const env = { region: deploy.deploy.region, account: deploy.deploy.account ?? REHEARSAL_ACCOUNT.account };
  const deployment = readDeployment(new DeployedTemplate(a.assembly, env));
  const fn = deployment.functions[0];
  if (!fn) throw new Error("no function");
  // the schedules of every stack (beyond pairsPerStack, the pairs' are in sibling stacks)
  const schedules = assemblyStacks(a.assembly).flatMap((name) => {
    const t = new DeployedTemplate(a.assembly, env, name);
    return t
      .ofType("AWS::Scheduler::Schedule")
      .map(([id]) => t.props<{ Target: { Arn: string; Input: string } }>(id))
      .filter((s) => s.Target.Arn === fn.arn)
      .map((s) => JSON.parse(s.Target.Input) as unknown);
  });
  // every pair is the lab's pair: each pair's own instance ids, the lab's two namespaces
  const lab = new Lab({ name: "mhpr", subnet: "198.18.121.0/24" });
  const namespaces: Record<string, string> = {};
  for (const c of deploy.clusters)
    for (const id of NODE_IDS) {
      const r = c.nodes[id].runner;
      if (r.type === "ssm") namespaces[r.instanceId] = lab.plan.nodes[id].ns;
    }
  const closers: (() => Promise<void> | void)[] = [];
  try {
    const db = await serveDynalite();
    closers.push(() => db.close());
    const dynamoUrl = db.endpoint;
    const dynamo = new DynamoDBClient({
      endpoint: dynamoUrl,
      region: env.region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await createTables(dynamo, deployment.tables);
    const sesPort = await freePort();
    const ses = await spawnSesLocal(sesPort);
    closers.push(() => void ses.kill("SIGKILL"));
    const runCommand = new SimulatedRunCommand(deployment.documents, namespaces, latency, {
      vip: lab.plan.vip,
      port: lab.plan.mysqlPort,
    });
    for (const server of await fakePairSql(a.holder)) closers.push(() => server.close());
    const mailFrom = fn.environment.MAIL_FROM ?? "";
    const endpoints = new LocalEndpoints({
      region: env.region,
      account: env.account,
      authorizer: new RoleAuthorizer(fn.roleArn, env.account, fn.policies),
      nodeAuthorizer: new RoleAuthorizer(`arn:aws:iam::${env.account}:role/lab-node`, env.account, []),
      invokeAsync: () => false,
      runCommand,
      secrets: {
        [deploy.deploy.passwordSecretArn]: lab.plan.users.monitor.password,
        ...(deploy.deploy.heartbeatPasswordSecretArn
          ? { [deploy.deploy.heartbeatPasswordSecretArn]: lab.plan.users.heartbeat.password }
          : {}),
      },
      dynamodbBackend: dynamoUrl,
      sesBackend: `http://127.0.0.1:${sesPort}`,
      ses: {
        verified: [mailFrom, mailFrom.split("@")[1] ?? "", ...(fn.environment.MAIL_TO ?? "").split(",")],
        sandbox: true,
      },
      ec2: new Ec2World({
        callsLog: lab.plan.ec2.callsLog,
        faultFile: lab.plan.ec2.faultFile,
        ...labEc2Topology(lab.plan),
      }),
    });
    endpoints.faults.ssmRates = rates;
    await endpoints.start();
    closers.push(() => endpoints.stop());
    const cw = new LocalCloudWatch([], 1);
    const lambda = new LocalLambda(functionSpecOf(fn, env.region, endpoints.env), cw, 1);
    // the stand-ins play AWS's services, which a hundred environments on this machine's CPUs would
    // otherwise starve (an equal share each); the environments still compete among themselves
    lambda.niceness = ENV_NICE;
    closers.push(() => lambda.close());
    const probeLines: { cluster: string; status: string; findings: string[] }[] = [];
    const errorLines: string[] = [];
    lambda.onLog = (line) => {
      if ((line.includes('"pair failed"') || line.includes("ERROR")) && errorLines.length < 50)
        errorLines.push(line.slice(0, 2000));
      if (!line.includes('"message":"probe"')) return;
      try {
        probeLines.push(JSON.parse(line));
      } catch {}
    };
    const result: RoundResult = {
      pairs: deploy.clusters.length,
      pairsPerSchedule: deploy.deploy.pairsPerSchedule,
      ssmLatencyMs: latency,
      ssmRates: rates,
      envNice: ENV_NICE,
      rounds: [],
    };
    // every environment warmed by one earlier minute (5 at a time); BENCH_ROUND_PREWARM=0: the first round
    // starts every environment at once (a cold deployment)
    if (process.env.BENCH_ROUND_PREWARM !== "0") {
      const t0 = Date.now();
      const w = await lambda.prewarm(schedules, 5);
      console.error(`warmed ${schedules.length} environments in ${Date.now() - t0} ms: ${JSON.stringify(w)}`);
      result.warmup = { environments: schedules.length, ms: Date.now() - t0, ...w };
    }
    // the round in shards of schedules, one after another, each with its share of the account's SSM
    // rates: AWS runs every invocation at once on a machine of its own, this machine has 2 CPUs
    const shards = Math.min(a.shards, schedules.length);
    const perShard = Math.ceil(schedules.length / shards);
    result.shards = shards;
    endpoints.faults.ssmRates = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, v / shards]));
    for (let r = 0; r < a.rounds; r++) {
      const cpuBefore = { fn: lambda.cpuMs(), own: process.cpuUsage() };
      const callsBefore = endpoints.calls.length;
      const checksBefore = { commands: runCommand.sent, nodeChecks: runCommand.nodeChecks };
      const linesBefore = probeLines.length;
      const started = Date.now();
      const records: Awaited<ReturnType<LocalLambda["invoke"]>>[] = [];
      const shardMs: number[] = [];
      for (let k = 0; k < shards; k++) {
        // a full bucket, as after the quiet end of a minute
        if (k > 0) await new Promise((res) => setTimeout(res, 1000));
        const t0 = Date.now();
        // every schedule of the shard at once, as at the top of a minute
        const part = schedules.slice(k * perShard, (k + 1) * perShard);
        records.push(...(await Promise.all(part.map((s) => lambda.invoke(s, "aws.scheduler")))));
        shardMs.push(Date.now() - t0);
      }
      // the shards stand for invocations that run side by side: the round lasts as long as the longest
      const roundMs = Math.max(...shardMs);
      const own = process.cpuUsage(cpuBefore.own);
      const cpuS = {
        function: (lambda.cpuMs() - cpuBefore.fn) / 1000,
        standIns: (own.user + own.system) / 1e6,
      };
      const calls: Record<string, { ok: number; throttled: number }> = {};
      for (const c of endpoints.calls.slice(callsBefore)) {
        const k = `${c.service}:${c.operation}`;
        calls[k] ??= { ok: 0, throttled: 0 };
        if (c.outcome === "fault") calls[k].throttled++;
        else calls[k].ok++;
      }
      const lines = probeLines.slice(linesBefore);
      const statuses: Record<string, number> = {};
      for (const l of lines) statuses[l.status] = (statuses[l.status] ?? 0) + 1;
      const ms = records.map((x) => x.durationMs);
      result.rounds.push({
        roundMs,
        shardMs,
        wallMs: Date.now() - started,
        invocations: records.length,
        invocationMs: { p50: pct(ms, 50), p95: pct(ms, 95), max: Math.max(...ms) },
        functionErrors: records.filter((x) => !x.ok).length,
        coldStarts: records.filter((x) => x.coldStart).length,
        cpuS,
        calls,
        ssm: {
          commands: runCommand.sent - checksBefore.commands,
          nodeChecks: runCommand.nodeChecks - checksBefore.nodeChecks,
        },
        pairsProbed: new Set(lines.map((l) => l.cluster)).size,
        statuses,
        nodeChecksFailed: lines.filter((l) => l.findings.includes("NODE_CHECK_FAILED")).length,
        findings: lines
          .flatMap((l) => l.findings)
          .reduce<Record<string, number>>((acc, f) => {
            acc[f] = (acc[f] ?? 0) + 1;
            return acc;
          }, {}),
      });
      console.error(`round ${r + 1}: ${JSON.stringify(result.rounds.at(-1))}`);
      // the next round a minute after this one started, as the schedule would (at most)
      const rest = 60_000 - (Date.now() - started);
      if (r + 1 < a.rounds && rest > 0) await new Promise((res) => setTimeout(res, Math.min(rest, 15_000)));
    }
    writeFileSync(a.out, JSON.stringify(result));
    for (const l of errorLines.slice(0, 4))
      console.error(`function error: ${l.slice(l.indexOf(`"cluster":`))}`);
  } finally {
    for (const c of closers.reverse()) await c();
    for (const ns of Object.values(namespaces))
      rmSync(join("/tmp", `mhp-round-${process.pid}-${ns}`), { recursive: true, force: true });
  }
}

if (process.argv[2] === "inside") {
  await inside(JSON.parse(process.argv[3] as string));
  process.exit(0);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await fleetRound({
    pairs: Number(process.env.BENCH_ROUND_PAIRS ?? 1000),
    pairsPerSchedule: Number(process.env.BENCH_ROUND_PER_SCHEDULE ?? 10),
    rounds: Number(process.env.BENCH_ROUND_ROUNDS ?? 2),
    ...(process.env.BENCH_ROUND_SHARDS ? { shards: Number(process.env.BENCH_ROUND_SHARDS) } : {}),
    log: (l) => console.error(l),
  });
  console.log(JSON.stringify(r));
}
