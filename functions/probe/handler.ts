/**
 * The probe function of a fleet: each schedule invokes it with its pairs (`{ clusters: [...] }`), and one
 * invocation probes each of them once, side by side (or, in sub-minute mode, every K seconds across the
 * schedule's window); a node's push names its pair. The pairs come from the fleet file in the asset (fleet.ts). Wiring only: the ports come from shared/wiring.ts, the loop from
 * shared/schedule-loop.ts, the work from shared/pipeline.ts.
 */

import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import { Tracer } from "@aws-lambda-powertools/tracer";
import { captureLambdaHandler } from "@aws-lambda-powertools/tracer/middleware";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SESClient } from "@aws-sdk/client-ses";
import { SSMClient } from "@aws-sdk/client-ssm";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { DynamoStore } from "../../shared/adapters/dynamo-store.ts";
import { ec2ReaderWithClient } from "../../shared/adapters/ec2-vip-reader.ts";
import { EmfMetricsSink } from "../../shared/adapters/emf-metrics.ts";
import { SesNotifier } from "../../shared/adapters/ses-notifier.ts";
import { SsmCommandBatcher } from "../../shared/adapters/ssm-batch.ts";
import { SsmNodeChecker } from "../../shared/adapters/ssm-runner.ts";
import { ConfigError } from "../../shared/config.ts";
import { type SweepDeps, sweepSlice } from "../../shared/consistency-sweep.ts";
import type { MailContext } from "../../shared/domain/mail.ts";
import type { ClusterState } from "../../shared/domain/state.ts";
import { METRIC_NAMESPACE } from "../../shared/metrics.ts";
import { type PipelineDeps, type ProbeOutcome, probeCluster } from "../../shared/pipeline.ts";
import type { PushGate, SweepStore } from "../../shared/ports.ts";
import { runSchedule } from "../../shared/schedule-loop.ts";
import { targetFromConfig } from "../../shared/target.ts";
import { observersFor, sweepNodesFor } from "../../shared/wiring.ts";
import { type Env, parseEnv } from "./env.ts";
import { type Fleet, loadFleet, pairOf, pairOfNode, scheduledPairsOf, ssmChecksOf } from "./fleet.ts";
import { type PushEvent, pushCallerOf, pushEventOf } from "./push-event.ts";

export const logger = new Logger({ serviceName: "mysql-ha-prober" });
export const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: "mysql-ha-prober" });
export const tracer = new Tracer({ serviceName: "mysql-ha-prober" });

/** What a test may replace: everything that talks to AWS or to the cluster. */
export type Overrides = Partial<
  Pick<PipelineDeps, "sql" | "heartbeat" | "nodeCheckers" | "store" | "notifier" | "sweepStore">
> & {
  pushGate?: PushGate;
  /** Opens a pair's nodes for the consistency sweep. */
  sweepNodes?: (pair: string) => SweepDeps["open"];
};

/** The fleet to probe instead of the environment's fleet file (tests), and which entry to build. */
export interface BuildOptions {
  fleet?: Fleet;
  /**
   * "schedule" (the probe function): the schedules' events only, a push event refused. "push" (the push
   * function): only a node's push, through its own alias. @default "schedule"
   */
  entry?: "schedule" | "push";
}

export function buildHandler(
  env: Env = parseEnv(process.env),
  overrides: Overrides = {},
  options: BuildOptions = {},
) {
  const fleet = options.fleet ?? loadFleet(env.FLEET_CONFIG_FILE, env.LAMBDA_TASK_ROOT);
  const aws = awsPorts(env);
  const { pushGate: _g, sweepNodes: _s, ...portOverrides } = overrides;
  const wiring: Wiring = {
    env,
    fleet,
    aws,
    pushGate: overrides.pushGate ?? aws.store,
    batcherFor: batchersOn(aws.ssm),
    invocation: { mail: {} },
    portOverrides,
    ...(overrides.sweepNodes ? { sweepNodes: overrides.sweepNodes } : {}),
  };
  const prober = pairProbers(wiring);
  const sweeper = pairSweepers(wiring);
  const push = pushEntry(wiring, prober);

  const run = async (event: unknown, context: Context) => {
    const started = Date.now();
    wiring.invocation.mail = mailContextOf(env, context.invokedFunctionArn);
    const hardEndAt = started + context.getRemainingTimeInMillis() - env.DEADLINE_MARGIN_MS;
    if (options.entry === "push") return push(event, context.invokedFunctionArn, hardEndAt);
    if (pushEventOf(event))
      return refusePush(
        "a push event at the scheduled entry: pushes go to the push function, through the node's alias",
      );
    return scheduledRun(wiring, prober, sweeper, scheduledPairsOf(event), started, hardEndAt);
  };

  return (
    middy(run)
      .use(captureLambdaHandler(tracer))
      // the pair keys of one invocation must not leak into the next one's lines
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(logMetrics(metrics, { captureColdStartMetric: true }))
  );
}

/** What one function environment holds while warm: its configuration, its AWS ports, its caches. */
interface Wiring {
  readonly env: Env;
  readonly fleet: Fleet;
  readonly aws: AwsPorts;
  readonly pushGate: PushGate;
  readonly batcherFor: (documentName: string) => SsmCommandBatcher;
  /** Set per invocation: the mails name the account (from the function's ARN) and link the console. */
  readonly invocation: { mail: MailContext };
  readonly portOverrides: Omit<Overrides, "pushGate" | "sweepNodes">;
  readonly sweepNodes?: Overrides["sweepNodes"];
}

/** One pair's probe, to be run before `deadlineAt`. */
type PairProbe = (deadlineAt: number) => Promise<ProbeOutcome>;

interface AwsPorts {
  readonly ssm: SSMClient;
  readonly requestHandler: { connectionTimeout: number; requestTimeout: number };
  readonly password: () => Promise<string>;
  readonly heartbeatPassword: () => Promise<string>;
  readonly store: DynamoStore;
  readonly notifier: SesNotifier;
  readonly metrics: EmfMetricsSink;
}

/** The AWS clients and the adapters over them, each call with a deadline, the passwords cached. */
function awsPorts(env: Env): AwsPorts {
  // Every call has a deadline, the secret's too: 1 s to connect, 3 s for the answer.
  const requestHandler = { connectionTimeout: 1000, requestTimeout: 3000 };
  // A fleet's node checks share the account's SSM rate: a throttled call is retried with client-side rate
  // limiting (adaptive mode), 3 attempts. More attempts (6 tried) kept a fully throttled probe running to
  // its deadline and into the next minute's, and did not get a 1,000-pair round through (BENCHMARKS.md §10).
  const ssm = tracer.captureAWSv3Client(new SSMClient({ retryMode: "adaptive", maxAttempts: 3 }));
  const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({ requestHandler }));
  const ses = tracer.captureAWSv3Client(new SESClient({ requestHandler }));
  const secrets = new SecretsProvider({ clientConfig: { requestHandler } });
  const parameters = new SSMProvider({ clientConfig: { requestHandler } });
  return {
    ssm,
    requestHandler,
    /** The monitoring password, cached for 5 minutes. Never logged. */
    password: oneAtATime(
      async (): Promise<string> =>
        env.PASSWORD_SECRET_ARN
          ? String(await secrets.get(env.PASSWORD_SECRET_ARN, { maxAge: 300 }))
          : String(
              await parameters.get(env.PASSWORD_PARAMETER_NAME as string, { decrypt: true, maxAge: 300 }),
            ),
    ),
    /** The heartbeat user's password, cached for 5 minutes. Never logged. */
    heartbeatPassword: oneAtATime(
      async (): Promise<string> =>
        String(await secrets.get(env.HEARTBEAT_PASSWORD_SECRET_ARN as string, { maxAge: 300 })),
    ),
    store: new DynamoStore({
      client: dynamo,
      tableName: env.TABLE_NAME,
      historyTtlDays: env.HISTORY_TTL_DAYS,
    }),
    notifier: new SesNotifier({
      client: ses,
      from: env.MAIL_FROM,
      to: env.MAIL_TO,
      ...(env.MAIL_CONFIGURATION_SET ? { configurationSet: env.MAIL_CONFIGURATION_SET } : {}),
    }),
    // The pair metrics carry exactly the dimension set the alarms and widgets read: {Cluster}.
    metrics: new EmfMetricsSink(metrics, { detailed: env.DETAILED_METRICS }),
  };
}

/**
 * The node checks the invocation's pairs start together go out as one SendCommand (up to 50 nodes):
 * SSM's account-wide SendCommand rate is what a fleet runs out of first (BENCHMARKS.md §10).
 */
function batchersOn(ssm: SSMClient): (documentName: string) => SsmCommandBatcher {
  const batchers = new Map<string, SsmCommandBatcher>();
  return (documentName) => {
    const known = batchers.get(documentName);
    if (known) return known;
    const made = new SsmCommandBatcher({ client: ssm, documentName });
    batchers.set(documentName, made);
    return made;
  };
}

/** Each pair's observers and target, built at its first invocation and kept while the environment is warm. */
function pairProbers(w: Wiring): (name: string) => PairProbe {
  /** Each pair's node Since from its last probe here: a warm probe's node checks start beside the store read. */
  const sinceHints = new Map<string, Record<"a" | "b", number | null>>();
  /** Each pair's recent heartbeat GTIDs written here, kept when a commit fails (PipelineDeps.heartbeatHints). */
  const heartbeatHints = new Map<string, string[]>();
  const pairs = new Map<string, PairProbe>();
  return (name) => {
    const known = pairs.get(name);
    if (known) return known;
    const cluster = pairOf(w.fleet, name);
    if (cluster.heartbeat && !w.env.HEARTBEAT_PASSWORD_SECRET_ARN)
      throw new ConfigError(`pair ${name}`, [
        "heartbeat: the pair has a heartbeat, set HEARTBEAT_PASSWORD_SECRET_ARN in the function's environment",
      ]);
    const target = targetFromConfig(cluster);
    const deps: PipelineDeps = {
      ...observersFor(cluster, {
        password: w.aws.password,
        ...(cluster.heartbeat ? { heartbeatPassword: w.aws.heartbeatPassword } : {}),
        runners: ["ssm"],
        ssm: (r) =>
          new SsmNodeChecker({
            client: w.aws.ssm,
            documentName: r.documentName,
            instanceId: r.instanceId,
            batcher: w.batcherFor(r.documentName),
          }),
        // the EC2 view (opt-in): one traced client, made only for a pair with the view on
        ec2: (c) =>
          ec2ReaderWithClient(
            c.ec2 as NonNullable<typeof c.ec2>,
            { requestHandler: w.aws.requestHandler },
            (client) => tracer.captureAWSv3Client(client),
          ),
      }),
      store: w.aws.store,
      ...(sweepStoreOf(w) ? { sweepStore: sweepStoreOf(w) } : {}),
      sinceHints,
      heartbeatHints,
      notifier: w.aws.notifier,
      metrics: w.aws.metrics,
      log: (event, detail) => logger.info(event, { cluster: name, ...detail }),
      ...w.portOverrides,
    };
    const probeOnce: PairProbe = async (deadlineAt) => {
      const r = await probeCluster({ ...target, mail: w.invocation.mail }, deps, { at: deadlineAt });
      logger.info("probe", { cluster: name, ...probeLogFields(r) });
      return r;
    };
    pairs.set(name, probeOnce);
    return probeOnce;
  };
}

/**
 * Where the sweep's records are: the state table (the store's), a test's own sweep store when it gives one,
 * or none (no sweep) when a test replaced only the store: never the real table behind a test's back.
 */
function sweepStoreOf(w: Wiring): SweepStore | undefined {
  return w.portOverrides.sweepStore ?? (w.portOverrides.store ? undefined : w.aws.store);
}

/** One slice of a pair's consistency sweep, after its probe, ending well before `hardEndAt`. */
type PairSweep = (state: ClusterState, hardEndAt: number) => Promise<void>;

/**
 * Time kept after a slice's last chunk starts: its statements' deadline (10 s) and the final save (3 s).
 * A slice gets min(sliceSeconds, what is left of the invocation minus this); none under 1 s.
 */
export const SWEEP_RESERVE_MS = 13_000;

/** Each pair's sweep (pairs with `compare.sweep`), built at its first invocation. Never throws. */
function pairSweepers(w: Wiring): (name: string) => PairSweep | undefined {
  const sweeps = new Map<string, PairSweep | undefined>();
  return (name) => {
    if (sweeps.has(name)) return sweeps.get(name);
    const cluster = pairOf(w.fleet, name);
    const settings = targetFromConfig(cluster).sweep;
    const store = sweepStoreOf(w);
    const sweep: PairSweep | undefined =
      settings && store
        ? async (state, hardEndAt) => {
            // no chunk starts after stopAt, no statement after abortAt: the invocation's end minus a
            // statement's deadline and the last save
            const abortAt = hardEndAt - SWEEP_RESERVE_MS;
            const stopAt = Math.min(Date.now() + settings.sliceSeconds * 1000, abortAt);
            if (stopAt - Date.now() < 1000) {
              logger.info("sweep", { cluster: name, outcome: "no time left" });
              return;
            }
            const deps: SweepDeps = {
              store,
              open: w.sweepNodes?.(name) ?? sweepNodesFor(cluster, w.aws.password),
              log: (event, detail) => logger.info(event, { cluster: name, ...detail }),
            };
            const r = await sweepSlice(name, settings, state, deps, stopAt, abortAt).catch(
              (e: unknown) => ({ outcome: "error", why: String((e as Error)?.message ?? e) }) as const,
            );
            logger.info("sweep", { cluster: name, ...r });
          }
        : undefined;
    sweeps.set(name, sweep);
    return sweep;
  };
}

/**
 * The schedule's pairs side by side, each with its own loop and deadlines; one pair's failure (its
 * configuration, its store write) does not stop the others, and still fails the invocation.
 */
async function scheduledRun(
  w: Wiring,
  prober: (name: string) => PairProbe,
  sweeper: (name: string) => PairSweep | undefined,
  names: string[],
  started: number,
  hardEndAt: number,
) {
  if (names.length === 1) logger.appendKeys({ cluster: names[0] });
  else logger.appendKeys({ clusters: names });
  // the pairs' first node checks start after their store reads: their command waits for all of them
  for (const [documentName, count] of ssmChecksOf(w.fleet, names)) w.batcherFor(documentName).expect(count);
  const outcomes = await Promise.all(
    names.map(async (name) => {
      const probes: { status: string; committed: boolean }[] = [];
      let last: ProbeOutcome | undefined;
      try {
        const probeOnce = prober(name);
        await runSchedule(
          {
            intervalMs: w.env.SUBMINUTE_INTERVAL_SECONDS * 1000,
            startAt: started,
            // sub-minute mode covers the schedule's whole window; the next invocation starts where it ends
            windowEndAt: started + w.env.SCHEDULE_RATE_SECONDS * 1000,
            hardEndAt,
          },
          async (_i, deadline) => {
            const r = await probeOnce(deadline.at);
            last = r;
            probes.push({ status: r.state.status, committed: r.committed });
          },
        );
        // the sweep's slice after the probes, within what is left: the probes' deadlines are never its
        const sweep = sweeper(name);
        if (sweep && last) await sweep(last.state, hardEndAt);
        return { cluster: name, probes };
      } catch (e) {
        logger.error("pair failed", { cluster: name, error: e as Error });
        return { cluster: name, probes, error: e as Error };
      }
    }),
  );
  const failed = outcomes.filter((o) => o.error);
  if (failed.length === 1 && names.length === 1) throw failed[0]?.error;
  if (failed.length)
    throw new AggregateError(
      failed.map((o) => o.error),
      `${failed.length} of ${names.length} pairs failed: ${failed.map((o) => `${o.cluster} (${o.error?.message.split("\n")[0]})`).join(", ")}`,
    );
  return names.length === 1
    ? { cluster: names[0] as string, probes: outcomes[0]?.probes ?? [] }
    : { clusters: outcomes.map(({ cluster, probes }) => ({ cluster, probes })) };
}

/** A push not acted on: logged with the reason, answered, never an error (a node cannot raise alarms). */
function refusePush(reason: string, detail: Record<string, unknown> = {}) {
  logger.warn("push refused", { reason, ...detail });
  return { pushed: false, refused: reason };
}

/**
 * The push entry: who calls is the alias it was invoked through (IAM binds each node to its own alias
 * by its instance identity), never the event's claim; each node's pushes are counted (a flood is
 * refused), and whatever cannot be checked is refused (fails closed).
 */
function pushEntry(w: Wiring, prober: (name: string) => PairProbe) {
  const pushed = pushedProbe(w, prober);
  return async (event: unknown, invokedArn: string | undefined, hardEndAt: number) => {
    const caller = pushCallerOf(invokedArn);
    if (!caller) return refusePush("not invoked through a node's alias (n-<instance id>)", { invokedArn });
    const push = pushEventOf(event);
    if (!push) return refusePush("not a push event", { caller });
    const home = pairOfNode(w.fleet, caller);
    if (!home) return refusePush("the calling instance is no node of this fleet", { caller });
    if (push.cluster !== home.pair)
      return refusePush(`the event names pair ${push.cluster}; the caller is a node of ${home.pair}`, {
        caller,
      });
    logger.appendKeys({ cluster: home.pair, node: home.node });
    const max = w.env.PUSH_NODE_MAX_PER_MINUTE;
    const admitted = await w.pushGate.admit(caller, max, 60_000).catch((e: unknown) => {
      logger.warn("push count failed", { error: String(e) });
      return null;
    });
    if (admitted === null)
      return refusePush("the push count could not be kept: the gate fails closed", { caller });
    if (!admitted) return refusePush(`more than ${max} pushes this minute from ${caller}`, { caller });
    return pushed({ ...push, node: home.node }, hardEndAt);
  };
}

/**
 * A pushed probe (a node's notify script): after a short debounce, one probe, unless another pushed
 * invocation holds the claim (a flapping keepalived must not cause a probe storm). A push that finds the
 * claim held tries once more when it expires, so the last change of a burst is always probed (the
 * other node taking the VIP a second after the first one failed is not lost).
 */
function pushedProbe(w: Wiring, prober: (name: string) => PairProbe) {
  const { env, fleet, pushGate } = w;
  return async (push: PushEvent, hardEndAt: number) => {
    const cluster = { name: push.cluster };
    if (!fleet.pairs.has(push.cluster) && !fleet.errors.has(push.cluster)) {
      logger.warn("push for a pair this function does not probe: ignored", { push });
      return { cluster: cluster.name, pushed: true, ignored: true, probes: [] };
    }
    const probeOnce = prober(push.cluster);
    await new Promise((r) => setTimeout(r, env.PUSH_DEBOUNCE_MS));
    const claim = () =>
      pushGate.claim(cluster.name, env.PUSH_HOLD_MS).catch((e: unknown): null => {
        logger.warn("push claim failed", { error: String(e) });
        return null;
      });
    let claimed = await claim();
    if (claimed === null) return refusePush("the push claim could not be taken: the gate fails closed");
    if (!claimed && Date.now() + env.PUSH_HOLD_MS < hardEndAt) {
      await new Promise((r) => setTimeout(r, env.PUSH_HOLD_MS));
      claimed = await claim();
      if (claimed === null) return refusePush("the push claim could not be taken: the gate fails closed");
    }
    if (!claimed) {
      logger.info("push coalesced", { push });
      return { cluster: cluster.name, pushed: true, coalesced: true, probes: [] };
    }
    logger.info("push", { push });
    const r = await probeOnce(hardEndAt);
    return {
      cluster: cluster.name,
      pushed: true,
      probes: [{ status: r.state.status, committed: r.committed }],
    };
  };
}

/** Where the function runs and where to look, for the mails: account, region, dashboard, logs. */
export function mailContextOf(env: Env, functionArn: string | undefined): MailContext {
  const region = env.AWS_REGION;
  const account = functionArn?.split(":")[4];
  const console = region ? `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}` : null;
  const logGroup = env.AWS_LAMBDA_LOG_GROUP_NAME;
  return {
    ...(account ? { account } : {}),
    ...(region ? { region } : {}),
    ...(console && env.DASHBOARD_NAME
      ? { dashboardUrl: `${console}#dashboards:name=${env.DASHBOARD_NAME}` }
      : {}),
    ...(console && logGroup
      ? {
          logsUrl: `${console}#logsV2:log-groups/log-group/${encodeURIComponent(logGroup).replace(/%/g, "$25")}`,
        }
      : {}),
  };
}

let cached: ReturnType<typeof buildHandler> | undefined;
/** The Lambda entry point of the probe function (the schedules): configuration parsed once, at cold start. */
export const handler = (event: unknown, context: Context) => {
  cached ??= buildHandler();
  return cached(event, context);
};

let cachedPush: ReturnType<typeof buildHandler> | undefined;
/** The Lambda entry point of the push function: a node's push, through its own alias, and nothing else. */
export const pushHandler = (event: unknown, context: Context) => {
  cachedPush ??= buildHandler(parseEnv(process.env), {}, { entry: "push" });
  return cachedPush(event, context);
};

/** The "probe" log line: what the fleet dashboard's Logs Insights widgets read, one record per probe. */
export function probeLogFields(r: ProbeOutcome) {
  const s = r.state;
  return {
    status: s.status,
    probeStatus: s.probeStatus,
    statusSince: s.statusSince,
    vipOwner: s.vipOwner,
    committed: r.committed,
    transition: r.transition,
    findings: s.findings.filter((f) => f.severity !== "info").map((f) => f.code),
    mailsSent: r.sent.length,
    mailsPending: r.unsent.length,
    probeMs: r.timings.probeMs,
  };
}

/**
 * Calls that arrive while one is in flight share its answer: the pairs of one invocation ask for the
 * password together, before the provider's cache holds it (ten pairs made 34 GetSecretValue calls).
 */
export function oneAtATime<T>(fetch: () => Promise<T>): () => Promise<T> {
  let inflight: Promise<T> | undefined;
  return () => {
    inflight ??= fetch().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };
}
