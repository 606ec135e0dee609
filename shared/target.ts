/** The probe target of one configured cluster. Pure. */
import type { LabClusterConfig } from "./config.ts";
import { type Ec2NodeMap, ec2NodeMapOf } from "./domain/ec2.ts";
import type { NodeCheckParams } from "./node-check/params.ts";
import type { ProbeTarget } from "./pipeline.ts";

type NodeCheckConfig = LabClusterConfig["nodes"]["a"]["nodeCheck"];

function nodeCheckParams(
  vip: string,
  port: number,
  n: NodeCheckConfig,
  arp: boolean,
): Omit<NodeCheckParams, "Since"> {
  return {
    Vip: vip,
    MysqlPort: port,
    Interface: n.interface,
    KeepalivedPidFile: n.keepalivedPidFile,
    KeepalivedDumpDir: n.keepalivedDumpDir,
    KeepalivedDumpFile: n.keepalivedDumpFile,
    NotifyStateFile: n.notifyStateFile,
    NotifyLog: n.notifyLog,
    // on EC2 the VPC, not ARP, routes the VIP: the ARP view is not applicable, not asked for
    ArpCount: arp ? n.arpCount : 0,
    ArpWaitMs: n.arpWaitMs,
  };
}

/** How EC2's ids map to the nodes: ec2.nodes, else the ssm runners' instance ids. */
export function ec2NodeMap(c: LabClusterConfig): Ec2NodeMap {
  return ec2NodeMapOf(c.ec2?.nodes, { a: c.nodes.a.runner, b: c.nodes.b.runner });
}

export function targetFromConfig(c: LabClusterConfig): ProbeTarget {
  const arp = !c.ec2;
  const node = (id: "a" | "b") => ({
    host: c.nodes[id].host,
    port: c.nodes[id].port,
    aliases: c.nodes[id].aliases,
    nodeCheck: nodeCheckParams(c.vip.host, c.nodes[id].port, c.nodes[id].nodeCheck, arp),
  });
  return {
    name: c.name,
    vip: c.vip,
    nodes: { a: node("a"), b: node("b") },
    witnesses: c.witnesses.map((w) => ({
      name: w.name,
      nodeCheck: nodeCheckParams(c.vip.host, c.vip.port, w.nodeCheck, arp),
    })),
    thresholds: c.thresholds,
    ...(c.nodes.a.nodeCheck.vrrpInstance ? { vrrpInstance: c.nodes.a.nodeCheck.vrrpInstance } : {}),
    policy: c.alerting,
    historySamples: c.historySamples,
    ...(c.ec2 ? { ec2: { map: ec2NodeMap(c), graceMs: c.ec2.graceSeconds * 1000 } } : {}),
    ...(c.compare?.sweep ? { sweep: { schemas: c.compare.schemas, ...c.compare.sweep } } : {}),
  };
}
