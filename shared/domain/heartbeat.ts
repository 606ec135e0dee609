/**
 * The heartbeat, in the spirit of pt-heartbeat: each probe writes one row through the VIP with a
 * dedicated user (SELECT, INSERT, UPDATE on one table only) and reads it back on both nodes. A failed write is
 * the proof that applications cannot write (read_only, a global read lock, a full disk); the row as
 * each node has it gives the true replication delay.
 */
import type { SqlError } from "./sql.ts";

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
  error?: SqlError;
}

/** The default heartbeat table (database.table). */
export const DEFAULT_HEARTBEAT_TABLE = "mysql_ha_prober.heartbeat";
