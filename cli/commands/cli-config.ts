/**
 * `cli-config`: the one way from a deployment to the CLI. It reads the deployed stack's outputs (the state
 * table) and writes the CLI configuration for that fleet: the deployment file's pairs, the stack's table as
 * the store, SES as the mail, so `status`, `history`, `silence` and `ack` read and change what the deployed
 * function writes.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import { stringify } from "yaml";
import type { DeployConfig } from "../../infra/deploy-config.ts";
import { parseConfig } from "../../shared/config.ts";
import type { Io } from "../common.ts";

/** The CLI configuration for a deployed fleet: its pairs, its table, its mail. Validated as the CLI reads it. */
export function cliConfigForDeployment(d: DeployConfig, tableName: string): Record<string, unknown> {
  // the CLI reads passwords from its environment (the function from the secrets): `probe` and `doctor`
  // with this file need them there; `status`, `history`, `silence` and `ack` do not
  const clusters = d.clusters.map((c) => ({
    ...c,
    mysql: { ...c.mysql, passwordEnv: "MHP_MYSQL_PASSWORD" },
    ...(c.heartbeat ? { heartbeat: { ...c.heartbeat, passwordEnv: "MHP_HB_PASSWORD" } } : {}),
  }));
  const config = {
    clusters,
    store: { type: "dynamodb", tableName, region: d.deploy.region },
    mail: { type: "ses", region: d.deploy.region, from: d.deploy.mailFrom, to: d.deploy.mailTo },
  };
  parseConfig(config, "the CLI configuration made from the deployment");
  return config;
}

/** The stack's state-table output (its key ends in TableName); an error names the outputs there are. */
export function tableNameOf(stack: string, outputs: { OutputKey?: string; OutputValue?: string }[]): string {
  const tables = outputs.filter((o) => o.OutputKey?.includes("TableName") && o.OutputValue);
  if (tables.length !== 1)
    throw new Error(
      `stack ${stack}: expected one TableName output, found ${tables.length} (outputs: ${outputs.map((o) => o.OutputKey).join(", ") || "none"})`,
    );
  return tables[0]?.OutputValue as string;
}

export function cliConfigCommand(io: Io): Command {
  return new Command("cli-config")
    .description(
      "write the CLI configuration for a deployed fleet: the deployment file's pairs, the stack's state table (read from its outputs) as the store, SES as the mail",
    )
    .addOption(
      new Option("-d, --deployment <file>", "the deployment file given to cdk deploy").makeOptionMandatory(),
    )
    .option("--stack <name>", "the deployed stack's name", "MysqlHaProber")
    .option("--out <file>", "write it to this file (mode 0600) instead of printing it")
    .action(async (o: { deployment: string; stack: string; out?: string }) => {
      const [{ loadDeployConfig }, cfn] = await Promise.all([
        import("../../infra/deploy-config.ts"),
        import("@aws-sdk/client-cloudformation"),
      ]);
      const d = loadDeployConfig(o.deployment);
      const client = new cfn.CloudFormationClient({ region: d.deploy.region, maxAttempts: 3 });
      const r = await client.send(new cfn.DescribeStacksCommand({ StackName: o.stack }), {
        abortSignal: AbortSignal.timeout(20_000),
      });
      const table = tableNameOf(o.stack, r.Stacks?.[0]?.Outputs ?? []);
      const text = `# the CLI configuration for stack ${o.stack} (${d.deploy.region}), from ${o.deployment}: mysql-ha-prober cli-config\n${stringify(cliConfigForDeployment(d, table))}`;
      if (o.out) {
        writeFileSync(o.out, text, { mode: 0o600 });
        chmodSync(o.out, 0o600);
        io.out(
          `wrote ${o.out}: status, history, silence and ack with -c ${o.out} use the stack's table ${table}`,
        );
      } else io.out(text.trimEnd());
    });
}
