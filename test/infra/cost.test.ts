/**
 * The cost model reads the synthesized template, not a hand-kept list: each priced item follows what the
 * template holds (alarms, keys, dashboards, metric filters, VPC endpoints, schedules).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { costOfDeployment, PRICES } from "../../bench/cost.ts";

const EXAMPLE = fileURLToPath(new URL("../../infra/deploy.example.yaml", import.meta.url));

function priced(edit: (d: Record<string, unknown>) => void = () => {}) {
  const doc = parse(readFileSync(EXAMPLE, "utf8")) as { deploy: Record<string, unknown> };
  edit(doc.deploy);
  const file = join(mkdtempSync(join(tmpdir(), "mhp-cost-test-")), "deploy.yaml");
  writeFileSync(file, stringify(doc));
  const c = costOfDeployment(file);
  const line = (item: string) => c.lines.find((l) => l.item === item);
  return { c, line };
}

describe("the cost model, from the synthesized template", () => {
  it("prices what the example template holds: 2 pair alarms, 4 fleet alarms, the topic's key, one dashboard, no endpoint", () => {
    const { c, line } = priced();
    expect(line("alarms, per pair")?.count).toBe("2");
    expect(line("alarms, shared")?.count).toBe("4");
    expect(line("KMS keys")?.monthly).toBe(PRICES.kmsKey);
    expect(line("dashboard")?.monthly).toBe(PRICES.dashboard);
    expect(line("VPC interface endpoints")?.monthly).toBe(0);
    // a state item of 2.4 KB is 3 write units on demand, not 1
    expect(line("DynamoDB on demand")?.count).toMatch(/3 write units/);
    expect(c.total).toBeCloseTo(c.lines.reduce((n, l) => n + l.monthly, 0));
  }, 120_000);

  it("follows the template: interface endpoints per zone, no dashboard, the table's own key", () => {
    const { line } = priced((d) => {
      d.createVpcEndpoints = true;
      (d.vpc as Record<string, unknown>).privateSubnetRouteTableIds = [
        "rtb-0123456789abcdef0",
        "rtb-0fedcba9876543210",
      ];
      d.dashboard = false;
      d.tableCustomerManagedKey = true;
    });
    // ssm, secretsmanager, email, xray in two subnets
    expect(line("VPC interface endpoints")?.monthly).toBeCloseTo(8 * PRICES.interfaceEndpointPerAz);
    expect(line("dashboard")?.monthly).toBe(0);
    expect(line("KMS keys")?.monthly).toBe(2 * PRICES.kmsKey);
  }, 120_000);
});
