/**
 * The monthly cost of a deployment, recomputed from its synthesized template (not by hand): every alarm,
 * custom metric, metric filter, dashboard, KMS key, VPC endpoint and schedule the template holds, priced at
 * us-east-1 list prices, with the few inputs only a run can give (invocation time, log bytes and state item
 * size per probe) stated as measured assumptions. `npm run bench -- cost [deploy.yaml]` prints the table.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { buildApp } from "../infra/app.ts";
import { readDeployment } from "../rehearsal/deployment.ts";
import { assemblyStacks, DeployedTemplate } from "../rehearsal/template.ts";

/** us-east-1 list prices (USD), as of the project's pricing review; a month is 30 days. */
export const PRICES = {
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  schedulerInvocation: 1 / 1e6,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  customMetric: 0.3,
  alarm: 0.1,
  dashboard: 3,
  logsIngestGb: 0.5,
  kmsKey: 1,
  /** An interface endpoint, per zone per month ($0.01 an hour), data processing apart. */
  interfaceEndpointPerAz: 7.3,
  /** A NAT gateway per month ($0.045 an hour), data processing apart. */
  natGateway: 32.85,
  xrayTrace: 5 / 1e6,
  sesMail: 0.1 / 1000,
} as const;

/** What only a run can tell, with where each figure comes from. */
export interface RunAssumptions {
  /** Seconds an invocation of a full schedule (its pairs side by side) takes. */
  invocationSeconds: number;
  /** Bytes the function logs per probe (the probe line and its EMF record). */
  logBytesPerProbe: number;
  /** The pair's current state item: DynamoDB on demand bills one write unit per KB, rounded up. */
  stateItemBytes: number;
}

export const MEASURED: RunAssumptions = {
  // BENCHMARKS: the simulated 1,000-pair round, ten pairs per invocation, p50 6-7 s
  invocationSeconds: 7,
  // BENCHMARKS: about 2.4 KB of log per probe in the lab
  logBytesPerProbe: 2400,
  // issue "Deployed in a real account": the state item of a pair is 1.3-2.4 KB (2-3 write units)
  stateItemBytes: 2400,
};

export interface CostLine {
  item: string;
  count: string;
  monthly: number;
  /** Paid per deployment, whatever the number of pairs. */
  shared: boolean;
}

const MONTH_SECONDS = 30 * 86_400;

export function costOf(
  assemblyDir: string,
  env = { region: "us-east-1", account: "123456789012" },
  run = MEASURED,
) {
  const lines: CostLine[] = [];
  const t = (stack: string) => new DeployedTemplate(assemblyDir, env, stack);
  const templates = assemblyStacks(assemblyDir).map(t);
  const main = templates[0];
  if (!main) throw new Error(`${assemblyDir}: no stack`);
  const deployment = readDeployment(main);
  const fn = deployment.functions[0];
  if (!fn) throw new Error("no probe function in the template");
  const all = <T>(f: (x: DeployedTemplate) => T[]) => templates.flatMap(f);
  const pairs = fn.fleet.length;
  // schedules: every stack's, each invoking the function for its pairs
  const schedules = all((x) =>
    x.ofType("AWS::Scheduler::Schedule").map(([id]) => x.props<{ ScheduleExpression: string }>(id)),
  );
  const perMonth = (expr: string) => {
    const m = /^rate\((\d+) minutes?\)$/.exec(expr);
    return m ? MONTH_SECONDS / (Number(m[1]) * 60) : 0;
  };
  const invocations = schedules.reduce((n, s) => n + perMonth(s.ScheduleExpression), 0);
  const probes = pairs * (schedules[0] ? perMonth(schedules[0].ScheduleExpression) : 0);
  const gbSeconds = invocations * run.invocationSeconds * (fn.memorySize / 1024);
  lines.push({
    item: "Lambda compute (ARM)",
    count: `${Math.round(invocations)} invocations x ${run.invocationSeconds} s x ${fn.memorySize} MB`,
    monthly: gbSeconds * PRICES.lambdaArmGbSecond,
    shared: false,
  });
  lines.push({
    item: "Lambda requests + EventBridge Scheduler",
    count: `${Math.round(invocations)} invocations`,
    monthly: invocations * (PRICES.lambdaRequest + PRICES.schedulerInvocation),
    shared: false,
  });
  lines.push({
    item: "X-Ray traces (tracing active)",
    count: `${Math.round(invocations)} traces`,
    monthly: invocations * PRICES.xrayTrace,
    shared: false,
  });
  const writeUnits = Math.ceil(run.stateItemBytes / 1024);
  lines.push({
    item: "DynamoDB on demand",
    count: `${Math.round(probes)} probes x (1 consistent read + 1 write of ${run.stateItemBytes} B = ${writeUnits} write units)`,
    monthly: probes * (PRICES.dynamoReadUnit + writeUnits * PRICES.dynamoWriteUnit),
    shared: false,
  });
  lines.push({
    item: "CloudWatch Logs ingestion",
    count: `${Math.round(probes)} probes x ${run.logBytesPerProbe} B`,
    monthly: ((probes * run.logBytesPerProbe) / 1e9) * PRICES.logsIngestGb,
    shared: false,
  });
  // custom metrics: the pair metrics the function declares (one per pair unless detailed), the metric
  // filters' metrics, and Powertools' ColdStart (one series: function_name and service)
  const detailed = fn.environment.DETAILED_METRICS === "true";
  const pairMetrics = pairs * (detailed ? 14 : 1);
  const filterMetrics = new Set(deployment.metricFilters.map((f) => `${f.namespace}/${f.name}`)).size;
  lines.push({
    item: "custom metrics, per pair",
    count: `${pairMetrics} (${detailed ? "14" : "ClusterStatus"} per pair)`,
    monthly: pairMetrics * PRICES.customMetric,
    shared: false,
  });
  lines.push({
    item: "custom metrics, shared",
    count: `${filterMetrics} from metric filters + 1 ColdStart`,
    monthly: (filterMetrics + 1) * PRICES.customMetric,
    shared: true,
  });
  const alarms = all((x) =>
    x.ofType("AWS::CloudWatch::Alarm").map(([id]) => x.props<{ AlarmName?: string }>(id).AlarmName ?? id),
  );
  const fleetAlarms = alarms.filter((a) => !/-(DownOrSplitBrain|DeadMansSwitch)$/.test(a));
  lines.push({
    item: "alarms, per pair",
    count: `${alarms.length - fleetAlarms.length}`,
    monthly: (alarms.length - fleetAlarms.length) * PRICES.alarm,
    shared: false,
  });
  lines.push({
    item: "alarms, shared",
    count: `${fleetAlarms.length}`,
    monthly: fleetAlarms.length * PRICES.alarm,
    shared: true,
  });
  const dashboards = all((x) => x.ofType("AWS::CloudWatch::Dashboard")).length;
  lines.push({
    item: "dashboard",
    count: `${dashboards} (free within CloudWatch's three free dashboards; its Logs Insights widgets scan the log group each time it is viewed, $0.005 per GB)`,
    monthly: dashboards * PRICES.dashboard,
    shared: true,
  });
  const keys = all((x) => x.ofType("AWS::KMS::Key")).length;
  lines.push({
    item: "KMS keys",
    count: `${keys} (the alarm topic's; the table's with tableCustomerManagedKey)`,
    monthly: keys * PRICES.kmsKey,
    shared: true,
  });
  const endpoints = all((x) =>
    x
      .ofType("AWS::EC2::VPCEndpoint")
      .map(([id]) => x.props<{ VpcEndpointType?: string; SubnetIds?: string[] }>(id)),
  );
  const interfaceAzs = endpoints
    .filter((e) => e.VpcEndpointType === "Interface")
    .reduce((n, e) => n + (e.SubnetIds?.length ?? 1), 0);
  lines.push({
    item: "VPC interface endpoints",
    count:
      endpoints.length === 0
        ? "none created (a NAT gateway, $32.85 a month, or the VPC's own endpoints: zero if it already has them)"
        : `${interfaceAzs} endpoint-zones (the DynamoDB gateway endpoint is free)`,
    monthly: interfaceAzs * PRICES.interfaceEndpointPerAz,
    shared: true,
  });
  const total = lines.reduce((n, l) => n + l.monthly, 0);
  const shared = lines.filter((l) => l.shared).reduce((n, l) => n + l.monthly, 0);
  return { pairs, lines, total, shared, perPair: total / pairs, run };
}

export function costTable(c: ReturnType<typeof costOf>): string {
  const rows = c.lines.map(
    (l) => `| ${l.item} | ${l.count} | $${l.monthly.toFixed(2)} | ${l.shared ? "shared" : "per pairs"} |`,
  );
  return [
    `${c.pairs} pair(s): **$${c.total.toFixed(2)} a month**, $${c.perPair.toFixed(2)} per pair ($${c.shared.toFixed(2)} of it shared)`,
    "",
    "| item | from the template | per month | |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

/** Synthesizes a deployment file (the example by default) and prices it. */
export function costOfDeployment(
  file = fileURLToPath(new URL("../infra/deploy.example.yaml", import.meta.url)),
) {
  const out = mkdtempSync(join(tmpdir(), "mhp-cost-"));
  const { app } = buildApp(file, new App({ outdir: out }));
  app.synth();
  return costOf(out);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  console.log(costTable(costOfDeployment(process.argv[2])));
}
