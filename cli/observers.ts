/**
 * The observers of a configured cluster for the CLI: every runner type, the password read at start. The
 * SSM SDK is loaded only for a cluster that has ssm runners (the lab's do not): about 0.1 s of a start.
 */
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { LabClusterConfig } from "../shared/config.ts";
import { heartbeatPassword, mysqlPassword } from "../shared/config.ts";
import { InputError } from "../shared/domain/errors.ts";
import { ec2NodeMap } from "../shared/target.ts";
import { type Observers, type WiringOptions, observersFor as wire } from "../shared/wiring.ts";

const ssmClients = new Map<string, SSMClient>();

export async function cliObservers(c: LabClusterConfig): Promise<Observers> {
  const runners = [c.nodes.a.runner, c.nodes.b.runner, ...c.witnesses.map((w) => w.runner)];
  const passwords = {
    password: mysqlPassword(c),
    ...(c.heartbeat ? { heartbeatPassword: heartbeatPassword(c) } : {}),
  };
  const ec2 = c.ec2 ? await ec2Wiring(c) : {};
  if (!runners.some((r) => r.type === "ssm")) return wire(c, { ...passwords, ...ec2 });
  const [{ SSMClient: Client }, { SsmNodeChecker }] = await Promise.all([
    import("@aws-sdk/client-ssm"),
    import("../shared/adapters/ssm-runner.ts"),
  ]);
  /** One SSM client per region, shared by every node of every cluster. */
  const client = (region?: string): SSMClient => {
    const key = region ?? "";
    let existing = ssmClients.get(key);
    if (!existing) {
      existing = new Client({ ...(region ? { region } : {}), retryMode: "adaptive", maxAttempts: 3 });
      ssmClients.set(key, existing);
    }
    return existing;
  };
  return wire(c, {
    ...passwords,
    ...ec2,
    ssm: (r) =>
      new SsmNodeChecker({
        client: client(r.region),
        documentName: r.documentName,
        instanceId: r.instanceId,
      }),
  });
}

/**
 * The EC2 view's reader (the SDK loaded only for a cluster with the view on). A lab cluster's
 * `ec2StandIn` is served by this process (lab/ec2-standin.ts): the reader is pointed at it.
 */
async function ec2Wiring(c: LabClusterConfig): Promise<Pick<WiringOptions, "ec2">> {
  const [{ EC2Client }, { ec2ReaderFor }] = await Promise.all([
    import("@aws-sdk/client-ec2"),
    import("../shared/adapters/ec2-vip-reader.ts"),
  ]);
  const standIn = c.ec2StandIn ? await startEc2StandInFor(c) : undefined;
  const client = new EC2Client({
    ...(c.ec2?.region ? { region: c.ec2.region } : {}),
    ...(standIn
      ? { endpoint: standIn, region: "lab-1", credentials: { accessKeyId: "lab", secretAccessKey: "lab" } }
      : {}),
    requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 },
  });
  return { ec2: (cluster) => ec2ReaderFor(cluster.ec2 as NonNullable<typeof cluster.ec2>, client) };
}

const standIns = new Map<string, Promise<string>>();
/** One stand-in per lab record and topology, for the life of this process. */
function startEc2StandInFor(c: LabClusterConfig): Promise<string> {
  const options = { ...(c.ec2StandIn as NonNullable<LabClusterConfig["ec2StandIn"]>), ...ec2TopologyOf(c) };
  const key = JSON.stringify(options);
  let url = standIns.get(key);
  if (!url) {
    url = import("../lab/ec2-standin.ts").then(({ serveEc2StandIn, Ec2World }) =>
      serveEc2StandIn(new Ec2World(options)),
    );
    standIns.set(key, url);
  }
  return url;
}

/** The lab's EC2 stand-in needs both ids of each node: no made-up id stands in for a missing one. */
function required(v: string | undefined, field: string): string {
  if (!v) throw new InputError(field, "the lab's EC2 stand-in (ec2StandIn) needs it");
  return v;
}

/** The lab's EC2, as the configuration maps it: each node's interface, instance and address. */
function ec2TopologyOf(c: LabClusterConfig) {
  const map = ec2NodeMap(c);
  return {
    interfaces: (["a", "b"] as const).map((id) => ({
      id: required(map[id].interfaceId, `clusters[${c.name}].ec2.nodes.${id}.networkInterfaceId`),
      instanceId: required(map[id].instanceId, `clusters[${c.name}].ec2.nodes.${id}.instanceId`),
      primaryIp: c.nodes[id].host,
    })),
    routeTables: c.ec2?.routeTableIds ?? [],
  };
}

export { targetFromConfig } from "../shared/target.ts";
