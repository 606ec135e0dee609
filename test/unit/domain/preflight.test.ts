/** preflight's rules on facts, pure: a read that failed is a failed check naming why, never a pass. */
import { describe, expect, it } from "vitest";
import {
  lambdaChecks,
  type PreflightFacts,
  type PreflightPlan,
  preflightChecks,
  versionAtLeast,
} from "../../../shared/domain/preflight.ts";

const plan: PreflightPlan = {
  region: "eu-west-1",
  mailFrom: "p@example.com",
  mailTo: ["o@example.com"],
  alarmEmail: "o@example.com",
  nodes: [{ pair: "p", node: "a", instanceId: "i-0123456789abcdef0" }],
  vpcId: "vpc-1",
  subnetIds: ["subnet-1"],
  createEndpoints: [],
  neededServices: ["dynamodb", "ssm", "secretsmanager", "email"],
  secretArns: ["arn:aws:secretsmanager:eu-west-1:1:secret:s-AbCdEf"],
  secretsKmsKeyArns: [],
  functionSecurityGroupIds: [],
  mysqlSecurityGroupIds: [],
  mysqlPorts: [3306],
  scheduleRateMinutes: 1,
  pushReservedConcurrency: 2,
};

describe("preflight rules", () => {
  it("without credentials every check fails, each saying how to give the command credentials", () => {
    const none = {
      ok: false as const,
      error: "CredentialsProviderError: Could not load credentials from any providers",
    };
    const facts: PreflightFacts = {
      ses: none,
      nodes: none,
      vpc: none,
      secrets: { [plan.secretArns[0] as string]: none },
      securityGroups: none,
      lambda: none,
      now: 0,
    };
    const checks = preflightChecks(plan, facts);
    expect(checks.length).toBeGreaterThanOrEqual(5);
    for (const c of checks) {
      expect(c.ok).toBe(false);
      expect(c.fix).toMatch(/AWS credentials/);
    }
  });

  it.each([
    [1000, 1000, true, /1000 unreserved of 1000: 998 left/],
    [1000, 101, false, /would leave 99, under Lambda's floor of 100/],
    [10, 10, false, /reserving 2 would leave 8, under Lambda's floor of 10/],
  ])("push's reserved concurrency with a quota of %i, %i unreserved: ok %s", (quota, free, ok, detail) => {
    const facts = {
      lambda: {
        ok: true as const,
        value: { concurrentExecutions: quota, unreservedConcurrentExecutions: free },
      },
    } as PreflightFacts;
    const [c] = lambdaChecks(plan, facts);
    expect(c).toMatchObject({ ok, detail: expect.stringMatching(detail) });
    if (!ok) expect(c?.fix).toMatch(/pushReservedConcurrency: 0/);
    expect(lambdaChecks({ ...plan, pushReservedConcurrency: 0 }, facts)).toEqual([]);
  });

  it("agent versions compare by number, part by part", () => {
    expect(versionAtLeast("3.3.2746.0", "3.3.2746.0")).toBe(true);
    expect(versionAtLeast("3.10.0.0", "3.3.2746.0")).toBe(true);
    expect(versionAtLeast("3.3.987.0", "3.3.2746.0")).toBe(false);
  });
});
