/** The one wiring module: the right checker per node and witness, and the function limited to SSM. */
import { SSMClient } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import { SsmNodeChecker } from "../../shared/adapters/ssm-runner.ts";
import { ClusterSchema, LabClusterSchema } from "../../shared/config.ts";
import { observersFor } from "../../shared/wiring.ts";

const client = new SSMClient({ region: "eu-west-1" });
const ssm = (r: { instanceId: string; documentName: string }) =>
  new SsmNodeChecker({ client, instanceId: r.instanceId, documentName: r.documentName });
const deployed = ClusterSchema.parse({
  name: "prod",
  vip: { host: "10.0.0.100" },
  mysql: { user: "prober", tls: { mode: "disabled" } },
  nodes: {
    a: {
      host: "10.0.0.11",
      runner: { type: "ssm", instanceId: "i-0123456789abcdef0", documentName: "doc-prod" },
    },
    b: {
      host: "10.0.0.12",
      runner: { type: "ssm", instanceId: "i-0fedcba9876543210", documentName: "doc-prod" },
    },
  },
  witnesses: [{ name: "app1", runner: { type: "ssm", instanceId: "i-0aaaabbbbccccdddd" } }],
});

describe("observersFor", () => {
  it("wires each node to its own instance, and every witness too (the function used to leave them out)", () => {
    const o = observersFor(deployed, { password: "x", ssm, runners: ["ssm"] });
    expect(o.nodeCheckers.a.target).toBe("ssm:i-0123456789abcdef0");
    expect(o.nodeCheckers.b.target).toBe("ssm:i-0fedcba9876543210");
    expect(Object.keys(o.witnessCheckers ?? {})).toEqual(["app1"]);
    expect(o.witnessCheckers?.app1?.target).toBe("ssm:i-0aaaabbbbccccdddd");
  });

  it("refuses a runner the process cannot use, naming the node", () => {
    const lab = LabClusterSchema.parse({
      ...deployed,
      nodes: { ...deployed.nodes, b: { host: "10.0.0.12", runner: { type: "netns", namespace: "mhp-b" } } },
    });
    expect(() => observersFor(lab, { password: "x", ssm, runners: ["ssm"] })).toThrow(
      /cluster prod: node b: the netns runner is not available here \(use ssm\)/,
    );
    expect(observersFor(lab, { password: "x", ssm }).nodeCheckers.b.target).toBe("netns:mhp-b");
  });
});
