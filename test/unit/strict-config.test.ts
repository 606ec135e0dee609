/**
 * Typos are errors naming the closest known key, in the deployment file and the CLI configuration: a
 * misspelt setting never silently keeps its default.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { loadDeployConfig } from "../../infra/deploy-config.ts";
import { parseConfig } from "../../shared/config.ts";
import { closestKey } from "../../shared/strict-object.ts";

const EXAMPLE = fileURLToPath(new URL("../../infra/deploy.example.yaml", import.meta.url));

function deployment(
  edit: (d: { deploy: Record<string, unknown>; clusters: Record<string, unknown>[] }) => void,
) {
  const doc = parse(readFileSync(EXAMPLE, "utf8"));
  edit(doc);
  const file = join(mkdtempSync(join(tmpdir(), "mhp-strict-")), "deploy.yaml");
  writeFileSync(file, stringify(doc));
  return () => loadDeployConfig(file);
}

describe("unknown keys are refused with the closest known key", () => {
  it("deploy.scheduleRateMinute: refused, 'did you mean scheduleRateMinutes' (it used to synthesize at 1 minute)", () => {
    const load = deployment((d) => (d.deploy.scheduleRateMinute = 5));
    expect(load).toThrow(/deploy: unknown key "scheduleRateMinute" \(did you mean "scheduleRateMinutes"\?\)/);
  });

  it("a pair's nodeCheck.notifyStatefile: refused, 'did you mean notifyStateFile' (it used to vanish from the fleet file)", () => {
    const load = deployment((d) => {
      const nodes = d.clusters[0]?.nodes as
        | Record<string, { nodeCheck: Record<string, unknown> }>
        | undefined;
      if (nodes?.a) nodes.a.nodeCheck = { notifyStatefile: "/var/run/keepalived.state" };
    });
    expect(load).toThrow(
      /clusters\[0\]\.nodes\.a\.nodeCheck: unknown key "notifyStatefile" \(did you mean "notifyStateFile"\?\)/,
    );
  });

  it("three subnets in two zones: an error naming vpc.privateSubnetIds, never CDK's MustBeNumberMultipleAvailability at synth", () => {
    const load = deployment((d) => {
      const vpc = d.deploy.vpc as {
        availabilityZones: string[];
        privateSubnetIds: string[];
        privateSubnetRouteTableIds?: string[];
      };
      vpc.availabilityZones = ["eu-west-1a", "eu-west-1b"];
      vpc.privateSubnetIds = ["subnet-1", "subnet-2", "subnet-3"];
      if (vpc.privateSubnetRouteTableIds) vpc.privateSubnetRouteTableIds = ["rtb-1", "rtb-2", "rtb-3"];
    });
    expect(load).toThrow(
      /deploy\.vpc\.privateSubnetIds: list the private subnets zone by zone.*multiple of the number of availabilityZones/,
    );
  });

  it("top-level x- keys stay free for YAML anchors", () => {
    const load = deployment((d) => ((d as unknown as Record<string, unknown>)["x-shared"] = { a: 1 }));
    expect(load().clusters).toHaveLength(1);
  });

  it("the CLI configuration too", () => {
    expect(() =>
      parseConfig({
        clusters: [
          {
            name: "p",
            vip: { host: "10.0.0.100" },
            mysql: { user: "u", passwordEnv: "P", tls: { mode: "disabled" }, connectTimeoutMS: 500 },
            nodes: {
              a: { host: "10.0.0.11", runner: { type: "ssm", instanceId: "i-0123456789abcdef0" } },
              b: { host: "10.0.0.12", runner: { type: "ssm", instanceId: "i-0123456789abcdef1" } },
            },
          },
        ],
      }),
    ).toThrow(/clusters\[0\]\.mysql: unknown key "connectTimeoutMS" \(did you mean "connectTimeoutMs"\?\)/);
  });

  it("no suggestion when nothing is close: the known keys are listed", () => {
    expect(closestKey("zzz", ["user", "tls"])).toBeUndefined();
    expect(closestKey("pasword", ["password", "passwordEnv"])).toBe("password");
  });
});

describe("a deployment file's aliases are bounded by what they expand to", () => {
  it("a 96 KB anchor aliased 4,000 times (within the alias budget) is refused before anything is built", () => {
    // Prepare: the example with an x- anchor of 96 KB, aliased by 4,000 entries of a list under x-
    const text = readFileSync(EXAMPLE, "utf8");
    const bomb = `x-big: &big "${"x".repeat(96 * 1024)}"\nx-copies:\n${"  - *big\n".repeat(4_000)}`;
    const file = join(mkdtempSync(join(tmpdir(), "mhp-alias-")), "deploy.yaml");
    writeFileSync(file, `${bomb}${text}`);
    // Act + Assess
    expect(() => loadDeployConfig(file)).toThrow(
      /expands to more than 8388608 characters once its aliases are resolved/,
    );
  });

  it("anchors shared by many pairs as the docs show stay fine", () => {
    const text = readFileSync(EXAMPLE, "utf8");
    const file = join(mkdtempSync(join(tmpdir(), "mhp-alias-")), "deploy.yaml");
    writeFileSync(
      file,
      `x-small: &small "${"x".repeat(100)}"\nx-copies:\n${"  - *small\n".repeat(1_000)}${text}`,
    );
    expect(loadDeployConfig(file).clusters).toHaveLength(1);
  });
});
