/** The deployment file read by the CDK app: where to deploy, and the clusters (the deployed cluster schema). */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import * as z from "zod";
import { TUNABLES } from "../functions/probe/env.ts";
import { ConfigError, DeployedClusterSchema } from "../shared/config.ts";
import { checkNamesUnique, issueLines, yamlExcerpt } from "../shared/domain/errors.ts";
import { strictObject } from "../shared/strict-object.ts";

/** The AWS APIs the function calls, by their VPC endpoint service names. */
export const VPC_ENDPOINT_SERVICES = ["dynamodb", "ssm", "secretsmanager", "email", "xray", "ec2"] as const;
export type VpcEndpointService = (typeof VPC_ENDPOINT_SERVICES)[number];

/** The endpoints `createVpcEndpoints` asks for (true: all but ec2, which only the EC2 view needs). */
export function endpointServices(v: boolean | readonly VpcEndpointService[]): VpcEndpointService[] {
  if (v === false) return [];
  if (v === true) return VPC_ENDPOINT_SERVICES.filter((s) => s !== "ec2");
  return [...new Set(v)];
}

export const DeploySchema = strictObject({
  deploy: strictObject({
    account: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    region: z.string().min(1),
    vpc: strictObject({
      vpcId: z.string().startsWith("vpc-"),
      availabilityZones: z.array(z.string()).min(1),
      privateSubnetIds: z.array(z.string().startsWith("subnet-")).min(1),
      /** The route table of each private subnet, in the same order: needed for the DynamoDB gateway endpoint. */
      privateSubnetRouteTableIds: z.array(z.string().startsWith("rtb-")).optional(),
    }),
    securityGroupIds: z.array(z.string().startsWith("sg-")).default([]),
    /**
     * The database nodes' security groups: each gets an ingress rule for the MySQL ports from the function's
     * security groups. Empty: allow it yourself (the FunctionSecurityGroupIds output names the groups).
     */
    mysqlSecurityGroupIds: z.array(z.string().startsWith("sg-")).default([]),
    passwordSecretArn: z.string().startsWith("arn:"),
    /** The secret holding the heartbeat user's password (needed when a cluster has a heartbeat). */
    heartbeatPasswordSecretArn: z.string().startsWith("arn:").optional(),
    mailFrom: z.string().email(),
    mailTo: z.array(z.string().email()).min(1),
    /** SES identity ARNs the function may send as. @default sender and recipients, address and domain */
    sesIdentityArns: z.array(z.string().startsWith("arn:")).min(1).optional(),
    /**
     * The SES configuration set the mails go through. Required when the sender identity has a default
     * configuration set: SES then authorizes ses:SendEmail on it too, and every mail is refused otherwise.
     */
    sesConfigurationSet: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, '_', '-'")
      .optional(),
    /**
     * A tag every database node carries (key and value): beyond 40 nodes the function may run its document
     * only on instances with it (ssm:resourceTag), not on any instance of the account.
     */
    nodeTag: strictObject({
      key: z.string().regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u),
      value: z.string().max(256),
    })
      .strict()
      .optional(),
    /** Customer managed KMS keys the password secrets are encrypted with (kms:Decrypt is granted). */
    secretsKmsKeyArns: z.array(z.string().startsWith("arn:")).default([]),
    alarmEmail: z.string().email(),
    scheduleRateMinutes: z.number().int().min(1).default(1),
    subMinuteIntervalSeconds: z
      .number()
      .int()
      .min(TUNABLES.subMinuteIntervalSeconds.min)
      .max(TUNABLES.subMinuteIntervalSeconds.max)
      .default(TUNABLES.subMinuteIntervalSeconds.default),
    /**
     * VPC endpoints for a VPC without a NAT path: true creates every one the function uses; a list creates
     * only those (a VPC that already has an `ssm` endpoint with private DNS cannot take a second one: list
     * the missing ones). `preflight` says which exist.
     */
    createVpcEndpoints: z.union([z.boolean(), z.array(z.enum(VPC_ENDPOINT_SERVICES)).min(1)]).default(false),
    historyTtlDays: z
      .number()
      .int()
      .min(TUNABLES.historyTtlDays.min)
      .default(TUNABLES.historyTtlDays.default),
    /**
     * Push: keepalived's notify script triggers a probe of its own pair at once. Creates a push function
     * (one alias per node) and policies for the nodes' instance roles, each node bound to its own alias by
     * its instance identity. EC2 nodes only.
     */
    push: z.boolean().default(false),
    /**
     * The push function's reserved concurrency: a flood of pushes never takes the scheduled probes'
     * concurrency. 0: none (an account whose concurrency quota is 10 cannot reserve any; `preflight` says).
     */
    pushReservedConcurrency: z.number().int().min(0).max(20).default(2),
    deadMansSwitchMinutes: z.number().int().min(1).optional(),
    /** Names the fleet's document, dashboard and own alarms. @default "fleet" */
    fleetName: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/, "must be 1-40 letters, digits, '_', '-'")
      .optional(),
    /** Pairs per stack: the rest go to sibling stacks (about 2.1 resources per pair, 500 per stack). */
    pairsPerStack: z.number().int().min(1).max(220).default(200),
    /** Pairs probed side by side by one schedule's invocation (1: a schedule and an invocation per pair). */
    pairsPerSchedule: z.number().int().min(1).max(50).default(10),
    /** Every per-pair value as a custom metric (14 per pair) instead of log fields. */
    detailedMetrics: z.boolean().default(false),
    /** The fleet dashboard ($3 a month at list price); false: its tables as saved Logs Insights queries. */
    dashboard: z.boolean().default(true),
    /** The state table under a customer managed KMS key of its own (about $1 a month). */
    tableCustomerManagedKey: z.boolean().default(false),
    /** The probe function's memory (MB). @default 512 */
    memorySize: z.number().int().min(128).max(10_240).optional(),
  })
    .refine(
      (d) =>
        !endpointServices(d.createVpcEndpoints).includes("dynamodb") ||
        d.vpc.privateSubnetRouteTableIds !== undefined,
      {
        message:
          "createVpcEndpoints needs vpc.privateSubnetRouteTableIds (the DynamoDB gateway endpoint is a route)",
        path: ["vpc", "privateSubnetRouteTableIds"],
      },
    )
    .refine(
      (d) =>
        d.vpc.privateSubnetRouteTableIds === undefined ||
        d.vpc.privateSubnetRouteTableIds.length === d.vpc.privateSubnetIds.length,
      {
        message: "give one route table per private subnet, in the same order",
        path: ["vpc", "privateSubnetRouteTableIds"],
      },
    )
    // CDK's Vpc.fromVpcAttributes spreads the subnets over the zones in order and fails at synth with
    // "MustBeNumberMultipleAvailability..." otherwise: said here with the fields to fix
    .refine((d) => d.vpc.privateSubnetIds.length % d.vpc.availabilityZones.length === 0, {
      message:
        "list the private subnets zone by zone, the same number in each zone: their count must be a multiple of the number of availabilityZones (CDK matches them in order)",
      path: ["vpc", "privateSubnetIds"],
    }),
  clusters: z.array(DeployedClusterSchema).min(1),
});
export type DeployConfig = z.infer<typeof DeploySchema>;

/** Alias resolutions a deployment file may make: anchors shared by a few thousand pairs. */
export const MAX_ALIASES = 20_000;

/**
 * What a deployment file may expand to once its aliases are resolved, counted as JSON characters: a
 * thousand pairs are some 1 MB. The alias budget alone let a 96 KB file (a long string anchored, then
 * aliased thousands of times) become 359 MB in the function's fleet file.
 */
export const MAX_EXPANDED_CHARACTERS = 8 * 1024 * 1024;

/** The JSON size of `value` as the aliases expand it, counted until `limit` (then Infinity): never built. */
export function expandedSize(value: unknown, limit = MAX_EXPANDED_CHARACTERS): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === "string") total += v.length + 2;
    else if (Array.isArray(v)) {
      total += 2 + v.length;
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === "object") {
      const entries = Object.entries(v);
      total += 2 + entries.length;
      for (const [k, x] of entries) {
        total += k.length + 3;
        stack.push(x);
      }
    } else total += String(v).length;
    if (total > limit) return Number.POSITIVE_INFINITY;
  }
  return total;
}

function withoutExtensionKeys(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith("x-")));
}

export function loadDeployConfig(file: string): DeployConfig {
  let value: unknown;
  try {
    // a fleet's file may share settings through anchors (`nodeCheck: *defaults`) in every pair: the
    // library's default of 100 alias resolutions stops at about 50 pairs; still bounded (billion laughs)
    value = parseYaml(readFileSync(file, "utf8"), { maxAliasCount: MAX_ALIASES });
  } catch (e) {
    throw new ConfigError(file, [`cannot read the deployment file: ${yamlExcerpt(e)}`], {
      cause: e,
    });
  }
  if (expandedSize(value) > MAX_EXPANDED_CHARACTERS)
    throw new ConfigError(file, [
      `expands to more than ${MAX_EXPANDED_CHARACTERS} characters once its aliases are resolved: share less through anchors`,
    ]);
  // top-level keys starting with "x-" hold YAML anchors shared by the pairs (as in compose files); every
  // other unknown key, at any depth, is an error naming the closest known one
  const r = DeploySchema.safeParse(withoutExtensionKeys(value));
  if (!r.success) throw new ConfigError(file, issueLines(r.error.issues));
  checkNamesUnique(file, r.data.clusters);
  for (const c of r.data.clusters) {
    if (c.heartbeat && !r.data.deploy.heartbeatPasswordSecretArn)
      throw new ConfigError(file, [
        `clusters[${c.name}].heartbeat: set deploy.heartbeatPasswordSecretArn (the heartbeat user's password)`,
      ]);
  }
  return r.data;
}

/**
 * The deployment file's JSON Schema (what the file may hold, as written: defaults not required), for
 * editors; docs/deploy.schema.json is this, kept current by a test (`npm run docs:schema` writes it).
 */
export function deploySchemaJson(): Record<string, unknown> {
  // zod's "starts_with" format is no JSON Schema format (its pattern says it all)
  const clean = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(clean)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([k, x]) => !(k === "format" && x === "starts_with"))
              .map(([k, x]) => [k, clean(x)]),
          )
        : v;
  return {
    ...(clean(z.toJSONSchema(DeploySchema, { io: "input", unrepresentable: "any" })) as Record<
      string,
      unknown
    >),
    // top-level keys starting with x- hold YAML anchors the pairs share
    patternProperties: { "^x-": {} },
    title: "mysql-ha-prober deployment file",
    description:
      "The file given to `cdk deploy -c config=<file>` (docs/deploying.md). Top-level keys starting with x- hold YAML anchors.",
  };
}
