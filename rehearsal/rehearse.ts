/**
 * The rehearsal of the deployment, run inside the lab's client namespace (where the VPC would put the
 * function): the synthesized cloud assembly is "deployed" onto local endpoints and driven through a
 * drill. Everything comes from the template: the function's asset, environment, timeout and role, its
 * schedule and async invoke config, the table, the SSM document, the alarms and the dashboard.
 */

import { createWriteStream, rmSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { SESClient, SendEmailCommand } from "@aws-sdk/client-ses";
import { freePort, serveDynalite, spawnSesLocal } from "../emulators/aws.ts";
import { PUSH_SOURCE } from "../functions/probe/push-event.ts";
import { Ec2World, labEc2Topology } from "../lab/ec2-standin.ts";
import type { FaultKind, Lab } from "../lab/lab.ts";
import { LAB_SES_CONFIGURATION_SET, labCluster, REHEARSAL_ACCOUNT } from "../lab/lab-config.ts";
import type { NodeId } from "../lab/plan.ts";
import { acknowledgeIncidents } from "../shared/acknowledge.ts";
import { DynamoStore } from "../shared/adapters/dynamo-store.ts";
import { triggerListener } from "../shared/adapters/trigger-fifo.ts";
import { STATUS_LABEL } from "../shared/domain/mail.ts";
import type { Status } from "../shared/domain/state.ts";
import { setSilence } from "../shared/stored-state.ts";
import { renderStatus } from "../shared/text/status-output.ts";
import { waitFor } from "../shared/util/wait.ts";
import { type AlarmState, LocalCloudWatch } from "./cloudwatch.ts";
import { createTables, type DeployedFunction, readDeployment } from "./deployment.ts";
import { RoleAuthorizer } from "./iam.ts";
import { functionSpecOf, LocalLambda, LocalQueue } from "./lambda.ts";
import { LocalEndpoints } from "./local-endpoints.ts";
import { LocalSns, readAlarmDelivery, SNS_SENDER } from "./sns.ts";
import { LocalRunCommand, orchestrationFootprint } from "./ssm.ts";
import { type AssemblyEnv, DeployedTemplate } from "./template.ts";

export interface RehearsalInput {
  lab: Lab;
  assemblyDir: string;
  env: AssemblyEnv;
  /** Managed-node id -> lab namespace. */
  instances: Record<string, string>;
  /** The secrets the account holds (ARN -> value): created before the deployment, as the guide says. */
  secrets: Record<string, string>;
  /** Template time runs this many times faster (a 1-minute schedule fires every 60/f seconds). */
  timeFactor: number;
  log: (line: string) => void;
  /** How long one step may take before it counts as failed. @default 120 s */
  stepTimeoutMs?: number;
  /** Where the function's log lines (its CloudWatch Logs) are written. */
  functionLogFile?: string;
  /** The drill to run. @default DRILL */
  drill?: Step[];
}

export interface StepReport {
  name: string;
  ok: boolean;
  status: Status | null;
  mails: string[];
  alarms: Record<string, AlarmState>;
  /** Every alarm state change during the step, in order: "name: OK -> ALARM". */
  alarmChanges: string[];
  functionErrors: number;
  /** Function errors are part of this step (the store is down on purpose). */
  errorsExpected: boolean;
  failures: string[];
  seconds: number;
  startedAt: number;
  endedAt: number;
}

export interface RehearsalReport {
  ok: boolean;
  timeFactor: number;
  steps: StepReport[];
  /** Function errors outside the steps that expect them. */
  functionErrors: number;
  deniedCalls: { action: string; resource: string; result: string; step: string }[];
  /** Widget series that never received a datapoint. */
  widgetsWithoutData: string[];
  /** Metric series the function emitted, as "Namespace/Name{Dim,Dim}". */
  emittedSeries: string[];
  invocations: number;
  coldStarts: number;
  /** SendCommand calls accepted, and the node checks they carried (a command reaches up to 50 nodes). */
  ssmCommands: number;
  ssmNodeChecks: number;
  failureQueueMessages: number;
  /** Push: the notify scripts' triggers, the invokes refused, and the function's pushed invocations. */
  push: {
    triggers: number;
    refused: number;
    invocations: number;
    /** Node calls IAM denied (a drill's forbidden invokes). */
    nodeDenied: number;
    /** Pushes the push function refused (another pair, a flood, no alias). */
    refusedByFunction: number;
    /** Async events the push function's reserved concurrency throttled (each retry counts). */
    throttled: number;
    /** Async events of the push function dropped as too old after being throttled. */
    dropped: number;
  };
  /**
   * Every alarm notification: published as cloudwatch.amazonaws.com to the alarm's topic (topic and key
   * policies evaluated), delivered to the topic's email subscriptions in the lab's mail viewer.
   */
  alarmNotifications: { alarm: string; state: string; delivered: boolean; reason?: string; to: string[] }[];
  /** Alarms that went to ALARM and whose notification did not arrive: the rehearsal fails on any. */
  undeliveredAlarms: string[];
  /**
   * What the node checks left on the nodes, as the SSM agent keeps it by default (an orchestration folder
   * per command and node, 14 days): folders, bytes, and bytes per node check.
   */
  nodeFootprint: { folders: number; files: number; bytes: number; bytesPerCheck: number };
}

export interface Ctx {
  lab: Lab;
  endpoints: LocalEndpoints;
  runCommand: LocalRunCommand;
  cw: LocalCloudWatch;
  lambda: LocalLambda;
  /** The push function (push on). */
  pushLambda?: LocalLambda;
  /** An Invoke signed as an EC2 node (`instanceId`): its own alias of the push function unless `target` says. */
  pushAs(instanceId: string, payload: unknown, target?: { arn: string; qualifier?: string }): Promise<number>;
  /** The push function's "push refused" log lines, as it wrote them. */
  pushRefusals: string[];
  /** The scheduled function's ARN (what no node may invoke), and the push function's. */
  probeArn: string;
  pushArn: string;
  /** The schedule's rate as deployed, and the rehearsal's time scale (1 / time factor). */
  scheduleRateSeconds: number;
  scale: number;
  schedule: { enabled: boolean };
  /** The declared status of the drilled lab's pair. */
  status(): Promise<Status | null>;
  /** The declared status of any pair of the fleet. */
  statusOf(cluster: string): Promise<Status | null>;
  /** Every pair of the deployment (the drilled lab's among them). */
  pairs: string[];
  mailSubjects(): Promise<string[]>;
  mails(): Promise<{ subject: string; text: string }[]>;
  /** The deployed state table, through the same store code the CLI's status, silence and ack use. */
  store: DynamoStore;
  clusterName: string;
  vip: string;
  instanceOf(node: NodeId): string;
  /**
   * The state of the drilled pair's alarm `mysql-ha-prober-<pair>-<short>`, else of the fleet's alarm whose
   * name ends with `-<short>` (mysql-ha-prober-<fleet>-<short>).
   */
  alarm(short: string): AlarmState | undefined;
  /** The state of another pair's alarm, mysql-ha-prober-<cluster>-<short>. */
  alarmOf(cluster: string, short: string): AlarmState | undefined;
}

export interface Step {
  name: string;
  errorsExpected?: boolean;
  run(c: Ctx, expect: Expect): Promise<void>;
}

export interface Expect {
  status(s: Status, why?: string): Promise<void>;
  mail(s: Status): Promise<void>;
  alarm(name: string, state: AlarmState): Promise<void>;
  noNewMail(forMs: number): Promise<void>;
}

/** A transition mail's subject ends with its new status, then the failover it names if any. */
function endsWithStatus(subject: string, s: Status): boolean {
  const i = subject.lastIndexOf(`-> ${STATUS_LABEL[s]}`);
  return i >= 0 && /^( \(FAILOVER[^)]*\))?$/.test(subject.slice(i + `-> ${STATUS_LABEL[s]}`.length));
}

export async function rehearse(input: RehearsalInput): Promise<RehearsalReport> {
  const { log } = input;
  const scale = 1 / input.timeFactor;
  const template = new DeployedTemplate(input.assemblyDir, input.env);
  const deployment = readDeployment(template);
  const fn = deployment.functions.find((f) => f.handler === "index.handler");
  if (!fn) throw new Error("the template deploys no probe function");
  /** The push entry (push on): its own function, one alias per node. */
  const pushFn = deployment.functions.find((f) => f.handler === "index.pushHandler");
  if (fn.scheduleRateSeconds === null) throw new Error(`${fn.name}: no schedule invokes the function`);
  log(
    `function ${fn.name}: timeout ${fn.timeoutSeconds} s, retries ${fn.maximumRetryAttempts}, event age ${fn.maximumEventAgeSeconds} s, schedule every ${fn.scheduleRateSeconds} s (${(fn.scheduleRateSeconds * scale).toFixed(1)} s here)`,
  );
  const deployed: Deployed = { input, template, deployment, fn: fn as Deployed["fn"], pushFn, scale };
  const closers: Closers = [];
  try {
    const backends = await startBackends(deployed, closers);
    const account = await startAccount(deployed, backends, closers);
    const cloud = startCloud(deployed, backends, account, closers);
    const schedule = startSchedule(deployed, cloud, closers);
    const pushes = startNodePushes(deployed, account, closers);
    const ctx = drillContext(deployed, backends, account, cloud, schedule, pushes);
    const steps = await runDrill(ctx, input.drill ?? DRILL, input.stepTimeoutMs ?? 120_000, log);
    const pushedInvocations = (cloud.pushLambda?.invocations ?? cloud.lambda.invocations).filter(
      (i) => i.source === PUSH_SOURCE,
    ).length;
    schedule.enabled = false;
    await settleInvocations(fn, cloud.lambda, steps);
    return await reportOf(deployed, steps, account, cloud, {
      ...pushes.counts,
      invocations: pushedInvocations,
    });
  } finally {
    for (const c of closers.reverse()) await c().catch(() => {});
  }
}

/** What the template deploys, and the rehearsal's input and time scale. */
interface Deployed {
  readonly input: RehearsalInput;
  readonly template: DeployedTemplate;
  readonly deployment: ReturnType<typeof readDeployment>;
  /** The scheduled probe function (its schedule rate known). */
  readonly fn: DeployedFunction & { scheduleRateSeconds: number };
  readonly pushFn: DeployedFunction | undefined;
  readonly scale: number;
}

type Closers = (() => Promise<void>)[];

/** DynamoDB (dynalite, the tables from the template's definitions) and SES (aws-ses-v2-local). */
async function startBackends({ input, deployment }: Deployed, closers: Closers) {
  const db = await serveDynalite();
  closers.push(() => db.close());
  const dynamo = new DynamoDBClient({
    endpoint: db.endpoint,
    region: input.env.region,
    credentials: LOCAL_CREDENTIALS,
  });
  closers.push(async () => dynamo.destroy());
  await createTables(dynamo, deployment.tables);
  const sesPort = await freePort();
  const ses = await spawnSesLocal(sesPort);
  closers.push(async () => void ses.kill("SIGKILL"));
  return { dynamo, dynamoUrl: db.endpoint, sesUrl: `http://127.0.0.1:${sesPort}` };
}
type Backends = Awaited<ReturnType<typeof startBackends>>;

/**
 * The account's endpoints (SSM, Secrets Manager, DynamoDB, SES, EC2, Lambda's Invoke), IAM from the role's
 * policies; the Lambda functions they invoke are set in `functions` once made.
 */
async function startAccount(
  { input, deployment, fn, pushFn }: Deployed,
  backends: Backends,
  closers: Closers,
) {
  const { lab } = input;
  const runCommand = new LocalRunCommand(deployment.documents, input.instances);
  // the nodes keep each command's orchestration folder, as the SSM agent does by default: measured below
  const orchestration = join(lab.plan.dir, "rehearsal", "ssm-orchestration");
  rmSync(orchestration, { recursive: true, force: true });
  runCommand.orchestrationRoot = orchestration;
  const authorizer = new RoleAuthorizer(fn.roleArn, input.env.account, fn.policies);
  const mailFrom = fn.environment.MAIL_FROM ?? "";
  const mailTo = (fn.environment.MAIL_TO ?? "").split(",");
  // the nodes' instance role, with what the template made for it (the push policy) attached
  const nodeAuthorizer = new RoleAuthorizer(
    `arn:aws:iam::${input.env.account}:role/lab-node`,
    input.env.account,
    deployment.nodePolicies,
  );
  const functions: { probe?: LocalLambda; push?: LocalLambda } = {};
  const endpoints = new LocalEndpoints({
    nodeAuthorizer,
    // as Lambda resolves an Invoke: the function by name, then the alias it is qualified with
    invokeAsync: (name, payload, qualifier) => {
      if (functions.probe && name === fn.name && !qualifier) {
        functions.probe.invokeAsync(payload);
        return true;
      }
      if (
        functions.push &&
        pushFn &&
        name === pushFn.name &&
        (!qualifier || pushFn.aliases.includes(qualifier))
      ) {
        functions.push.invokeAsync(payload, undefined, qualifier);
        return true;
      }
      return false;
    },
    region: input.env.region,
    account: input.env.account,
    authorizer,
    runCommand,
    secrets: input.secrets,
    dynamodbBackend: backends.dynamoUrl,
    sesBackend: backends.sesUrl,
    ec2: new Ec2World({
      callsLog: lab.plan.ec2.callsLog,
      faultFile: lab.plan.ec2.faultFile,
      ...labEc2Topology(lab.plan),
    }),
    // the sender's address identity verified (SES then authorizes that one), the sandbox on
    ses: {
      verified: [mailFrom, mailFrom.split("@")[1] ?? "", ...mailTo],
      sandbox: true,
      defaultConfigurationSets: { [mailFrom]: LAB_SES_CONFIGURATION_SET },
    },
  });
  await endpoints.start();
  closers.push(() => endpoints.stop());
  return { endpoints, runCommand, orchestration, authorizer, nodeAuthorizer, functions };
}
type Account = Awaited<ReturnType<typeof startAccount>>;

/** CloudWatch (alarms, metric filters), SNS's delivery of the alarms, the failure queue, the functions. */
function startCloud(d: Deployed, backends: Backends, account: Account, closers: Closers) {
  const { input, template, deployment, fn, pushFn, scale } = d;
  const cw = new LocalCloudWatch(deployment.alarms, scale);
  for (const f of deployment.metricFilters) cw.addMetricFilter(f);
  // alarm actions: published as CloudWatch, delivered to the alarm address in the lab's mail viewer
  const alarmDelivery = readAlarmDelivery(template);
  const snsMail = new SESClient({
    endpoint: backends.sesUrl,
    region: input.env.region,
    credentials: LOCAL_CREDENTIALS,
  });
  closers.push(async () => snsMail.destroy());
  const sns = new LocalSns(alarmDelivery.topics, input.env, async (to, subject, text) => {
    await snsMail.send(
      new SendEmailCommand({
        Source: SNS_SENDER,
        Destination: { ToAddresses: to },
        Message: { Subject: { Data: subject }, Body: { Text: { Data: text } } },
      }),
      { abortSignal: AbortSignal.timeout(3000) },
    );
  });
  const pendingNotifications: Promise<unknown>[] = [];
  cw.onTransition = (t) => {
    const actions = alarmDelivery.actions.find((a) => a.alarm === t.alarm);
    if (actions) pendingNotifications.push(sns.publishAlarm(actions, t.to, t.from, "the rehearsal's drill"));
  };
  const queues = new Map(deployment.queues.map((q) => [q.arn, new LocalQueue(q.name)]));
  const onFailure = fn.onFailureArn ? queues.get(fn.onFailureArn) : undefined;
  const env = account.endpoints.env;
  const lambda = new LocalLambda(functionSpecOf(fn, input.env.region, env, onFailure), cw, scale);
  closers.push(() => lambda.close());
  account.functions.probe = lambda;
  // each function's own invoke config: its on-failure destination, if any
  const pushLambda = pushFn
    ? new LocalLambda(
        functionSpecOf(
          pushFn,
          input.env.region,
          env,
          pushFn.onFailureArn ? queues.get(pushFn.onFailureArn) : undefined,
        ),
        cw,
        scale,
      )
    : undefined;
  const pushRefusals: string[] = [];
  if (pushLambda) {
    closers.push(() => pushLambda.close());
    account.functions.push = pushLambda;
    pushLambda.onLog = (line) => {
      if (line.includes('"push refused"')) pushRefusals.push(line);
    };
  }
  if (input.functionLogFile) {
    const stream = createWriteStream(input.functionLogFile);
    lambda.onLog = (line) => stream.write(`${line}\n`);
    closers.push(() => new Promise((r) => stream.end(r)));
  }
  return { cw, sns, pendingNotifications, queues, onFailure, lambda, pushLambda, pushRefusals };
}
type Cloud = ReturnType<typeof startCloud>;

/** The schedule (each pair's schedule sends its own input, as EventBridge Scheduler does), the alarm evaluation, the queue metrics. */
function startSchedule({ fn, scale }: Deployed, cloud: Cloud, closers: Closers): { enabled: boolean } {
  const schedule = { enabled: true };
  const fire = () => {
    for (const s of fn.schedules) cloud.lambda.invokeAsync(s.input, "aws.scheduler");
  };
  const tick = setInterval(
    () => {
      if (schedule.enabled) fire();
    },
    fn.scheduleRateSeconds * 1000 * scale,
  );
  const evaluator = setInterval(() => {
    for (const [, q] of cloud.queues)
      cloud.cw.put({
        namespace: "AWS/SQS",
        name: "ApproximateNumberOfMessagesVisible",
        dims: { QueueName: q.name },
        value: q.messages.length,
        at: Date.now(),
      });
    cloud.cw.evaluate();
  }, 250);
  closers.push(async () => {
    clearInterval(tick);
    clearInterval(evaluator);
  });
  fire();
  return schedule;
}

/** The lab's pair as the fleet file holds it, with its nodes' managed-instance ids. */
type LabPair = { name: string; nodes: Record<NodeId, { runner: { instanceId: string } }> };

/**
 * The nodes' side of push: their notify scripts write to the lab's FIFO; each line becomes the call the
 * script makes in AWS (lambda:InvokeFunction, asynchronous, on its own alias of the push function), signed
 * as that node (the header stands for its instance profile's credentials).
 */
function startNodePushes({ input, fn, pushFn }: Deployed, account: Account, closers: Closers) {
  const cluster = labPair(fn, input.lab) as LabPair;
  const counts = { triggers: 0, refused: 0 };
  const pushAs = async (
    instanceId: string,
    payload: unknown,
    target: { arn: string; qualifier?: string } = {
      arn: pushFn?.arn ?? fn.arn,
      qualifier: `n-${instanceId}`,
    },
  ): Promise<number> => {
    const q = target.qualifier ? `?Qualifier=${encodeURIComponent(target.qualifier)}` : "";
    const r = await fetch(
      `${account.endpoints.env.AWS_ENDPOINT_URL_LAMBDA}/2015-03-31/functions/${encodeURIComponent(target.arn)}/invocations${q}`,
      {
        method: "POST",
        headers: {
          "x-amz-invocation-type": "Event",
          "content-type": "application/json",
          "x-lab-source-instance": instanceId,
        },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(2000),
      },
    );
    await r.arrayBuffer();
    return r.status;
  };
  const listener = triggerListener(input.lab.plan.client.triggerFifo, (line) => {
    const [, node, instance, state] = line.split(" ");
    const instanceId = cluster.nodes[node as NodeId]?.runner.instanceId;
    if (!instanceId) return;
    counts.triggers++;
    void pushAs(instanceId, { source: PUSH_SOURCE, cluster: cluster.name, node, instance, state })
      .then((status) => {
        if (status !== 202) counts.refused++;
      })
      .catch(() => counts.refused++);
  });
  closers.push(async () => listener.close());
  return { pushAs, counts };
}

/** What the drill's steps see and do: the lab, the deployed state, the mails, the alarms. */
function drillContext(
  { input, deployment, fn, pushFn, scale }: Deployed,
  backends: Backends,
  account: Account,
  cloud: Cloud,
  schedule: { enabled: boolean },
  pushes: ReturnType<typeof startNodePushes>,
): Ctx {
  const { lab } = input;
  const cluster = labPair(fn, lab) as LabPair;
  const tableName = deployment.tables[0]?.name ?? "";
  const statusOf = async (pair: string): Promise<Status | null> => {
    const r = await backends.dynamo.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: `cluster#${pair}` }, sk: { S: "current" } },
        ConsistentRead: true,
      }),
      { abortSignal: AbortSignal.timeout(3000) },
    );
    return (r.Item?.status?.S as Status | undefined) ?? null;
  };
  const proberMails = async () => {
    const r = await fetch(`${backends.sesUrl}/store`, { signal: AbortSignal.timeout(3000) });
    const { emails } = (await r.json()) as {
      emails: { from: string; subject: string; body: { text?: string } }[];
    };
    return emails.filter((e) => e.from !== SNS_SENDER);
  };
  const { cw } = cloud;
  return {
    lab,
    endpoints: account.endpoints,
    runCommand: account.runCommand,
    cw,
    lambda: cloud.lambda,
    ...(cloud.pushLambda ? { pushLambda: cloud.pushLambda } : {}),
    pushAs: pushes.pushAs,
    pushRefusals: cloud.pushRefusals,
    probeArn: fn.arn,
    pushArn: pushFn?.arn ?? "",
    scheduleRateSeconds: fn.scheduleRateSeconds,
    scale,
    schedule,
    status: () => statusOf(cluster.name),
    statusOf,
    pairs: fn.fleet.map((p) => p.name),
    // the prober's own mails (the alarm notifications, from SNS, are reported apart)
    mailSubjects: async () => (await proberMails()).map((e) => e.subject),
    mails: async () => (await proberMails()).map((e) => ({ subject: e.subject, text: e.body.text ?? "" })),
    store: new DynamoStore({ client: backends.dynamo, tableName }),
    clusterName: cluster.name,
    vip: lab.plan.vip,
    instanceOf: (node) => cluster.nodes[node].runner.instanceId,
    alarm: (short) =>
      cw.state.get(`mysql-ha-prober-${cluster.name}-${short}`) ??
      [...cw.state].find(
        ([name]) =>
          name.endsWith(`-${short}`) && !fn.fleet.some((p) => name === `mysql-ha-prober-${p.name}-${short}`),
      )?.[1],
    alarmOf: (pair, short) => cw.state.get(`mysql-ha-prober-${pair}-${short}`),
  };
}

/**
 * An invocation's error belongs to the step it started in (one started while the store was down may end
 * after that step): counted once every invocation has finished or timed out.
 */
async function settleInvocations(fn: DeployedFunction, lambda: LocalLambda, steps: StepReport[]) {
  await waitFor(() => lambda.inFlight === 0, {
    timeoutMs: (fn.timeoutSeconds + 5) * 1000,
    what: "the last invocations to end",
  }).catch(() => {});
  for (const s of steps)
    s.functionErrors = lambda.invocations.filter(
      (i) => !i.ok && i.startedAt >= s.startedAt && i.startedAt < s.endedAt,
    ).length;
}

/** The report: the steps, and what the whole run shows (errors, denied calls, widgets, alarms, footprint). */
async function reportOf(
  { input, deployment }: Deployed,
  steps: StepReport[],
  account: Account,
  cloud: Cloud,
  push: { triggers: number; refused: number; invocations: number },
): Promise<RehearsalReport> {
  const { cw, sns, lambda, pushLambda } = cloud;
  const emitted = new Set(
    cw.datapoints.map((d) => `${d.namespace}/${d.name}{${Object.keys(d.dims).sort().join(",")}}`),
  );
  const widgetsWithoutData = [
    ...new Set(
      deployment.widgets
        .filter((w) => cw.series(w.namespace, w.name, w.dims).length === 0)
        .map((w) => `${w.widget}: ${w.namespace}/${w.name}`),
    ),
  ];
  const functionErrors = steps.filter((s) => !s.errorsExpected).reduce((n, s) => n + s.functionErrors, 0);
  const deniedCalls = account.authorizer.denied.map((d) => ({
    action: d.action,
    resource: d.resource,
    result: d.result,
    step: steps.find((s) => Date.parse(d.at) <= s.endedAt)?.name ?? "?",
  }));
  await Promise.allSettled(cloud.pendingNotifications);
  const alarmNotifications = sns.deliveries.map((d) => ({
    alarm: d.alarm,
    state: d.state,
    delivered: d.delivered,
    ...(d.reason ? { reason: d.reason } : {}),
    to: d.to,
  }));
  const wentToAlarm = [...new Set(cw.transitions.filter((t) => t.to === "ALARM").map((t) => t.alarm))];
  const undeliveredAlarms = wentToAlarm.filter(
    (a) =>
      !sns.deliveries.some((d) => d.alarm === a && d.state === "ALARM" && d.delivered && d.to.length > 0),
  );
  return {
    ok:
      steps.every((s) => s.ok) &&
      functionErrors === 0 &&
      deniedCalls.length === 0 &&
      widgetsWithoutData.length === 0 &&
      undeliveredAlarms.length === 0,
    timeFactor: input.timeFactor,
    steps,
    functionErrors,
    deniedCalls,
    widgetsWithoutData,
    emittedSeries: [...emitted].sort(),
    invocations: lambda.invocations.length,
    coldStarts: lambda.invocations.filter((i) => i.coldStart).length,
    ssmCommands: account.runCommand.sent,
    ssmNodeChecks: account.runCommand.nodeChecks,
    failureQueueMessages: cloud.onFailure?.messages.length ?? 0,
    push: {
      ...push,
      nodeDenied: account.nodeAuthorizer.denied.length,
      refusedByFunction: cloud.pushRefusals.length,
      throttled: pushLambda?.throttled ?? 0,
      dropped: pushLambda?.dropped ?? 0,
    },
    alarmNotifications,
    undeliveredAlarms,
    nodeFootprint: footprintOf(account.orchestration),
  };
}

function footprintOf(root: string): RehearsalReport["nodeFootprint"] {
  const f = orchestrationFootprint(root);
  return { ...f, bytesPerCheck: f.folders ? Math.round(f.bytes / f.folders) : 0 };
}

async function runDrill(
  ctx: Ctx,
  drill: Step[],
  stepTimeoutMs: number,
  log: (l: string) => void,
): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  for (const step of drill) {
    const started = Date.now();
    const mailsBefore = (await ctx.mailSubjects()).length;
    const errorsBefore = ctx.lambda.invocations.filter((i) => !i.ok).length;
    const failures: string[] = [];
    const deadline = started + stepTimeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    const expect: Expect = {
      status: (s, why) =>
        waitFor(async () => (await ctx.status()) === s, {
          timeoutMs: left(),
          intervalMs: 200,
          what: `the declared status ${s}${why ? ` (${why})` : ""}`,
        }).then(() => {}),
      mail: (s) =>
        waitFor(async () => (await ctx.mailSubjects()).slice(mailsBefore).some((m) => endsWithStatus(m, s)), {
          timeoutMs: left(),
          intervalMs: 200,
          what: `a mail about ${s}`,
        }).then(() => {}),
      alarm: (name, state) =>
        waitFor(() => ctx.alarm(name) === state, {
          timeoutMs: left(),
          intervalMs: 100,
          what: `alarm ${name} in ${state}`,
        }).then(() => {}),
      noNewMail: async (forMs) => {
        const n = (await ctx.mailSubjects()).length;
        await new Promise((r) => setTimeout(r, forMs));
        const now = (await ctx.mailSubjects()).length;
        if (now !== n) throw new Error(`${now - n} mail(s) went out while none could`);
      },
    };
    log(`== ${step.name}`);
    try {
      await step.run(ctx, expect);
    } catch (e) {
      failures.push((e as Error).message);
      log(`   FAILED: ${(e as Error).message}`);
    }
    const stepErrors = ctx.lambda.invocations.filter((i) => !i.ok && i.startedAt >= started);
    if (failures.length > 0 && stepErrors.length > 0)
      failures.push(`the function failed ${stepErrors.length} time(s), last: ${stepErrors.at(-1)?.error}`);
    const report: StepReport = {
      name: step.name,
      ok: failures.length === 0,
      status: await ctx.status().catch(() => null),
      mails: (await ctx.mailSubjects()).slice(mailsBefore),
      alarms: Object.fromEntries(ctx.cw.state),
      alarmChanges: ctx.cw.transitions
        .filter((t) => t.at >= started)
        .map((t) => `${t.alarm}: ${t.from} -> ${t.to}`),
      functionErrors: ctx.lambda.invocations.filter((i) => !i.ok).length - errorsBefore,
      errorsExpected: step.errorsExpected ?? false,
      failures,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      startedAt: started,
      endedAt: Date.now(),
    };
    log(
      `   ${report.ok ? "ok" : "FAILED"}: status ${report.status}, mails [${report.mails.join(" | ")}], ${report.seconds} s`,
    );
    reports.push(report);
    // each step starts from where the one before left the pair: after a failure the rest would mislead
    if (!report.ok) break;
  }
  return reports;
}

const holder = async (c: Ctx): Promise<NodeId> => (await c.lab.vipHolders())[0] ?? "a";
const fault = (c: Ctx, kind: FaultKind, node: NodeId) => c.lab.fault(kind, node);

/** The drill: each step acts, then waits for what a deployment must show. */
export const DRILL: Step[] = [
  {
    name: "healthy",
    run: async (_c, e) => {
      await e.status("HEALTHY");
      for (const a of ["DownOrSplitBrain", "DeadMansSwitch", "ProberErrors", "FailureQueue"])
        await e.alarm(a, "OK");
    },
  },
  {
    name: "failover",
    run: async (c, e) => {
      await fault(c, "mysql-kill", await holder(c));
      await e.status("DEGRADED", "the VIP moved");
      await e.mail("DEGRADED");
      await e.alarm("DownOrSplitBrain", "OK");
    },
  },
  {
    name: "recovered",
    run: async (c, e) => {
      await c.lab.heal();
      await e.status("HEALTHY");
      await e.mail("HEALTHY");
    },
  },
  {
    name: "split brain",
    run: async (c, e) => {
      await fault(c, "vrrp-block", await holder(c));
      await e.status("SPLIT_BRAIN");
      await e.mail("SPLIT_BRAIN");
      await e.alarm("DownOrSplitBrain", "ALARM");
    },
  },
  {
    name: "the split-brain mail, for 3 a.m.",
    run: async (c) => {
      const m = (await c.mails()).filter((x) => endsWithStatus(x.subject, "SPLIT_BRAIN")).at(-1);
      if (!m) throw new Error("no split-brain mail");
      const want = [
        `VIP ${c.vip}, account ${REHEARSAL_ACCOUNT.account}, region ${REHEARSAL_ACCOUNT.region}.`,
        "Commands:",
        `ip addr del ${c.vip}/${c.lab.plan.prefixLength} dev eth0`,
        "Dashboard: https://",
        "#dashboards:name=mysql-ha-prober-",
        "Prober logs: https://",
      ];
      const missing = want.filter((w) => !m.text.includes(w));
      if (missing.length) throw new Error(`the split-brain mail lacks: ${missing.join(" | ")}`);
    },
  },
  {
    name: "healed",
    run: async (c, e) => {
      await c.lab.heal();
      await e.status("HEALTHY");
      await e.mail("HEALTHY");
      await e.alarm("DownOrSplitBrain", "OK");
    },
  },
  {
    name: "operator: silence, status and ack on the state the function writes",
    run: async (c) => {
      const now = new Date();
      await setSilence(c.store, c.clusterName, {
        since: now.toISOString(),
        until: new Date(now.getTime() + 3_600_000).toISOString(),
        reason: "rehearsal",
        by: "rehearsal",
        mailSplitBrain: true,
      });
      const v0 = (await c.store.load(c.clusterName))?.version ?? 0;
      // the function commits again (its next probe) and keeps the silence: it honours what the CLI stored
      await waitFor(async () => ((await c.store.load(c.clusterName))?.version ?? 0) >= v0 + 2, {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: "two more probes of the function",
      });
      const after = await c.store.load(c.clusterName);
      const text = renderStatus(c.clusterName, after, new Date());
      if (!/SILENCED: silenced until .* by rehearsal: rehearsal/.test(text))
        throw new Error(`status after the function's probes does not say silenced:\n${text}`);
      await acknowledgeIncidents(c.store, c.clusterName, "all", "rehearsal");
      await setSilence(c.store, c.clusterName, null);
      const v1 = (await c.store.load(c.clusterName))?.version ?? 0;
      await waitFor(async () => ((await c.store.load(c.clusterName))?.version ?? 0) >= v1 + 1, {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: "one more probe of the function",
      });
      const lifted = await c.store.load(c.clusterName);
      if (lifted?.state.silence) throw new Error("the silence is still in the state after unsilence");
      if ((lifted?.state.incidents ?? []).some((i) => !i.acknowledged))
        throw new Error("an incident is open after ack all");
    },
  },
  {
    name: "push: a failover with the schedule stopped",
    run: async (c, e) => {
      // only the nodes' notify scripts can start a probe now
      c.schedule.enabled = false;
      const scheduledBefore = c.lambda.invocations.length;
      const pushedBefore = c.pushLambda?.invocations.length ?? 0;
      try {
        await fault(c, "mysql-kill", await holder(c));
        await e.status("DEGRADED", "declared by pushed probes alone");
        await e.mail("DEGRADED");
        if (c.lambda.invocations.length !== scheduledBefore)
          throw new Error("the scheduled function ran while the schedule was stopped");
        if ((c.pushLambda?.invocations.length ?? 0) === pushedBefore)
          throw new Error("no pushed invocation ran: the status came from elsewhere");
      } finally {
        c.schedule.enabled = true;
      }
      await c.lab.heal();
      await e.status("HEALTHY");
      await e.mail("HEALTHY");
      await e.alarm("DeadMansSwitch", "OK");
    },
  },
  {
    name: "push: what a node may not do (the scheduled entry, another node's alias, another pair, a flood)",
    run: async (c, e) => {
      const a = c.instanceOf("a");
      const b = c.instanceOf("b");
      const event = { source: PUSH_SOURCE, cluster: c.clusterName, state: "MASTER" };
      // IAM: the scheduled function, and the other node's alias, are denied to a node
      const denied = [
        await c.pushAs(a, { clusters: [c.clusterName] }, { arn: c.probeArn }),
        await c.pushAs(a, event, { arn: c.pushArn, qualifier: `n-${b}` }),
      ];
      if (denied.some((s) => s === 202))
        throw new Error(`a node's forbidden invoke was accepted: ${denied.join(", ")}`);
      // the function: another pair's name, and a flood beyond the per-node count, are refused
      const refusedBefore = c.pushRefusals.length;
      const scheduledBefore = c.lambda.invocations.length;
      const push = c.pushLambda;
      if (!push) throw new Error("the template has no push function");
      const runBefore = push.invocations.length;
      const droppedBefore = push.dropped;
      const startedAt = Date.now();
      const accepted = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          c.pushAs(a, i === 0 ? { ...event, cluster: "another-pair" } : event),
        ),
      );
      if (accepted.some((s) => s !== 202))
        throw new Error(`an own-alias invoke was not accepted: ${accepted.join(", ")}`);
      // every event of the flood ends: run (and refused, coalesced or probed), or dropped as too old after
      // the reserved concurrency throttled it
      await waitFor(() => push.invocations.length - runBefore + (push.dropped - droppedBefore) >= 30, {
        timeoutMs: 120_000,
        what: "the 30 pushes run or dropped",
      });
      const refusals = c.pushRefusals.slice(refusedBefore).join("\n");
      const dropped = push.dropped - droppedBefore;
      const flooded = (refusals.match(/pushes this minute/g) ?? []).length;
      if (!/the event names pair another-pair/.test(refusals) && dropped === 0)
        throw new Error("another pair's name was not refused");
      // at most 12 of one node's pushes a minute get past the count: the rest refused or throttled away
      if (flooded + dropped < 29 - 12)
        throw new Error(`the flood was not limited: ${flooded} refused, ${dropped} dropped of 29`);
      // the schedule kept its rate through the flood
      const elapsedSeconds = (Date.now() - startedAt) / 1000;
      const expected = Math.floor(elapsedSeconds / (c.scheduleRateSeconds * c.scale));
      const ran = c.lambda.invocations.length - scheduledBefore;
      if (ran < expected - 1)
        throw new Error(`the schedule fell behind during the flood: ${ran} runs for ${expected} periods`);
      await e.status("HEALTHY");
      await e.noNewMail(2000);
    },
  },
  {
    name: "SES outage and recovery",
    run: async (c, e) => {
      c.endpoints.faults.sesOutage = true;
      await fault(c, "mysql-kill", await holder(c));
      await e.status("DEGRADED", "committed while the mail cannot go out");
      await e.noNewMail(3000);
      c.endpoints.faults.sesOutage = false;
      await e.mail("DEGRADED");
      await c.lab.heal();
      await e.status("HEALTHY");
      await e.mail("HEALTHY");
    },
  },
  {
    name: "SSM agent offline on one node",
    run: async (c, e) => {
      const standby: NodeId = (await holder(c)) === "a" ? "b" : "a";
      c.runCommand.offline.add(c.instanceOf(standby));
      await e.status("DEGRADED", `the node check of ${standby} is undeliverable`);
      await e.mail("DEGRADED");
      c.runCommand.offline.clear();
      await e.status("HEALTHY");
      await e.mail("HEALTHY");
    },
  },
  {
    name: "SSM throttling",
    run: async (c, e) => {
      c.endpoints.faults.ssmThrottling = true;
      await e.status("DEGRADED", "the node checks are throttled");
      c.endpoints.faults.ssmThrottling = false;
      await e.status("HEALTHY");
      await e.mail("HEALTHY");
      await e.alarm("DownOrSplitBrain", "OK");
    },
  },
  {
    name: "store down during a split brain",
    errorsExpected: true,
    run: async (c, e) => {
      c.endpoints.faults.dynamodbUnavailable = true;
      await fault(c, "vrrp-block", await holder(c));
      // nothing can be committed or mailed, yet the alarms see it: their metrics do not need the store
      await e.alarm("DownOrSplitBrain", "ALARM");
      await e.alarm("ProberErrors", "ALARM");
      await c.lab.heal();
      c.endpoints.faults.dynamodbUnavailable = false;
      await e.alarm("DownOrSplitBrain", "OK");
      await e.status("HEALTHY");
    },
  },
  {
    name: "prober stopped mid split brain, then restarted",
    run: async (c, e) => {
      await fault(c, "vrrp-block", await holder(c));
      await e.alarm("DownOrSplitBrain", "ALARM");
      c.schedule.enabled = false;
      await e.alarm("DeadMansSwitch", "ALARM");
      if (c.alarm("DownOrSplitBrain") !== "ALARM")
        throw new Error("DownOrSplitBrain left ALARM while the prober was silent");
      await c.lab.heal();
      c.schedule.enabled = true;
      await e.alarm("DeadMansSwitch", "OK");
      await e.alarm("DownOrSplitBrain", "OK");
      await e.status("HEALTHY");
    },
  },
  {
    name: "split brain in which both nodes wrote: the sweep starts at once, the rows that differ in status and in the mail",
    run: async (c, e) => {
      const row = await bothNodesWrite(c, e);
      const key = `lab.conflicts [${row}] different`;
      // the sweep's pass for this split brain, read by a probe: the row in `status`
      const text = await waitFor(
        async () => {
          const t = renderStatus(c.clusterName, await c.store.load(c.clusterName), new Date());
          return t.includes(key) && t.includes("(after-split-brain)") ? t : undefined;
        },
        {
          timeoutMs: 90_000,
          intervalMs: 500,
          what: `status to name ${key} after the sweep's pass for the split brain`,
        },
      );
      if (!/consistency sweep: 1 row\(s\) differ between the nodes/.test(text))
        throw new Error(`status does not count the row:\n${text}`);
      // and in the incident's mail, with where the repair SQL comes from
      const mail = await waitFor(
        async () => (await c.mails()).find((m) => m.text.includes("DATA_DIVERGENCE") && m.text.includes(key)),
        { timeoutMs: 60_000, intervalMs: 500, what: `a DATA_DIVERGENCE mail naming ${key}` },
      );
      if (
        !mail.text.includes(
          `mysql-ha-prober compare --cluster ${c.clusterName} --tables lab.conflicts --repair-dir <dir>`,
        )
      )
        throw new Error(
          `the DATA_DIVERGENCE mail does not say where the repair SQL comes from:\n${mail.text}`,
        );
      // the lab left as found: B given A's row, as the repair SQL would, without binlog
      const [mine] = await c.lab.sqlOn("a", `SELECT node FROM lab.conflicts WHERE id = ${row}`);
      await c.lab.sqlOn("b", `UPDATE lab.conflicts SET node = '${String(mine?.node)}' WHERE id = ${row}`, {
        noBinlog: true,
      });
    },
  },
];

/**
 * A split brain in which each node takes an application write of its own on the same row (through its
 * real IP, at the same moment), both seen by the prober, then healed: the two updates cross in
 * replication (row-based, found by the key), so A keeps B's value and B keeps A's, and replication runs
 * on. Returns the row's id.
 */
async function bothNodesWrite(c: Ctx, e: Expect): Promise<number> {
  const row = 900_000 + Math.floor(Math.random() * 99_999);
  await c.lab.sqlFromClient(`INSERT INTO conflicts (id, node) VALUES (${row}, 'x')`);
  await waitFor(
    async () => (await c.lab.sqlOn("b", `SELECT 1 FROM lab.conflicts WHERE id = ${row}`)).length === 1,
    {
      timeoutMs: 20_000,
      what: "the row to replicate to both nodes",
    },
  );
  await fault(c, "vrrp-block", await holder(c));
  await e.status("SPLIT_BRAIN");
  // both updates hold the row before either commits: each node applies the other's after its own
  await Promise.all(
    (["a", "b"] as const).map((id) =>
      c.lab.sqlFromClient(
        `START TRANSACTION; UPDATE conflicts SET node = '${id}' WHERE id = ${row}; DO SLEEP(2); COMMIT;`,
        c.lab.plan.nodes[id].ip,
        15_000,
      ),
    ),
  );
  await waitFor(
    async () => {
      const sb = (await c.store.load(c.clusterName))?.state.splitBrain;
      return Boolean(sb?.writes.a && sb?.writes.b);
    },
    {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: "the prober to see both nodes take writes during the split brain",
    },
  );
  await c.lab.heal();
  await e.status("HEALTHY");
  return row;
}

const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/** The lab's pair in the function's fleet file (the one the rehearsal drills). */
function labPair(fn: DeployedFunction, lab: Lab): { name: string } {
  const name = labCluster(lab).name;
  const pair = fn.fleet.find((p) => p.name === name);
  if (!pair) throw new Error(`${fn.name}: the lab's pair ${name} is not in the fleet file`);
  return pair;
}
