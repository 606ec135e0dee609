/** The deployment file read by the CDK app: where to deploy, and the clusters (the deployed cluster schema). */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import * as z from "zod";
import { ConfigError, DeployedClusterSchema } from "../shared/config.ts";

export const DeploySchema = z.object({
  deploy: z
    .object({
      account: z
        .string()
        .regex(/^\d{12}$/)
        .optional(),
      region: z.string().min(1),
      vpc: z.object({
        vpcId: z.string().startsWith("vpc-"),
        availabilityZones: z.array(z.string()).min(1),
        privateSubnetIds: z.array(z.string().startsWith("subnet-")).min(1),
        /** The route table of each private subnet, in the same order: needed for the DynamoDB gateway endpoint. */
        privateSubnetRouteTableIds: z.array(z.string().startsWith("rtb-")).optional(),
      }),
      securityGroupIds: z.array(z.string().startsWith("sg-")).default([]),
      passwordSecretArn: z.string().startsWith("arn:"),
      /** The secret holding the heartbeat user's password (needed when a cluster has a heartbeat). */
      heartbeatPasswordSecretArn: z.string().startsWith("arn:").optional(),
      mailFrom: z.string().email(),
      mailTo: z.array(z.string().email()).min(1),
      /** SES identity ARNs the function may send as. @default sender and recipients, address and domain */
      sesIdentityArns: z.array(z.string().startsWith("arn:")).min(1).optional(),
      alarmEmail: z.string().email(),
      scheduleRateMinutes: z.number().int().min(1).default(1),
      subMinuteIntervalSeconds: z.number().int().min(0).max(59).default(0),
      createVpcEndpoints: z.boolean().default(false),
      historyTtlDays: z.number().int().min(1).default(90),
      /** A policy for the nodes' roles to invoke the function from keepalived's notify script. */
      push: z.boolean().default(false),
      deadMansSwitchMinutes: z.number().int().min(1).optional(),
    })
    .refine((d) => !d.createVpcEndpoints || d.vpc.privateSubnetRouteTableIds !== undefined, {
      message:
        "createVpcEndpoints needs vpc.privateSubnetRouteTableIds (the DynamoDB gateway endpoint is a route)",
      path: ["vpc", "privateSubnetRouteTableIds"],
    })
    .refine(
      (d) =>
        d.vpc.privateSubnetRouteTableIds === undefined ||
        d.vpc.privateSubnetRouteTableIds.length === d.vpc.privateSubnetIds.length,
      {
        message: "give one route table per private subnet, in the same order",
        path: ["vpc", "privateSubnetRouteTableIds"],
      },
    ),
  clusters: z.array(DeployedClusterSchema).min(1),
});
export type DeployConfig = z.infer<typeof DeploySchema>;

export function loadDeployConfig(file: string): DeployConfig {
  let value: unknown;
  try {
    value = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ConfigError(file, [`cannot read the deployment file: ${(e as Error).message.split("\n")[0]}`], {
      cause: e,
    });
  }
  const r = DeploySchema.safeParse(value);
  if (!r.success)
    throw new ConfigError(
      file,
      r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    );
  const names = new Set<string>();
  for (const c of r.data.clusters) {
    if (names.has(c.name)) throw new ConfigError(file, [`clusters: the name "${c.name}" is used twice`]);
    names.add(c.name);
    if (c.heartbeat && !r.data.deploy.heartbeatPasswordSecretArn)
      throw new ConfigError(file, [
        `clusters[${c.name}].heartbeat: set deploy.heartbeatPasswordSecretArn (the heartbeat user's password)`,
      ]);
  }
  return r.data;
}
