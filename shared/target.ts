/** The probe target of one configured cluster. Pure. */
import type { LabClusterConfig } from "./config.ts";
import type { NodeCheckParams } from "./node-check/params.ts";
import type { ProbeTarget } from "./pipeline.ts";

type NodeCheckConfig = LabClusterConfig["nodes"]["a"]["nodeCheck"];

function nodeCheckParams(vip: string, port: number, n: NodeCheckConfig): Omit<NodeCheckParams, "Since"> {
  return {
    Vip: vip,
    MysqlPort: port,
    Interface: n.interface,
    KeepalivedPidFile: n.keepalivedPidFile,
    KeepalivedDumpDir: n.keepalivedDumpDir,
    KeepalivedDumpFile: n.keepalivedDumpFile,
    NotifyStateFile: n.notifyStateFile,
    NotifyLog: n.notifyLog,
    ArpCount: n.arpCount,
    ArpWaitMs: n.arpWaitMs,
  };
}

export function targetFromConfig(c: LabClusterConfig): ProbeTarget {
  const node = (id: "a" | "b") => ({
    host: c.nodes[id].host,
    port: c.nodes[id].port,
    aliases: c.nodes[id].aliases,
    nodeCheck: nodeCheckParams(c.vip.host, c.nodes[id].port, c.nodes[id].nodeCheck),
  });
  return {
    name: c.name,
    vip: c.vip,
    nodes: { a: node("a"), b: node("b") },
    witnesses: c.witnesses.map((w) => ({
      name: w.name,
      nodeCheck: nodeCheckParams(c.vip.host, c.vip.port, w.nodeCheck),
    })),
    thresholds: c.thresholds,
    ...(c.nodes.a.nodeCheck.vrrpInstance ? { vrrpInstance: c.nodes.a.nodeCheck.vrrpInstance } : {}),
    policy: c.alerting,
    historySamples: c.historySamples,
  };
}
