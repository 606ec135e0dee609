/**
 * The scheduled probe: one invocation probes one cluster (or, in sub-minute mode, every K seconds
 * until shortly before its timeout). Wiring only: the work is shared/pipeline.ts.
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
import { EmfMetricsSink } from "../../shared/adapters/emf-metrics.ts";
import { MysqlProbe } from "../../shared/adapters/mysql-probe.ts";
import { SesNotifier } from "../../shared/adapters/ses-notifier.ts";
import { SsmNodeChecker } from "../../shared/adapters/ssm-runner.ts";
import type { ClusterConfig } from "../../shared/config.ts";
import { METRIC_NAMESPACE } from "../../shared/metrics.ts";
import { type PipelineDeps, type ProbeOutcome, probeCluster } from "../../shared/pipeline.ts";
import type { NodeChecker } from "../../shared/ports.ts";
import { targetFromConfig } from "../../shared/target.ts";
import { type Env, parseEnv } from "./env.ts";

export const logger = new Logger({ serviceName: "mysql-ha-prober" });
export const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: "mysql-ha-prober" });
export const tracer = new Tracer({ serviceName: "mysql-ha-prober" });

/** What a test may replace: everything that talks to AWS or to the cluster. */
export type Overrides = Partial<Pick<PipelineDeps, "sql" | "nodeCheckers" | "store" | "notifier">> & {
  password?: string;
};

export function buildHandler(env: Env = parseEnv(process.env), overrides: Overrides = {}) {
  const cluster = env.CLUSTER_CONFIG;
  logger.appendKeys({ cluster: cluster.name });
  const ssm = tracer.captureAWSv3Client(new SSMClient({ retryMode: "adaptive", maxAttempts: 3 }));
  const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({}));
  const ses = tracer.captureAWSv3Client(new SESClient({}));
  const checker = (r: ClusterConfig["nodes"]["a"]["runner"]): NodeChecker => {
    if (r.type !== "ssm") throw new Error(`runner ${r.type} is not available in Lambda: use ssm`);
    return new SsmNodeChecker({ client: ssm, documentName: r.documentName, instanceId: r.instanceId });
  };
  // Every call has a deadline, the secret's too: 1 s to connect, 3 s for the answer.
  const clientConfig = { requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 } };
  const secrets = new SecretsProvider({ clientConfig });
  const parameters = new SSMProvider({ clientConfig });
  /** The monitoring password, cached for 5 minutes. Never logged. */
  const password = async (): Promise<string> => {
    if (overrides.password !== undefined) return overrides.password;
    if (env.PASSWORD_SECRET_ARN) return String(await secrets.get(env.PASSWORD_SECRET_ARN, { maxAge: 300 }));
    if (env.PASSWORD_PARAMETER_NAME) {
      return String(await parameters.get(env.PASSWORD_PARAMETER_NAME, { decrypt: true, maxAge: 300 }));
    }
    return cluster.mysql.password ?? "";
  };
  const target = targetFromConfig(cluster);
  const sink = new EmfMetricsSink(metrics);

  const probeOnce = async (deadlineAt: number): Promise<ProbeOutcome> => {
    const deps: PipelineDeps = {
      sql:
        overrides.sql ??
        new MysqlProbe({
          user: cluster.mysql.user,
          password: await password(),
          connectTimeoutMs: cluster.mysql.connectTimeoutMs,
          queryTimeoutMs: cluster.mysql.queryTimeoutMs,
          totalTimeoutMs: cluster.mysql.totalTimeoutMs,
        }),
      nodeCheckers: overrides.nodeCheckers ?? {
        a: checker(cluster.nodes.a.runner),
        b: checker(cluster.nodes.b.runner),
      },
      store: overrides.store ?? new DynamoStore({ client: dynamo, tableName: env.TABLE_NAME }),
      notifier: overrides.notifier ?? new SesNotifier({ client: ses, from: env.MAIL_FROM, to: env.MAIL_TO }),
      metrics: sink,
      log: (event, detail) => logger.info(event, detail),
    };
    const r = await probeCluster(target, deps, { at: deadlineAt });
    logger.info("probe", {
      status: r.state.status,
      probeStatus: r.state.probeStatus,
      vipOwner: r.state.vipOwner,
      committed: r.committed,
      transition: r.transition,
      findings: r.state.findings.filter((f) => f.severity !== "info").map((f) => f.code),
      mailsSent: r.sent.length,
      mailsPending: r.unsent.length,
      probeMs: r.timings.probeMs,
    });
    return r;
  };

  const run = async (_event: unknown, context: Context) => {
    const end = Date.now() + context.getRemainingTimeInMillis() - env.DEADLINE_MARGIN_MS;
    const interval = env.SUBMINUTE_INTERVAL_SECONDS * 1000;
    const results: { status: string; committed: boolean }[] = [];
    for (;;) {
      const started = Date.now();
      const budget = interval > 0 ? Math.min(end, started + Math.max(interval, 8000)) : end;
      const r = await probeOnce(budget);
      results.push({ status: r.state.status, committed: r.committed });
      if (interval === 0) break;
      const next = started + interval;
      // Stop when the next probe could not finish before the end of the invocation.
      if (next + Math.min(interval, 8000) > end) break;
      await new Promise((res) => setTimeout(res, Math.max(0, next - Date.now())));
    }
    return { cluster: cluster.name, probes: results };
  };

  return middy(run)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

let cached: ReturnType<typeof buildHandler> | undefined;
/** The Lambda entry point: configuration parsed once, at cold start. */
export const handler = (event: unknown, context: Context) => {
  cached ??= buildHandler();
  return cached(event, context);
};
