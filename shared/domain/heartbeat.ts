/**
 * The heartbeat, in the spirit of pt-heartbeat: each probe updates one row through the VIP with a
 * dedicated user (SELECT and UPDATE on one table only) and reads it back on both nodes. It never inserts
 * or deletes, so no interleaving of its writes on both nodes can stop replication (docs/heartbeat.md). A failed write is
 * the proof that applications cannot write (read_only, a global read lock, a full disk); the row as
 * each node has it gives the true replication delay.
 */
import type { SqlMemory } from "./memory.ts";
import type { SqlError } from "./sql.ts";
import type { NodeId } from "./types.ts";

export interface HeartbeatWrite {
  /** The prober-clock time (epoch ms) the write carried: the row's value. */
  writtenAt: number;
  ok: boolean;
  durationMs: number;
  /** The server that accepted the write (read in the same session). */
  serverId: number | null;
  serverUuid: string | null;
  /** The write's own GTID when the server tells it (MariaDB @@last_gtid, MySQL session tracking). */
  gtid: string | null;
  /**
   * The server took the statement but holds no heartbeat row: nothing was written or replicated. The
   * prober never inserts the row (an insert on both nodes during a split brain stops replication at the
   * heal); the node kit seeds it on every node.
   */
  rowMissing?: boolean;
  error?: SqlError;
}

/** The default heartbeat table (database.table). */
export const DEFAULT_HEARTBEAT_TABLE = "mysql_ha_prober.heartbeat";

/**
 * The nodes that keep the heartbeat from writing: those whose last read found no heartbeat row. An
 * update through the VIP replicated to such a node would stop its replication (a row event for a row it
 * does not have), so the prober waits until the row is back (HEARTBEAT_ROW_MISSING says where).
 */
export function heartbeatHeldBy(memory: Partial<SqlMemory> | undefined): NodeId[] {
  return [...(memory?.heartbeatRowMissing ?? [])];
}

/** A write actually made: the server took it and it changed the row (not refused, not a missing row). */
export function heartbeatWritten(hb: HeartbeatWrite | undefined): hb is HeartbeatWrite {
  return hb?.ok === true && hb.rowMissing !== true;
}
