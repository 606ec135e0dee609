/**
 * `cli-config`: from the deployment file and the deployed stack's outputs to the CLI configuration that
 * reads the deployed table. CloudFormation is mocked (aws-sdk-client-mock); the deployment file is the
 * example the README ships.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { tableNameOf } from "../../../cli/commands/cli-config.ts";
import { loadConfig } from "../../../shared/config-file.ts";
import { cli } from "../../helpers/cli.ts";

const EXAMPLE = new URL("../../../infra/deploy.example.yaml", import.meta.url).pathname;
const cfn = mockClient(CloudFormationClient);
afterEach(() => cfn.reset());

describe("cli-config", () => {
  it("writes a CLI configuration whose store is the stack's table, with the deployment's pairs and mail", async () => {
    // Prepare: the stack's outputs as CloudFormation gives them (logical ids with a hash)
    cfn.on(DescribeStacksCommand, { StackName: "MysqlHaProber" }).resolves({
      Stacks: [
        {
          StackName: "MysqlHaProber",
          CreationTime: new Date(),
          StackStatus: "CREATE_COMPLETE",
          Outputs: [
            { OutputKey: "FleetFunctionName1A2B3C4D", OutputValue: "MysqlHaProber-Probe" },
            { OutputKey: "FleetTableName9F8E7D6C", OutputValue: "MysqlHaProber-State-XYZ" },
          ],
        },
      ],
    });
    const file = join(mkdtempSync(join(tmpdir(), "mhp-cli-config-")), "prober.yaml");
    // Act
    const r = await cli("cli-config", "-d", EXAMPLE, "--out", file);
    // Assess: the CLI reads it, its store is the deployed table, only its owner can read it
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain("MysqlHaProber-State-XYZ");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const cfg = loadConfig(file);
    const example = parse(readFileSync(EXAMPLE, "utf8"));
    expect(cfg.store).toMatchObject({
      type: "dynamodb",
      tableName: "MysqlHaProber-State-XYZ",
      region: example.deploy.region,
    });
    expect(cfg.mail).toMatchObject({ type: "ses", from: example.deploy.mailFrom, to: example.deploy.mailTo });
    expect(cfg.clusters.map((c) => c.name)).toEqual(example.clusters.map((c: { name: string }) => c.name));
  });

  it("a stack without one TableName output is an error naming the outputs it has", () => {
    expect(() => tableNameOf("S", [{ OutputKey: "FleetFunctionName", OutputValue: "f" }])).toThrow(
      /stack S: expected one TableName output, found 0 \(outputs: FleetFunctionName\)/,
    );
  });

  it("a missing stack is exit 3 with CloudFormation's message", async () => {
    cfn.on(DescribeStacksCommand).rejects(new Error("Stack with id MysqlHaProber does not exist"));
    const r = await cli("cli-config", "-d", EXAMPLE);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/Stack with id MysqlHaProber does not exist/);
  });
});
