/** The lab's fault kinds (apart from lab.ts, so the CLI can list them without loading the lab). */
export const FAULT_KINDS = [
  "mysql-kill",
  "mysql-stop",
  "mysql-hang",
  "mysql-restart",
  "keepalived-kill",
  "keepalived-restart",
  "keepalived-flap",
  "vrrp-block",
  "partition",
  "blackhole",
  "replication-stop",
  "replication-break",
  "errant-write",
  "read-only",
  "global-read-lock",
  "keepalived-conf-master",
  "keepalived-conf-advert",
  "keepalived-conf-priority",
  "keepalived-conf-preempt",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
