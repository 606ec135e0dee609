/** The deployment file read by the CDK app: where to deploy, and the clusters (the CLI's schema). */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import * as z from "zod";
import { ClusterSchema, ConfigError } from "../shared/config.ts";

export const DeploySchema = z.object({
  deploy: z.object({
    account: z
      .string()
      .regex(/^\d{12}$/)
      .optional(),
    region: z.string().min(1),
    vpc: z.object({
      vpcId: z.string().startsWith("vpc-"),
      availabilityZones: z.array(z.string()).min(1),
      privateSubnetIds: z.array(z.string().startsWith("subnet-")).min(1),
    }),
    securityGroupIds: z.array(z.string().startsWith("sg-")).default([]),
    passwordSecretArn: z.string().startsWith("arn:"),
    mailFrom: z.string().email(),
    mailTo: z.array(z.string().email()).min(1),
    alarmEmail: z.string().email(),
    scheduleRateMinutes: z.number().int().min(1).default(1),
    subMinuteIntervalSeconds: z.number().int().min(0).max(59).default(0),
    createVpcEndpoints: z.boolean().default(false),
  }),
  clusters: z.array(ClusterSchema).min(1),
});
export type DeployConfig = z.infer<typeof DeploySchema>;

export function loadDeployConfig(file: string): DeployConfig {
  const r = DeploySchema.safeParse(parseYaml(readFileSync(file, "utf8")));
  if (!r.success)
    throw new ConfigError(
      file,
      r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    );
  return r.data;
}
