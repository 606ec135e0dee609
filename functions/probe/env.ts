/**
 * The function's environment, validated with zod at cold start: errors name the variable. The pairs are
 * not here but in the fleet file it names (fleet.ts), each validated with the deployed cluster schema
 * (no lab-only fields; the password comes from the secret or the parameter named here, never from a pair).
 */
import * as z from "zod";
import { ConfigError } from "../../shared/config.ts";
import { issueLines } from "../../shared/domain/errors.ts";

/**
 * The function's tunables, bounded and defaulted once: the deployment file (infra/deploy-config.ts), the
 * construct (infra/constructs/probe-function.ts) and this schema all read them from here.
 */
export const TUNABLES = {
  /** Probe every K seconds within one invocation (0: once per invocation). */
  subMinuteIntervalSeconds: { min: 0, max: 59, default: 0 },
  /** How long history items live. */
  historyTtlDays: { min: 1, default: 90 },
} as const;
export const HISTORY_TTL_DAYS_DEFAULT = TUNABLES.historyTtlDays.default;

export const EnvSchema = z
  .object({
    /** The pairs this function probes (a JSON file in its asset, written by the construct). */
    FLEET_CONFIG_FILE: z.string().min(1).default("fleet.json"),
    /** Set by Lambda: the function's directory, where a relative FLEET_CONFIG_FILE is found. */
    LAMBDA_TASK_ROOT: z.string().optional(),
    TABLE_NAME: z.string().min(3),
    MAIL_FROM: z.string().min(3),
    MAIL_TO: z
      .string()
      .transform((s) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().email()).min(1)),
    /** The SES configuration set the mails go through (the sender identity's default one, when it has one). */
    MAIL_CONFIGURATION_SET: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .optional(),
    /** Where the MySQL monitoring password is: a Secrets Manager secret, or an SSM SecureString. */
    PASSWORD_SECRET_ARN: z.string().startsWith("arn:").optional(),
    PASSWORD_PARAMETER_NAME: z.string().startsWith("/").optional(),
    /** The heartbeat user's password (a Secrets Manager secret), when the cluster has a heartbeat. */
    HEARTBEAT_PASSWORD_SECRET_ARN: z.string().startsWith("arn:").optional(),
    /** Probe every K seconds within one invocation (0: once per invocation). */
    SUBMINUTE_INTERVAL_SECONDS: z.coerce
      .number()
      .int()
      .min(TUNABLES.subMinuteIntervalSeconds.min)
      .max(TUNABLES.subMinuteIntervalSeconds.max)
      .default(TUNABLES.subMinuteIntervalSeconds.default),
    /** The schedule's rate: in sub-minute mode one invocation covers this window. */
    SCHEDULE_RATE_SECONDS: z.coerce.number().int().min(60).default(60),
    /** Time kept free at the end of the invocation. */
    DEADLINE_MARGIN_MS: z.coerce.number().int().min(500).default(3000),
    /**
     * Publish every per-pair value as a CloudWatch metric (14 per pair); otherwise only ClusterStatus is a
     * metric and the rest are fields of the same log record (Logs Insights reads them).
     */
    DETAILED_METRICS: z
      .enum(["true", "false"])
      .default("false")
      .transform((v) => v === "true"),
    /** The fleet's dashboard, linked from the mails. */
    DASHBOARD_NAME: z.string().min(1).optional(),
    /** Set by Lambda: the region, and the function's log group (linked from the mails). */
    AWS_REGION: z.string().optional(),
    AWS_LAMBDA_LOG_GROUP_NAME: z.string().optional(),
    /** How long history items live. */
    HISTORY_TTL_DAYS: z.coerce
      .number()
      .int()
      .min(TUNABLES.historyTtlDays.min)
      .default(HISTORY_TTL_DAYS_DEFAULT),
    /** A pushed probe waits this long first (keepalived sends several notifications per transition). */
    PUSH_DEBOUNCE_MS: z.coerce.number().int().min(0).max(5000).default(200),
    /** Pushed probes of one cluster start at least this far apart (a flap cannot cause a probe storm). */
    PUSH_HOLD_MS: z.coerce.number().int().min(100).max(60_000).default(800),
    /**
     * Pushes one node may send a minute; beyond, refused (a flood). keepalived notifies once or twice per
     * transition: twelve cover a node flapping every ten seconds.
     */
    PUSH_NODE_MAX_PER_MINUTE: z.coerce.number().int().min(1).max(600).default(12),
  })
  .refine((e) => e.PASSWORD_SECRET_ARN || e.PASSWORD_PARAMETER_NAME, {
    message: "set PASSWORD_SECRET_ARN or PASSWORD_PARAMETER_NAME",
  });
export type Env = z.infer<typeof EnvSchema>;

/**
 * The environment as the construct writes it: only the names this schema reads (a misspelt one does not
 * compile), as strings, plus the runtime's own. One contract, from both ends.
 */
export type FunctionEnvironment = { [K in keyof z.input<typeof EnvSchema>]?: string } & {
  POWERTOOLS_SERVICE_NAME: string;
  POWERTOOLS_METRICS_NAMESPACE: string;
  NODE_OPTIONS: string;
};

export function parseEnv(env: NodeJS.ProcessEnv): Env {
  const r = EnvSchema.safeParse(env);
  if (!r.success) {
    throw new ConfigError("the function's environment", issueLines(r.error.issues, "(env)"));
  }
  return r.data;
}
