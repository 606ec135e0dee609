/**
 * What the synthesized template deploys, read the way AWS reads it: each probe function (asset,
 * handler, timeout, memory, environment, role and its policies, async invoke config), its schedule,
 * the alarms, the dashboards' metric series, the tables and the SSM documents.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import type { AlarmSpec, MetricFilterSpec } from "./cloudwatch.ts";
import { widgetSeries } from "./cloudwatch.ts";
import type { CommandDocument } from "./ssm.ts";
import type { DeployedTemplate } from "./template.ts";

export interface DeployedFunction {
  logicalId: string;
  name: string;
  arn: string;
  handler: string;
  /** The Lambda runtime (`nodejs24.x`): the asset runs on that Node.js major. */
  runtime: string;
  assetDir: string;
  timeoutSeconds: number;
  memorySize: number;
  environment: Record<string, string>;
  roleArn: string;
  policies: { name: string; document: unknown }[];
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  onFailureArn?: string;
  /** From its schedules (every pair's runs at the same rate). */
  scheduleRateSeconds: number | null;
  /** Each schedule's event, as the template gives it (the pair's name): what the rehearsal invokes with. */
  schedules: { rateSeconds: number; input: unknown }[];
  /** The pairs in the asset's fleet file (as the function will read them). */
  fleet: { name: string }[];
  /** ReservedConcurrentExecutions; null: none (the account's unreserved pool). */
  reservedConcurrency: number | null;
  /** Its aliases' names (the push function's: one per node, n-<instance id>). */
  aliases: string[];
}

export interface DeployedTable {
  name: string;
  keySchema: { AttributeName: string; KeyType: string }[];
  attributeDefinitions: { AttributeName: string; AttributeType: string }[];
  billingMode: string;
}

export interface Deployment {
  functions: DeployedFunction[];
  alarms: AlarmSpec[];
  widgets: ReturnType<typeof widgetSeries>;
  tables: DeployedTable[];
  documents: Record<string, CommandDocument>;
  queues: { name: string; arn: string }[];
  /** The managed policies made for the nodes' roles (push), as attached there. */
  nodePolicies: { name: string; document: unknown }[];
  /** The metric filters of the functions' log groups (CloudWatch Logs turns matching lines into datapoints). */
  metricFilters: MetricFilterSpec[];
}

export function readDeployment(t: DeployedTemplate): Deployment {
  const functions = t
    .ofType("AWS::Lambda::Function")
    .filter(([id]) => {
      const env = t.props<{ Environment?: { Variables?: Record<string, string> } }>(id).Environment
        ?.Variables;
      return env?.FLEET_CONFIG_FILE !== undefined;
    })
    .map(([id, r]) => readFunction(t, id, r));
  const alarms = t.ofType("AWS::CloudWatch::Alarm").map(([id, r]) => readAlarm(t, id, r));
  const widgets = t
    .ofType("AWS::CloudWatch::Dashboard")
    .flatMap(([id]) => widgetSeries(t.props<{ DashboardBody: string }>(id).DashboardBody));
  const tables = t.ofType("AWS::DynamoDB::Table").map(([id]) => {
    const p = t.props<{
      KeySchema: DeployedTable["keySchema"];
      AttributeDefinitions: DeployedTable["attributeDefinitions"];
      BillingMode?: string;
    }>(id);
    return {
      name: t.ref(id),
      keySchema: p.KeySchema,
      attributeDefinitions: p.AttributeDefinitions,
      billingMode: p.BillingMode ?? "PROVISIONED",
    };
  });
  const documents = Object.fromEntries(
    t.ofType("AWS::SSM::Document").map(([id]) => {
      const p = t.props<{ Name: string; Content: CommandDocument | string }>(id);
      return [p.Name, typeof p.Content === "string" ? (JSON.parse(p.Content) as CommandDocument) : p.Content];
    }),
  );
  const queues = t
    .ofType("AWS::SQS::Queue")
    .map(([id]) => ({ name: t.physicalName(id), arn: t.getAtt(id, "Arn") }));
  const nodePolicies = t.ofType("AWS::IAM::ManagedPolicy").map(([id]) => ({
    name: id,
    document: t.props<{ PolicyDocument: unknown }>(id).PolicyDocument,
  }));
  const metricFilters = t.ofType("AWS::Logs::MetricFilter").flatMap(([id]) => {
    const p = t.props<{
      FilterPattern: string;
      MetricTransformations: { MetricNamespace: string; MetricName: string; MetricValue: string }[];
    }>(id);
    return p.MetricTransformations.map((m) => ({
      pattern: p.FilterPattern,
      namespace: m.MetricNamespace,
      name: m.MetricName,
      value: m.MetricValue,
    }));
  });
  return { functions, alarms, widgets, tables, documents, queues, nodePolicies, metricFilters };
}

type TemplateResource = ReturnType<DeployedTemplate["ofType"]>[number][1];

/** One probe function as deployed: its code, environment, role, invoke config, schedules, fleet, aliases. */
function readFunction(t: DeployedTemplate, id: string, r: TemplateResource): DeployedFunction {
  const p = t.props<{
    Handler: string;
    Runtime: string;
    Timeout?: number;
    MemorySize?: number;
    Environment?: { Variables?: Record<string, string> };
    ReservedConcurrentExecutions?: number;
  }>(id);
  const roleRef = (r.Properties?.Role as { "Fn::GetAtt"?: [string, string] } | undefined)?.[
    "Fn::GetAtt"
  ]?.[0];
  if (!roleRef) throw new Error(`${id}: the function's role is not a role of the template`);
  const arn = t.getAtt(id, "Arn");
  const invokeConfig = t
    .ofType("AWS::Lambda::EventInvokeConfig")
    .map(([cid]) =>
      t.props<{
        FunctionName: string;
        MaximumRetryAttempts?: number;
        MaximumEventAgeInSeconds?: number;
        DestinationConfig?: { OnFailure?: { Destination?: string } };
      }>(cid),
    )
    .find((c) => c.FunctionName === t.ref(id));
  const schedules = t
    .ofType("AWS::Scheduler::Schedule")
    .map(([sid]) => t.props<{ ScheduleExpression: string; Target: { Arn: string; Input?: string } }>(sid))
    .filter((s) => s.Target.Arn === arn)
    .map((s) => ({
      rateSeconds: rateSeconds(s.ScheduleExpression),
      input: s.Target.Input === undefined ? {} : (JSON.parse(s.Target.Input) as unknown),
    }));
  const assetDir = t.assetDir(id);
  const fleetFile = p.Environment?.Variables?.FLEET_CONFIG_FILE ?? "fleet.json";
  const fleet = JSON.parse(readFileSync(join(assetDir, fleetFile), "utf8")) as { name: string }[];
  return {
    logicalId: id,
    name: t.ref(id),
    arn,
    handler: p.Handler,
    runtime: p.Runtime,
    assetDir,
    // Lambda's defaults where the template says nothing
    timeoutSeconds: p.Timeout ?? 3,
    memorySize: p.MemorySize ?? 128,
    environment: p.Environment?.Variables ?? {},
    roleArn: t.getAtt(roleRef, "Arn"),
    policies: t.rolePolicies(roleRef),
    maximumRetryAttempts: invokeConfig?.MaximumRetryAttempts ?? 2,
    maximumEventAgeSeconds: invokeConfig?.MaximumEventAgeInSeconds ?? 21_600,
    ...(invokeConfig?.DestinationConfig?.OnFailure?.Destination
      ? { onFailureArn: invokeConfig.DestinationConfig.OnFailure.Destination }
      : {}),
    scheduleRateSeconds: schedules[0]?.rateSeconds ?? null,
    schedules,
    fleet,
    reservedConcurrency: p.ReservedConcurrentExecutions ?? null,
    aliases: t
      .ofType("AWS::Lambda::Alias")
      .map(([aid]) => t.props<{ FunctionName: unknown; Name: string }>(aid))
      .filter((a) => a.FunctionName === t.ref(id))
      .map((a) => a.Name),
  };
}

/** One alarm as CloudWatch evaluates it (metric alarms only). */
function readAlarm(t: DeployedTemplate, id: string, r: TemplateResource): AlarmSpec {
  const p = t.props<{
    AlarmName?: string;
    Namespace: string;
    MetricName: string;
    Dimensions?: { Name: string; Value: string }[];
    Statistic: string;
    Period: number;
    EvaluationPeriods: number;
    DatapointsToAlarm?: number;
    ComparisonOperator: string;
    Threshold: number;
    TreatMissingData?: AlarmSpec["treatMissingData"];
  }>(id);
  if (!p.MetricName) throw new Error(`${id}: metric-math alarms are not emulated`);
  const path = String(r.Metadata?.["aws:cdk:path"] ?? id).split("/");
  return {
    name: p.AlarmName ?? (path.at(-1) === "Resource" ? path.at(-2) : path.at(-1)) ?? id,
    namespace: p.Namespace,
    metricName: p.MetricName,
    dimensions: p.Dimensions ?? [],
    statistic: p.Statistic,
    period: p.Period,
    evaluationPeriods: p.EvaluationPeriods,
    ...(p.DatapointsToAlarm ? { datapointsToAlarm: p.DatapointsToAlarm } : {}),
    comparison: p.ComparisonOperator,
    threshold: p.Threshold,
    treatMissingData: p.TreatMissingData ?? "missing",
  };
}

/** `rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)` -> seconds. */
export function rateSeconds(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) throw new Error(`schedule expression ${expression} is not emulated (rate only)`);
  const unit = m[2]?.startsWith("minute") ? 60 : m[2]?.startsWith("hour") ? 3600 : 86_400;
  return Number(m[1]) * unit;
}

/** Creates the template's tables in a local DynamoDB, as CloudFormation would (each call with a deadline). */
export async function createTables(
  client: { send(c: CreateTableCommand, o: { abortSignal: AbortSignal }): Promise<unknown> },
  tables: readonly DeployedTable[],
): Promise<void> {
  for (const t of tables)
    await client.send(
      new CreateTableCommand({
        TableName: t.name,
        KeySchema: t.keySchema as never,
        AttributeDefinitions: t.attributeDefinitions as never,
        BillingMode: t.billingMode as never,
      }),
      { abortSignal: AbortSignal.timeout(5000) },
    );
}
