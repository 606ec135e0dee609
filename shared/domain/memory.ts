/**
 * What one probe keeps for the next: enough to tell what happened between them (writes on the
 * standby, restarts, keepalived transitions, heartbeat delay). Stored inside the state document.
 */
import { type Ec2Memory, EMPTY_EC2_MEMORY } from "./rules/ec2-view.ts";
import type { NodeId } from "./types.ts";

/** The transactions a node originated itself, in a form the next probe can compare with. */
export type OwnTransactions = { kind: "mysql"; set: string } | { kind: "mariadb"; position: string };

type PerNode<T> = Record<NodeId, T>;

export interface SqlMemory {
  /** Who held the VIP (by SQL) at the last probe that could tell. */
  vipNode: NodeId | null;
  /** The node that held the VIP before the last VIP move. */
  previousHolder: NodeId | null;
  own: PerNode<OwnTransactions | null>;
  /**
   * When mysqld started (epoch ms, from Uptime), to see a restart between probes. Kept across one probe
   * that could not see mysqld (an outage too short to confirm, so never mailed), dropped at the second
   * (the outage is confirmed and mailed: its end is the news, not the restart).
   */
  startedAt: PerNode<number | null>;
  /** Probes in a row that could not see mysqld on the node (0 or absent: the last one saw it). */
  unseen?: PerNode<number>;
  /** STOP SLAVE / STOP REPLICA commands run so far (Com_stop_slave, Com_replica_stop), while replicating. */
  replicaStops: PerNode<number | null>;
  /** MySQL's Last_IO/SQL_Error_Timestamp of the channel from the peer. */
  errorStamps: PerNode<string | null>;
  /** Heartbeat writes (prober clock, epoch ms) of recent probes, oldest first. */
  heartbeatWrites: number[];
  /**
   * The GTIDs of the prober's recent heartbeat writes, oldest first: a write lands after one probe's read
   * and shows in the next, and the prober's own writes never count as a node taking writes.
   */
  heartbeatGtids?: string[];
  /**
   * Nodes whose last read found no heartbeat row (or table): no heartbeat is written until every node
   * has its row again, since an update replicated to a node without it stops that node's replication.
   */
  heartbeatRowMissing?: NodeId[];
}

export interface NodeMemory {
  /** The node's own clock at its last report: the next check asks for transitions after it. */
  lastEpoch: PerNode<number | null>;
  /** keepalived's pid at the last report: another pid means it restarted. */
  keepalivedPid: PerNode<number | null>;
  /** The VIP instance's state at the last report, to tell a flap (back where it was) from a change. */
  keepalivedState: PerNode<string | null>;
  /**
   * The time of the last transition already reported: the node's clock at a report is whole seconds,
   * so a transition in that same second comes back in the next check and must not count twice.
   */
  lastTransitionAt: PerNode<number | null>;
  /** MACs of neither node that answered ARP for the VIP at the last probe: seen again, they are confirmed. */
  foreignMacs: string[];
}

export interface Memory {
  sql: SqlMemory;
  nodes: NodeMemory;
  vipOwner: NodeId | null;
  /** The EC2 view's mismatch timer (clusters with ec2 on). */
  ec2: Ec2Memory;
}

const none = <T>(): PerNode<T | null> => ({ a: null, b: null });

export const EMPTY_SQL_MEMORY: SqlMemory = {
  vipNode: null,
  previousHolder: null,
  own: none(),
  startedAt: none(),
  replicaStops: none(),
  errorStamps: none(),
  heartbeatWrites: [],
};

export const EMPTY_NODE_MEMORY: NodeMemory = {
  lastEpoch: none(),
  keepalivedPid: none(),
  keepalivedState: none(),
  lastTransitionAt: none(),
  foreignMacs: [],
};

/** The memory of a stored state, with what older versions did not keep filled in as unknown. */
export function memoryOf(previous: { memory?: Partial<Memory> } | null | undefined): Memory {
  const m = previous?.memory;
  return {
    sql: { ...EMPTY_SQL_MEMORY, ...(m?.sql ?? {}) },
    nodes: { ...EMPTY_NODE_MEMORY, ...(m?.nodes ?? {}) },
    vipOwner: m?.vipOwner ?? null,
    ec2: { ...EMPTY_EC2_MEMORY, ...(m?.ec2 ?? {}) },
  };
}
