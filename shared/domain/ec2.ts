/**
 * The EC2 view of the VIP (opt-in per cluster): where the VPC routes it. On EC2 a VIP is not moved by
 * gratuitous ARP but by reassigning a secondary private IP between network interfaces (secondary-ip),
 * or by a /32 route-table entry across zones (route-table). Pure types and the node mapping.
 */
import type { NodeId } from "./types.ts";

export type Ec2Mode = "secondary-ip" | "route-table";

/** One place the VPC routes the VIP to: an interface (with its instance), as EC2 reports it. */
export interface Ec2Target {
  interfaceId: string | null;
  instanceId: string | null;
  /** route-table mode: the route table this route is in. */
  routeTableId?: string;
  /** route-table mode: "active" or "blackhole" (the target is gone or stopped). */
  state?: string;
}

export type Ec2Observation =
  | {
      ok: true;
      mode: Ec2Mode;
      /** secondary-ip: the interfaces holding the VIP; route-table: one entry per configured table that routes it. */
      targets: Ec2Target[];
      /** route-table mode: the configured tables without a route for the VIP. */
      tablesWithoutRoute?: string[];
      durationMs: number;
    }
  | {
      ok: false;
      mode: Ec2Mode;
      /** denied (IAM), throttled, timeout, other. */
      errorClass: "denied" | "throttled" | "timeout" | "other";
      error: string;
      durationMs: number;
    };

/** How EC2's ids map to the pair's nodes (from ec2.nodes, else the SSM runners' instance ids). */
export type Ec2NodeMap = Record<NodeId, { instanceId?: string; interfaceId?: string }>;

/**
 * The one mapping rule: a node's configured interface and/or instance (ec2.nodes), else the instance
 * id of its ssm runner when that is an EC2 instance (i-, not a hybrid mi- node).
 */
export function ec2NodeMapOf(
  configured: Partial<Record<NodeId, { networkInterfaceId?: string; instanceId?: string }>> | undefined,
  runners: Record<NodeId, { type: string; instanceId?: string }>,
): Ec2NodeMap {
  const one = (id: NodeId) => {
    const m = configured?.[id];
    const r = runners[id];
    const instanceId =
      m?.instanceId ?? (r.type === "ssm" && r.instanceId?.startsWith("i-") ? r.instanceId : undefined);
    return {
      ...(m?.networkInterfaceId ? { interfaceId: m.networkInterfaceId } : {}),
      ...(instanceId ? { instanceId } : {}),
    };
  };
  return { a: one("a"), b: one("b") };
}

/** Every node maps to something EC2 reports. */
export function ec2NodesMapped(map: Ec2NodeMap): boolean {
  return Object.values(map).every((m) => Boolean(m.interfaceId || m.instanceId));
}

/** What the state keeps of the EC2 view (output, history, mail). */
export interface Ec2Summary {
  mode: Ec2Mode;
  /** The nodes (or "foreign:<id>", "blackhole:<table>") EC2 routes the VIP to; null when not observed. */
  routedTo: string[] | null;
  /** The interfaces EC2 reports, for the operator. */
  interfaces: string[];
  /** Since when EC2 has disagreed with the holder (ISO), while it does. */
  mismatchSince: string | null;
}

/** The node an EC2 target belongs to, or "foreign:<id>", or "blackhole:<table>". */
export function nodeOfTarget(t: Ec2Target, map: Ec2NodeMap): string {
  if (t.state === "blackhole") return `blackhole:${t.routeTableId ?? "?"}`;
  for (const id of ["a", "b"] as const) {
    const m = map[id];
    if (m.interfaceId && t.interfaceId === m.interfaceId) return id;
    if (m.instanceId && t.instanceId === m.instanceId) return id;
  }
  return `foreign:${t.interfaceId ?? t.instanceId ?? "?"}`;
}
