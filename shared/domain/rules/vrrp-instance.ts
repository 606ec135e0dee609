/** Which keepalived instance carries the VIP on a node, and its state: the node's role. */
import type { NodeReport } from "../node.ts";

export type Instance = NodeReport["keepalived"]["instances"][number];

/**
 * The instances that decide the node's role: the configured one, else those carrying the VIP; with
 * one instance only (or a notify file, which names none) that one. null: several instances and none
 * carries the VIP, so the role cannot be told.
 */
export function vipInstances(r: NodeReport, name?: string): Instance[] | null {
  const all = r.keepalived.instances;
  if (name) return all.filter((i) => i.name === name);
  const carrying = all.filter((i) => i.vips.some((v) => v.split("/")[0] === r.vip.address));
  if (carrying.length > 0) return carrying;
  return all.length <= 1 ? all : null;
}

/** The VIP instance's state, "DOWN" when keepalived does not run, null when it cannot be told. */
export function roleOf(r: NodeReport, name?: string): string | null {
  if (!r.keepalived.running) return "DOWN";
  const inst = vipInstances(r, name);
  if (inst === null) return null;
  if (inst.some((i) => i.state === "MASTER")) return "MASTER";
  if (inst.some((i) => i.state === "FAULT")) return "FAULT";
  return inst[0]?.state ?? "UNKNOWN";
}
