/**
 * The EC2 view end to end without root: the lab's stand-in `aws` CLI (as the notify script runs it)
 * records assignments; the lab's EC2 stand-in answers the real AWS SDK's Describe calls from them
 * (EC2 Query protocol, XML); the reader turns the answers into observations. Also the reader's failure
 * classes and its deadline against servers that refuse or never answer.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ec2World, ec2Error, labEc2Topology, serveEc2StandIn } from "../../lab/ec2-standin.ts";
import { planLab } from "../../lab/plan.ts";
import { awsStandInScript } from "../../lab/templates.ts";
import { Ec2VipReader } from "../../shared/adapters/ec2-vip-reader.ts";
import { deadlineIn } from "../../shared/domain/types.ts";

const dir = mkdtempSync(join(tmpdir(), "mhp-ec2-"));
const plan = planLab({ name: "ec2t", subnet: "198.18.199.0/24", root: dir });
const VIP = plan.vip;
const client = (endpoint: string) =>
  new EC2Client({
    endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
/** The notify script's call, through the lab's stand-in CLI. */
const aws = (...args: string[]) => {
  try {
    execFileSync(plan.ec2.awsCli, ["ec2", ...args], { stdio: "pipe" });
    return 0;
  } catch (e) {
    return (e as { status: number }).status;
  }
};
const assign = (node: "a" | "b") =>
  aws(
    "assign-private-ip-addresses",
    "--network-interface-id",
    plan.ec2.nodes[node].networkInterfaceId,
    "--private-ip-addresses",
    VIP,
    "--allow-reassignment",
  );
const route = (node: "a" | "b", table: string) =>
  aws(
    "replace-route",
    "--route-table-id",
    table,
    "--destination-cidr-block",
    `${VIP}/32`,
    "--network-interface-id",
    plan.ec2.nodes[node].networkInterfaceId,
  );

let url: string;
beforeAll(async () => {
  execFileSync("mkdir", ["-p", join(plan.dir, "ec2")]);
  writeFileSync(plan.ec2.awsCli, awsStandInScript(plan));
  chmodSync(plan.ec2.awsCli, 0o755);
  writeFileSync(plan.ec2.callsLog, "");
  url = await serveEc2StandIn(new Ec2World({ ...plan.ec2, ...labEc2Topology(plan) }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the lab's EC2, through the real SDK", () => {
  const secondary = () => new Ec2VipReader({ client: client(url), mode: "secondary-ip" });
  const tables = () =>
    new Ec2VipReader({ client: client(url), mode: "route-table", routeTableIds: plan.ec2.routeTableIds });

  it("secondary-ip: nobody, then the interface the notify script assigned, then the one it moved to", async () => {
    // Prepare: nothing assigned yet
    const none = await secondary().locate(VIP, deadlineIn(3000));
    expect(none).toMatchObject({ ok: true, targets: [] });
    // Act: node A becomes MASTER, then node B (a reassignment moves the address)
    expect(assign("a")).toBe(0);
    const onA = await secondary().locate(VIP, deadlineIn(3000));
    expect(assign("b")).toBe(0);
    const onB = await secondary().locate(VIP, deadlineIn(3000));
    // Assess
    expect(onA).toMatchObject({
      ok: true,
      mode: "secondary-ip",
      targets: [
        { interfaceId: plan.ec2.nodes.a.networkInterfaceId, instanceId: plan.ec2.nodes.a.instanceId },
      ],
    });
    expect(onB).toMatchObject({
      targets: [
        { interfaceId: plan.ec2.nodes.b.networkInterfaceId, instanceId: plan.ec2.nodes.b.instanceId },
      ],
    });
  });

  it("the fault switch: a failed call changes nothing; a lagging one takes effect only later", async () => {
    writeFileSync(plan.ec2.faultFile, "fail\n");
    expect(assign("a")).toBe(254);
    expect((await secondary().locate(VIP, deadlineIn(3000))) as { targets: unknown[] }).toMatchObject({
      targets: [{ interfaceId: plan.ec2.nodes.b.networkInterfaceId }],
    });
    writeFileSync(plan.ec2.faultFile, "lag 20\n");
    expect(assign("a")).toBe(0);
    rmSync(plan.ec2.faultFile);
    const world = new Ec2World({ ...plan.ec2, ...labEc2Topology(plan) });
    expect(world.state().secondary.get(VIP)).toBe(plan.ec2.nodes.b.networkInterfaceId);
    expect(world.state(Date.now() + 21_000).secondary.get(VIP)).toBe(plan.ec2.nodes.a.networkInterfaceId);
  });

  it("route-table: each table's /32 route and its target; a table without the route is named", async () => {
    const [t1, t2] = plan.ec2.routeTableIds as [string, string];
    expect(route("a", t1)).toBe(0);
    const r = await tables().locate(VIP, deadlineIn(3000));
    expect(r).toEqual({
      ok: true,
      mode: "route-table",
      targets: [
        {
          interfaceId: plan.ec2.nodes.a.networkInterfaceId,
          instanceId: plan.ec2.nodes.a.instanceId,
          routeTableId: t1,
          state: "active",
        },
      ],
      tablesWithoutRoute: [t2],
      durationMs: expect.any(Number),
    });
  });

  it("the API throttled: an observation of class throttled, not an exception", async () => {
    writeFileSync(plan.ec2.faultFile, "api-throttle\n");
    try {
      const r = await secondary().locate(VIP, deadlineIn(3000));
      expect(r).toMatchObject({ ok: false, errorClass: "throttled" });
      expect((r as { error: string }).error).toMatch(/^RequestLimitExceeded: /);
    } finally {
      rmSync(plan.ec2.faultFile, { force: true });
    }
  });
});

describe("the reader's failures", () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });
  const serve = async (handler: Parameters<typeof createServer>[1]) => {
    const s = createServer(handler);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };

  it("denied by IAM (UnauthorizedOperation): class denied", async () => {
    const e = ec2Error(403, "UnauthorizedOperation", "You are not authorized to perform this operation.");
    const endpoint = await serve((_q, res) => {
      res.writeHead(e.status, { "content-type": "text/xml" });
      res.end(e.body);
    });
    const r = await new Ec2VipReader({ client: client(endpoint), mode: "secondary-ip" }).locate(
      VIP,
      deadlineIn(3000),
    );
    expect(r).toMatchObject({ ok: false, errorClass: "denied" });
  });

  it("an endpoint that never answers: class timeout, returned by the reader's own cap", async () => {
    const endpoint = await serve(() => {}); // accepts, never answers
    const started = Date.now();
    const r = await new Ec2VipReader({
      client: client(endpoint),
      mode: "secondary-ip",
      timeoutMs: 300,
    }).locate(VIP, deadlineIn(10_000));
    const took = Date.now() - started;
    expect(r).toMatchObject({ ok: false, errorClass: "timeout" });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
  });
});
