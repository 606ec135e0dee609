/**
 * The prober's configuration (YAML or JSON), validated with zod. Errors name the path and the
 * problem, e.g. `clusters[0].nodes.a.runner.instanceId: must be an EC2 (i-) or hybrid (mi-) id`.
 */
import * as z from "zod";
import { ec2NodeMapOf, ec2NodesMapped } from "./domain/ec2.ts";
import { ConfigError, checkNamesUnique, InputError, issueLines } from "./domain/errors.ts";
import { strictObject } from "./strict-object.ts";

const ipv4 = z
  .string()
  .regex(
    /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/,
    "must be an IPv4 address",
  );
const host = z.string().regex(/^[A-Za-z0-9_.:-]{1,253}$/, "must be a host name or an IP address");
const port = z.number().int().min(1).max(65535);
const absPath = z.string().regex(/^\/[A-Za-z0-9_./-]{0,255}$/, "must be an absolute path of [A-Za-z0-9_./-]");

const SsmRunner = strictObject({
  type: z.literal("ssm"),
  instanceId: z
    .string()
    .regex(/^(i|mi)-[0-9a-f]{8,17}$/, "must be an EC2 (i-) or hybrid (mi-) managed node id"),
  /** @default the document deployed by the CDK app, "mysql-ha-prober-node-check" */
  documentName: z
    .string()
    .regex(/^[A-Za-z0-9_.:/-]{3,128}$/, "must be an SSM document name or ARN")
    .default("mysql-ha-prober-node-check"),
  region: z.string().optional(),
});
const SshRunner = strictObject({
  type: z.literal("ssh"),
  host,
  user: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional(),
  port: port.optional(),
  identityFile: absPath.optional(),
  knownHostsFile: absPath.optional(),
});
/** A network namespace name that cannot read as an option of `ip netns exec` ("-") or a path ("."). */
export const NAMESPACE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** Lab only: runs the node check inside a local network namespace. */
const NetnsRunner = strictObject({
  type: z.literal("netns"),
  namespace: z.string().regex(NAMESPACE_NAME, "must be a network namespace name (not starting with - or .)"),
});
const Runner = z.discriminatedUnion("type", [SsmRunner, SshRunner]);
const LabRunner = z.discriminatedUnion("type", [SsmRunner, SshRunner, NetnsRunner]);

const NodeCheck = strictObject({
  interface: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,15}$/)
    .optional(),
  keepalivedPidFile: absPath.default("/run/keepalived.pid"),
  keepalivedDumpDir: absPath.default("/tmp"),
  /** keepalived's DATA dump when global_defs sets state_dump_file (default: <keepalivedDumpDir>/keepalived.data). */
  keepalivedDumpFile: absPath.optional(),
  /** The VRRP instance that carries the VIP (default: the instance whose virtual IPs include it). */
  vrrpInstance: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional(),
  notifyStateFile: absPath.optional(),
  notifyLog: absPath.optional(),
  arpCount: z.number().int().min(1).max(9).default(3),
  arpWaitMs: z.number().int().min(10).max(9999).default(20),
}).default({
  keepalivedPidFile: "/run/keepalived.pid",
  keepalivedDumpDir: "/tmp",
  arpCount: 3,
  arpWaitMs: 20,
});

const nodeSchema = <R extends typeof Runner | typeof LabRunner>(runner: R) =>
  strictObject({
    host,
    port: port.default(3306),
    /** Other names the peer's replication channel may use for this node. */
    aliases: z.array(host).default([]),
    runner,
    nodeCheck: NodeCheck,
  });
const witnessSchema = <R extends typeof Runner | typeof LabRunner>(runner: R) =>
  z.array(strictObject({ name: z.string().min(1), runner, nodeCheck: NodeCheck })).default([]);

/** Name of an environment variable holding a password (the CLI; the function reads a secret). */
const passwordEnv = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name")
  .optional();

/**
 * TLS to MySQL: disabled (plaintext), required (encrypted, any certificate), verify-ca (the certificate
 * signed by `ca`), verify-identity (and naming the address connected to: the node's IP, or the VIP).
 * A certificate that does not verify is a finding; the prober never falls back to plaintext.
 */
/**
 * TLS to MySQL, verify-identity by default: the CA is required, and no credential is sent before the
 * server's certificate is checked against it and found to name the address dialled (the node's IP, or the
 * VIP). verify-ca (any certificate of the CA passes: a host holding one for another name gets the password)
 * and `mode: disabled` (the password crosses the network in the clear to whoever answers at the address)
 * are explicit choices.
 */
const Tls = strictObject({
  mode: z.enum(["disabled", "required", "verify-ca", "verify-identity"]).default("verify-identity"),
  /** The CA certificate(s), PEM. */
  ca: z.string().includes("BEGIN CERTIFICATE", { message: "must be a PEM certificate" }).optional(),
  /** The CA certificate(s) in a file, PEM (the CLI; the function takes `ca`). */
  caFile: absPath.optional(),
})
  .refine((t) => !["verify-ca", "verify-identity"].includes(t.mode) || t.ca || t.caFile, {
    message:
      "verify-identity (the default) and verify-ca need the CA: ca or caFile. Plaintext only as an explicit choice: tls: { mode: disabled } (the password then crosses the network in the clear)",
  })
  // absent: parsed as {} (so verify-identity, whose CA the refinement above then asks for), never skipped
  .prefault({});

const Mysql = strictObject({
  user: z.string().min(1),
  passwordEnv,
  tls: Tls,
  connectTimeoutMs: z.number().int().min(100).max(30_000).default(2000),
  queryTimeoutMs: z.number().int().min(100).max(30_000).default(2000),
  totalTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
});

/**
 * The heartbeat: a row written through the VIP each probe by a user that may write that one table only.
 * The deployed function reads its password from the deployment's heartbeatPasswordSecretArn.
 */
const Heartbeat = strictObject({
  user: z.string().min(1),
  passwordEnv,
  table: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}\.[A-Za-z0-9_]{1,64}$/, "must be database.table")
    .default("mysql_ha_prober.heartbeat"),
  /** The whole write (connect, write, read back): longer means the holder cannot take writes. */
  timeoutMs: z.number().int().min(200).max(30_000).default(2000),
});

const eniId = z.string().regex(/^eni-[0-9a-f]{8,17}$/, "must be a network interface id (eni-...)");
const ec2InstanceId = z.string().regex(/^i-[0-9a-f]{8,17}$/, "must be an EC2 instance id (i-...)");

/**
 * The EC2 view of the VIP (opt-in): where the VPC routes it. secondary-ip: the network interface that
 * holds the VIP as a secondary private IP (DescribeNetworkInterfaces); route-table: the /32 route for it
 * in each listed route table (DescribeRouteTables). The ARP view is then not used: the VPC, not ARP,
 * decides where the VIP's traffic goes.
 */
const Ec2 = strictObject({
  mode: z.enum(["secondary-ip", "route-table"]),
  /** route-table mode: the route tables that must route the VIP (one per zone or subnet). */
  routeTableIds: z
    .array(z.string().regex(/^rtb-[0-9a-f]{8,17}$/, "must be a route table id (rtb-...)"))
    .default([]),
  /**
   * Each node's network interface and/or instance.
   * @default the instance ids of the nodes' ssm runners
   */
  nodes: strictObject({
    a: strictObject({ networkInterfaceId: eniId.optional(), instanceId: ec2InstanceId.optional() }),
    b: strictObject({ networkInterfaceId: eniId.optional(), instanceId: ec2InstanceId.optional() }),
  }).optional(),
  /** How long EC2 may disagree with the holder before it is critical (the reassignment is asynchronous). */
  graceSeconds: z.number().min(0).max(600).default(30),
  /** @default the function's region (AWS_REGION) */
  region: z.string().optional(),
  /** The EC2 API's deadline per probe. */
  timeoutMs: z.number().int().min(200).max(30_000).default(3000),
}).refine((e) => e.mode !== "route-table" || e.routeTableIds.length > 0, {
  message: "route-table mode needs routeTableIds",
  path: ["routeTableIds"],
});

/** Every node of an EC2 view must map to an interface or an instance (the rule of domain/ec2.ts). */
function ec2Mapped(c: {
  ec2?: z.infer<typeof Ec2>;
  nodes: Record<"a" | "b", { runner: { type: string; instanceId?: string } }>;
}): boolean {
  if (!c.ec2) return true;
  return ec2NodesMapped(ec2NodeMapOf(c.ec2.nodes, { a: c.nodes.a.runner, b: c.nodes.b.runner }));
}
const EC2_UNMAPPED = {
  message: "give ec2.nodes.<a|b>.networkInterfaceId or instanceId (or use ssm runners with EC2 instance ids)",
  path: ["ec2", "nodes"],
};

/**
 * One monitored pair, as deployed: what the function validates (each entry of its fleet file) and what the
 * deployment file lists. Nothing lab-only here: no namespace runner, no forwarder, no inline password.
 */
const Compare = strictObject({
  schemas: z
    .array(z.string().regex(/^[A-Za-z0-9_$]{1,64}$/, "must be a schema name (letters, digits, _ or $)"))
    .min(1, "give at least one schema"),
  /** The sweep: the schemas compared in slices after the probes, over and over. Absent: no sweep. */
  sweep: strictObject({
    /** The time one invocation spends on the sweep, at most (after its probe, within the function's timeout). */
    sliceSeconds: z.number().int().min(1).max(300).default(10),
    /** The pause between the end of a pass and the start of the next one (a split brain in which both nodes took writes starts one at once). */
    restMinutes: z.number().int().min(0).max(10_080).default(60),
    /** The server time one chunk read aims at, on each node. */
    chunkTimeMs: z.number().int().min(10).max(5000).default(250),
    /** Threads_running on either node above which the sweep reads nothing and waits (until its slice ends). */
    maxLoad: z.number().int().min(1).max(100_000).default(25),
  }).optional(),
});

export const ClusterSchema = strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, '_', '.', '-'"),
  vip: strictObject({ host: ipv4, port: port.default(3306) }),
  mysql: Mysql,
  heartbeat: Heartbeat.optional(),
  nodes: strictObject({ a: nodeSchema(Runner), b: nodeSchema(Runner) }),
  witnesses: witnessSchema(Runner),
  thresholds: strictObject({
    lagWarningSeconds: z.number().min(0).default(30),
    lagCriticalSeconds: z.number().min(0).default(300),
  })
    .refine((t) => t.lagCriticalSeconds >= t.lagWarningSeconds, {
      message: "lagCriticalSeconds must be >= lagWarningSeconds",
    })
    .default({ lagWarningSeconds: 30, lagCriticalSeconds: 300 }),
  alerting: strictObject({
    confirmations: z.number().int().min(1).max(20).default(2),
    splitBrainRepeatMinutes: z.number().min(1).default(15),
    repeatHours: z.number().min(0.1).default(4),
    failoverGraceSeconds: z.number().min(0).max(300).default(10),
    incidentExpiryHours: z
      .number()
      .min(0.1)
      .max(24 * 30)
      .default(24),
  }).default({
    confirmations: 2,
    splitBrainRepeatMinutes: 15,
    repeatHours: 4,
    failoverGraceSeconds: 10,
    incidentExpiryHours: 24,
  }),
  historySamples: z.boolean().default(false),
  ec2: Ec2.optional(),
  /**
   * The consistency check: the schemas `compare` reads when --schemas is not given (and whose SELECT grant
   * `doctor` checks on both nodes); with `sweep`, the deployed function (and `watch`) compares them in
   * slices after its probes (docs/consistency.md, "The deployed sweep").
   */
  compare: Compare.optional(),
});

/**
 * A cluster in the CLI's configuration: the deployed schema plus what only the lab uses (the `netns`
 * runner, an inline password, the forwarder socket). The function never accepts these.
 */
export const LabClusterSchema = ClusterSchema.extend({
  mysql: Mysql.extend({
    /** Inline password: for the lab only. Prefer passwordEnv. */
    password: z.string().optional(),
  }),
  heartbeat: Heartbeat.extend({
    /** Inline password: for the lab only. */
    password: z.string().optional(),
  }).optional(),
  nodes: strictObject({ a: nodeSchema(LabRunner), b: nodeSchema(LabRunner) }),
  witnesses: witnessSchema(LabRunner),
  /** Lab only: open SQL connections from the lab's client namespace through this forwarder socket. */
  forwarderSocket: absPath.optional(),
  /**
   * Lab only: the push channel. The nodes' keepalived notify scripts write a line to this FIFO on every
   * transition; `watch` probes the cluster at once (coalesced), besides its interval.
   */
  push: strictObject({ fifo: absPath }).optional(),
  /**
   * Lab only: the EC2 API stand-in the CLI serves from the lab's record of the notify scripts'
   * `aws ec2` calls (lab/ec2-standin.ts).
   */
  ec2StandIn: strictObject({ callsLog: absPath, faultFile: absPath }).optional(),
});

/** The CLI needs a password source for each cluster: inline (lab) or an environment variable. */
const CliClusterSchema = LabClusterSchema.refine(
  (c) => c.mysql.password !== undefined || c.mysql.passwordEnv !== undefined,
  { message: "give password or passwordEnv", path: ["mysql"] },
).refine(ec2Mapped, EC2_UNMAPPED);

/** The deployed schema with the EC2 mapping checked (the function and the deployment file). */
export const DeployedClusterSchema = ClusterSchema.refine(ec2Mapped, EC2_UNMAPPED);

export const ConfigSchema = strictObject({
  clusters: z.array(CliClusterSchema).min(1, "list at least one cluster"),
  store: z
    .discriminatedUnion("type", [
      strictObject({
        type: z.literal("embedded"),
        dataDir: absPath.default("/var/lib/mysql-ha-prober/store"),
        tableName: z.string().default("mysql-ha-prober"),
        /**
         * Kept for older configuration files; unused. The process that owns dataDir serves it on a unix
         * socket inside it (`dataDir/store.sock`, the directory 0700): only its user can reach the store.
         */
        port: port.default(8006),
      }),
      strictObject({
        type: z.literal("dynamodb"),
        tableName: z.string().min(3),
        region: z.string().optional(),
        endpoint: z.string().url().optional(),
      }),
    ])
    .default({
      type: "embedded",
      dataDir: "/var/lib/mysql-ha-prober/store",
      tableName: "mysql-ha-prober",
      port: 8006,
    }),
  mail: z
    .discriminatedUnion("type", [
      strictObject({
        type: z.literal("embedded"),
        port: port.default(8005),
        from: z.string().email().default("prober@lab.invalid"),
        to: z.array(z.string().email()).min(1).default(["ops@lab.invalid"]),
      }),
      strictObject({
        type: z.literal("ses"),
        region: z.string().optional(),
        endpoint: z.string().url().optional(),
        from: z.string().min(3),
        to: z.array(z.string().email()).min(1, "give at least one recipient"),
      }),
    ])
    .default({ type: "embedded", port: 8005, from: "prober@lab.invalid", to: ["ops@lab.invalid"] }),
});
export type Config = z.infer<typeof ConfigSchema>;
/** A deployed cluster (the function's schema). */
export type ClusterConfig = z.infer<typeof ClusterSchema>;
/** A cluster as the CLI reads it: a deployed one, or a lab one. */
export type LabClusterConfig = z.infer<typeof LabClusterSchema>;
export type RunnerConfig = z.infer<typeof LabRunner>;

export { ConfigError };

export function parseConfig(value: unknown, source = "configuration"): Config {
  const r = ConfigSchema.safeParse(value);
  if (!r.success) {
    throw new ConfigError(source, issueLines(r.error.issues));
  }
  checkNamesUnique(source, r.data.clusters);
  return r.data;
}

/** The heartbeat user's password: inline (lab), or from the named environment variable. */
export function heartbeatPassword(c: LabClusterConfig, env: NodeJS.ProcessEnv = process.env): string {
  const h = c.heartbeat;
  if (!h) return "";
  if (h.passwordEnv) {
    const v = env[h.passwordEnv];
    if (v === undefined)
      throw new InputError(
        `clusters[${c.name}].heartbeat.passwordEnv`,
        `environment variable ${h.passwordEnv} is not set`,
      );
    return v;
  }
  return h.password ?? "";
}

/** The MySQL monitoring password: inline, or from the named environment variable. */
export function mysqlPassword(c: LabClusterConfig, env: NodeJS.ProcessEnv = process.env): string {
  if (c.mysql.passwordEnv) {
    const v = env[c.mysql.passwordEnv];
    if (v === undefined)
      throw new InputError(
        `clusters[${c.name}].mysql.passwordEnv`,
        `environment variable ${c.mysql.passwordEnv} is not set`,
      );
    return v;
  }
  return c.mysql.password ?? "";
}
