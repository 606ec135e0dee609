/** The cluster's state: what one probe concludes, and what is kept between probes. */

import type { Finding } from "./codes.ts";
import type { ConsistencyOwed, ConsistencySummary } from "./consistency/model.ts";
import type { Ec2Summary } from "./ec2.ts";
import type { Incident } from "./incidents.ts";
import type { Memory } from "./memory.ts";
import type { Silence } from "./silence.ts";
import type { NodeId } from "./types.ts";

export const STATUSES = ["HEALTHY", "DEGRADED", "SPLIT_BRAIN", "DOWN", "UNKNOWN"] as const;
export type Status = (typeof STATUSES)[number];

export interface NodeSummary {
  id: NodeId;
  host: string;
  /** "up" (answered SQL), "alive" (answered but refused us: too many connections), "down", "unknown" (not observed). */
  mysql: "up" | "alive" | "down" | "unknown";
  vipBound: boolean | null;
  /** The interface that carries (or would carry) the VIP here, and its prefix where bound. */
  vipInterface?: string | null;
  vipPrefix?: number | null;
  /** keepalived state (MASTER, BACKUP, FAULT), "DOWN" when not running, null when not observed. */
  keepalived: string | null;
  /** Replication into this node from its peer. */
  replication: { io: string; sql: boolean | null; lagSeconds: number | null } | null;
}

export type EventType =
  | "VIP_MOVED"
  | "KEEPALIVED_FLAPPED"
  | "SPLIT_BRAIN_STARTED"
  | "SPLIT_BRAIN_ENDED"
  | "STATUS_CHANGED";

export interface ClusterEvent {
  type: EventType;
  at: string;
  message: string;
  from?: string | null;
  to?: string | null;
}

/** The verdict of one probe, before noise control. */
export interface Assessment {
  status: Status;
  reasons: string[];
  vipOwner: NodeId | "both" | null;
  nodes: Record<NodeId, NodeSummary>;
  findings: Finding[];
  events: ClusterEvent[];
  /**
   * DOWN only because the VIP holder's MySQL just died, while the other node can take the VIP over:
   * keepalived is expected to fail over within seconds, so DOWN waits for confirmation instead of
   * mailing at once (a normal failover then gives one mail, for the failover).
   */
  awaitingFailover: boolean;
  /** Each node's own new transactions since the previous probe (GTIDs), null when none or unknown. */
  writes?: Record<NodeId, string | null>;
  /** Nodes whose own transactions grew by the prober's heartbeats only (no application write). */
  heartbeatOnly?: NodeId[];
  /** The nodes whose MAC answered the VIP's ARP (the applications' view of the owner); null: not seen. */
  arpAnswer?: NodeId[] | null;
  /** Where EC2 routes the VIP (clusters with the EC2 view on). */
  ec2?: Ec2Summary;
  memory: Memory;
}

/** The declared state: the assessment after noise control. Stored, mailed, published. */
export interface ClusterState {
  cluster: string;
  observedAt: string;
  /** The declared status (what mails and alarms follow). */
  status: Status;
  /** This probe's own verdict; differs from status while noise control waits for confirmation. */
  probeStatus: Status;
  /** When the declared status began (first detection time). */
  statusSince: string;
  reasons: string[];
  vipOwner: NodeId | "both" | null;
  nodes: Record<NodeId, NodeSummary>;
  findings: Finding[];
  events: ClusterEvent[];
  /** Consecutive probes that agree on a status different from the declared one. */
  pending: { status: Status; count: number; since: string; events: ClusterEvent[] } | null;
  /** When a mail about the current declared status was last queued. */
  lastAlertAt: string | null;
  /**
   * Latched events: open until acknowledged (`ack`) or expired; acknowledged ones stay while still
   * reported so they do not open again. Absent in states stored before incidents existed.
   */
  incidents?: Incident[];
  /**
   * What waits one probe for its mail: a VIP move seen with nothing else to mail (the status change it
   * causes often shows at the next probe: one mail for both), and incidents opened while no node held the
   * VIP (the move they cause shows at the next probe). Mailed at the next probe whatever it sees.
   */
  held?: { since: string; events: ClusterEvent[]; incidentIds: string[] };
  /** Planned work: no mail (but a split brain, by default) until it ends. */
  silence?: Silence;
  /**
   * While a split brain lasts (and in the state that ends it): each node's own transactions since it
   * began. The node that took writes is the one to keep.
   */
  splitBrain?: {
    since: string;
    writes: Record<NodeId, string | null>;
    /** Nodes that grew by the prober's heartbeats only during the split (no application write). */
    heartbeatOnly?: NodeId[];
    /** Every node whose MAC answered the VIP's ARP during the split (both: the applications' entry moved). */
    arpSeen?: NodeId[];
  };
  /** Where EC2 routes the VIP (clusters with the EC2 view on). */
  ec2?: Ec2Summary;
  /** The consistency sweep, as the last probe read it (pairs with the sweep on). */
  consistency?: ConsistencySummary;
  /**
   * A split brain in which both nodes took writes ended: a sweep pass is owed for it, kept until the
   * sweep has started one (so a slice that failed does not lose it).
   */
  consistencyOwed?: ConsistencyOwed;
  memory: Assessment["memory"];
}
