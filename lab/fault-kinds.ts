/** The lab's fault kinds (apart from lab.ts, so the CLI can list them without loading the lab). */
export const FAULT_KINDS = [
  "mysql-kill",
  "mysql-stop",
  "mysql-hang",
  "keepalived-kill",
  "vrrp-block",
  "partition",
  "blackhole",
  "replication-stop",
  "replication-break",
  "errant-write",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
