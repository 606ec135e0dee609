/**
 * The finding catalog. Codes are an API (operators filter mail and alarms on them): add, never rename.
 * docs/findings.md's catalog table is checked against this list by a unit test.
 */
import type { EndpointName, Severity } from "./types.ts";

export interface CodeInfo {
  severity: Severity;
  meaning: string;
  action: string;
}

export const CATALOG = {
  // ---- the VIP, seen over SQL
  VIP_ON_NODE: {
    severity: "info",
    meaning:
      "The SQL connection to the VIP landed on this node (matched by server_uuid, or server_id + hostname).",
    action: "None.",
  },
  VIP_UNREACHABLE: {
    severity: "critical",
    meaning: "No MySQL answered on the VIP: applications cannot connect.",
    action:
      "Check which node holds the VIP (`ip addr` on both) and keepalived's state; if nobody holds it, check that MySQL runs on at least one node so its track script passes. Right after a split brain heals, clients may still send to the MAC of the node that gave the VIP up (the holder never transitioned, so it sent no gratuitous ARP): set `garp_master_refresh` in keepalived, or send one from the holder (`arping -U -I <if> -s <VIP> <VIP>`).",
  },
  VIP_IDENTITY_UNKNOWN: {
    severity: "warning",
    meaning: "A server answered on the VIP but could not be matched to node A or B.",
    action: "Check that the configured node addresses are the real IPs of the two servers behind the VIP.",
  },
  // ---- each endpoint's MySQL
  MYSQL_UNREACHABLE: {
    severity: "critical",
    meaning: "The node's MySQL did not answer (refused, timed out, unreachable or the connection was lost).",
    action:
      "Check mysqld on the node (systemctl status, error log); a refused connection means mysqld is down, a timeout a hung server or a network problem.",
  },
  MYSQL_AUTH_FAILED: {
    severity: "critical",
    meaning: "The prober could not log in: it is blind for this node.",
    action:
      "Check the monitoring user, its password and its host part (the node kit's SQL, node-kit/sql/, has the GRANTs).",
  },
  MYSQL_TOO_MANY_CONNECTIONS: {
    severity: "warning",
    meaning: "The server refused the connection for too many connections: it is alive but full.",
    action: "Look for connection leaks or raise max_connections; the server still counts as alive.",
  },
  MYSQL_SERVER_LIMIT: {
    severity: "critical",
    meaning:
      "The server answered and refused the prober for a limit of its own: the client host blocked after too many connection errors (1129, max_connect_errors), or a user resource limit reached (1226). Applications from the same host are refused too.",
    action:
      "Host blocked: `FLUSH HOSTS` (or `TRUNCATE performance_schema.host_cache` on MySQL 8.0.23+), then find the client whose connections fail (a health check that opens and drops TCP, a wrong password) and raise max_connect_errors if needed. User limit: `ALTER USER ... WITH MAX_..._PER_HOUR 0`.",
  },
  MYSQL_QUERY_FAILED: {
    severity: "warning",
    meaning:
      "The server answered one of the prober's queries with an error of its own (not a login, grant, TLS or limit error): it is up, but what that query reads is unknown.",
    action:
      "Read the server's error number and text in the evidence and the server's error log (a full disk, a crashed table, a statement timeout); the query is named in `during`.",
  },
  MYSQL_PRIVILEGE_MISSING: {
    severity: "warning",
    meaning: "The monitoring user lacks a privilege a probe query needs: part of the picture is missing.",
    action:
      "Grant the monitoring user the privileges the node kit's SQL for this flavor lists (node-kit/sql/).",
  },
  MYSQL_BAD_RESULT: {
    severity: "warning",
    meaning: "The server answered with a result the prober did not expect (missing column, malformed value).",
    action: "Check the server version is supported; the evidence names the field.",
  },
  // ---- replication, per direction
  REPLICATION_NOT_CONFIGURED: {
    severity: "critical",
    meaning:
      "The node has no replication channel from its peer: this direction of the dual-master ring is missing.",
    action:
      "Set up replication from the peer (CHANGE REPLICATION SOURCE / CHANGE MASTER with GTID auto-position).",
  },
  REPLICATION_IO_STOPPED: {
    severity: "critical",
    meaning:
      "The replication IO (receiver) thread from the peer is not running (No, or Connecting: retrying).",
    action:
      "Read Last_IO_Error in the evidence; check the peer is up and the replication user can connect; START REPLICA / START SLAVE.",
  },
  REPLICATION_SQL_STOPPED: {
    severity: "critical",
    meaning: "The replication SQL (applier) thread is not running: changes from the peer are not applied.",
    action:
      "Read Last_SQL_Error in the evidence. A duplicate-key or missing-row error means the nodes diverged (often a write on the standby): compare the data before skipping anything.",
  },
  REPLICATION_ERROR: {
    severity: "warning",
    meaning:
      "A replication thread runs but reports a last error (for example reconnecting after a network error).",
    action: "Read the error in the evidence; it clears when replication recovers.",
  },
  REPLICATION_LAG: {
    severity: "warning",
    meaning:
      "Replication from the peer lags more than the threshold (critical above the critical threshold).",
    action:
      "Look for long transactions or load on the replica; a failover now would lose or delay the lagging changes.",
  },
  REPLICATION_NO_GTID_AUTO_POSITION: {
    severity: "warning",
    meaning:
      "The channel replicates by file and position, not with GTID auto-positioning: failover is error-prone.",
    action:
      "Re-point the channel with GTID auto-positioning (MySQL SOURCE_AUTO_POSITION=1, MariaDB master_use_gtid=slave_pos).",
  },
  // ---- writes
  ERRANT_WRITES_ON_STANDBY: {
    severity: "critical",
    meaning:
      "Transactions originated on the node that does not hold the VIP (its own GTIDs grew), or it has its own transactions the VIP holder has not applied.",
    action:
      "Find what writes to the standby's real IP (application config, cron jobs, an admin session) and stop it; compare the data of the two nodes before the next failover.",
  },
  WRITES_ON_PREVIOUS_HOLDER: {
    severity: "critical",
    meaning:
      "After a failover, the previous VIP holder keeps receiving writes: clients still reach it (stale ARP, direct IP).",
    action:
      "Find the clients still connected to the old node (SHOW PROCESSLIST there) and move them to the VIP; check the ARP caches of the application hosts.",
  },
  BOTH_WRITABLE: {
    severity: "info",
    meaning:
      "read_only is off on both nodes. Normal in this design; it is why writes to the standby must be watched.",
    action: "None; ERRANT_WRITES_ON_STANDBY reports writes that reach the standby.",
  },
  // ---- pair configuration
  AUTO_INCREMENT_CONFLICT: {
    severity: "critical",
    meaning:
      "auto_increment_increment differs or is below 2, or both nodes use the same offset: both masters can generate the same keys.",
    action: "Set auto_increment_increment=2 on both and auto_increment_offset=1 on A and 2 on B.",
  },
  SERVER_ID_CONFLICT: {
    severity: "critical",
    meaning:
      "Both nodes have the same server_id (or server_uuid): replication between them silently skips events.",
    action:
      "Give each node a distinct server_id (and remove auto.cnf on a cloned MySQL to get a new server_uuid).",
  },
  GTID_DISABLED: {
    severity: "critical",
    meaning: "GTID is not fully on (MySQL gtid_mode / enforce_gtid_consistency not ON).",
    action: "Enable gtid_mode=ON and enforce_gtid_consistency=ON on both nodes.",
  },
  BINLOG_DISABLED: {
    severity: "critical",
    meaning: "The binary log is off: the peer cannot replicate from this node.",
    action: "Enable log_bin on this node.",
  },
  LOG_REPLICA_UPDATES_OFF: {
    severity: "warning",
    meaning:
      "log_slave_updates / log_replica_updates is off: replicated changes are not in this node's binlog.",
    action: "Enable log_slave_updates (log_replica_updates) on both nodes.",
  },
  // ---- the nodes, through the node-check script (SSM Run Command, SSH, or a lab namespace)
  NODE_CHECK_FAILED: {
    severity: "critical",
    meaning:
      "The node check could not run or its output was unusable (agent offline, timeout, truncated or malformed output): the prober is blind to this node's VIP and keepalived.",
    action: "Check the SSM agent on the node (or SSH access); the evidence gives the reason.",
  },
  NODE_CHECK_WARNING: {
    severity: "warning",
    meaning:
      "The node check ran but could not see everything (for example keepalived did not write its data dump).",
    action:
      "Read the errors in the evidence; check the node-check parameters (paths of keepalived's pid file and TMPDIR).",
  },
  NODE_FILE_UNTRUSTED: {
    severity: "critical",
    meaning:
      "The node check refused to read a file another local user could have written (keepalived's pid file or DATA dump, the notify log or state file): a symbolic link, not owned by root, writable by group or others, or in a directory others may write. What it would have said (keepalived's role, its transitions) is unknown: someone may be trying to hide or fake a split brain, or the file is set up loosely.",
    action:
      "Look at the file named (`ls -l`, who made it). Give keepalived a root-only dump directory: `TMPDIR=/run/keepalived` in its environment (systemd `Environment=` with `RuntimeDirectory=keepalived`), or from keepalived 2.3.3 `global_defs { state_dump_file /run/keepalived/keepalived.data }`, and set the node check's `KeepalivedDumpDir` (or `KeepalivedDumpFile`) to it, keep the notify files in a root-only directory (`/var/lib/mysql-ha-prober`, mode 0700 or 0755 owned by root), and remove the stray file.",
  },
  SPLIT_BRAIN_VIP_ON_BOTH: {
    severity: "critical",
    meaning:
      "The VIP is bound on both nodes: split brain. Applications write to whichever node their ARP cache points at.",
    action:
      "Act now: find why the nodes do not hear each other's VRRP adverts (a firewall rule such as `iptables -A INPUT -p vrrp -j DROP`, a network partition). Stop keepalived on the node that should not hold the VIP (`systemctl stop keepalived`), remove the VIP there if it stays (`ip addr del VIP/prefix dev IFACE`), fix VRRP traffic (`iptables -D INPUT -p vrrp -j DROP`, or allow protocol 112), then compare the data written on both nodes.",
  },
  ARP_DUPLICATE: {
    severity: "critical",
    meaning:
      "More than one MAC answers ARP for the VIP: two hosts claim it (split brain or an address conflict). On a VIP holder, any answer from another MAC counts; elsewhere, two or more MACs.",
    action: "As for SPLIT_BRAIN_VIP_ON_BOTH; the evidence names the MACs and who saw them.",
  },
  ARP_FOREIGN_MAC: {
    severity: "critical",
    meaning:
      "A MAC that belongs to neither node answers ARP for the VIP, seen by two observers or at two probes in a row: another host claims the VIP's address (a misconfigured host, a cloned VM, or someone impersonating the database). Some clients may be talking to it. Not a split brain: neither node is wrong.",
    action:
      "Do not stop keepalived or remove the VIP from either node. Find the host first: `ip neigh show VIP` and `arping -I IFACE -c 3 VIP` on a node show the MAC; look it up in the switch's MAC table (or the hypervisor's, or `aws ec2 describe-network-interfaces --filters Name=mac-address,Values=MAC`), then remove the address from that host. Until then treat data written through the VIP as suspect and check the applications' connections (`SHOW PROCESSLIST` on the holder).",
  },
  ARP_FOREIGN_MAC_UNCONFIRMED: {
    severity: "warning",
    meaning:
      "A MAC that belongs to neither node answered ARP for the VIP once (one observer, one probe). It may be a stray or spoofed reply; it is confirmed (ARP_FOREIGN_MAC) when the next probe or a second observer sees it too.",
    action:
      "Nothing on the nodes. If it repeats, find the host with that MAC (`ip neigh`, the switch's MAC table).",
  },
  VIP_NOT_BOUND: {
    severity: "critical",
    meaning: "Neither node has the VIP bound: applications cannot connect.",
    action: "Check keepalived on both nodes (state FAULT means its track script fails: is MySQL up?).",
  },
  KEEPALIVED_MULTIPLE_MASTERS: {
    severity: "critical",
    meaning: "keepalived is MASTER on both nodes: split brain at the VRRP level.",
    action: "As for SPLIT_BRAIN_VIP_ON_BOTH.",
  },
  KEEPALIVED_NO_MASTER: {
    severity: "critical",
    meaning: "keepalived runs on both nodes but neither is MASTER.",
    action: "Check the track script and keepalived's log on both nodes.",
  },
  KEEPALIVED_DOWN: {
    severity: "warning",
    meaning: "keepalived is not running on this node.",
    action:
      "Start it (`systemctl start keepalived`). With nopreempt a recovered node stays BACKUP, so starting it does not move the VIP. If it was killed while holding the VIP, the VIP may still be bound: check `ip addr`.",
  },
  KEEPALIVED_FAULT: {
    severity: "warning",
    meaning:
      "keepalived is in FAULT on this node: its track script fails (usually MySQL is down there) and it cannot take the VIP.",
    action: "Fix what the track script checks (MySQL on that node); keepalived returns to BACKUP by itself.",
  },
  NO_FAILOVER_CANDIDATE: {
    severity: "critical",
    meaning:
      "The node without the VIP cannot take it over (keepalived down or in FAULT, or mysqld not listening): the next failure of the VIP holder is an outage.",
    action:
      "Bring the standby back: start MySQL and keepalived there. nopreempt keeps it BACKUP, so this does not move the VIP.",
  },
  KEEPALIVED_TRANSITION: {
    severity: "info",
    meaning:
      "keepalived changed state on a node since the previous probe (from the notify log or the journal).",
    action: "None if expected (a failover or a restart); the evidence lists the transitions.",
  },
  KEEPALIVED_FLAPPED: {
    severity: "warning",
    meaning:
      "keepalived entered and left MASTER on a node between two probes: the VIP moved and may have moved back.",
    action: "Look for an intermittent track-script failure or lost VRRP adverts (network, CPU starvation).",
  },
  VIP_STATE_MISMATCH: {
    severity: "warning",
    meaning:
      "A node's VIP binding disagrees with its keepalived state (MASTER without the VIP, or the VIP bound while keepalived is not MASTER or not running: a stale VIP left by a killed keepalived).",
    action:
      "If keepalived is not running, remove the stale VIP (`ip addr del VIP/prefix dev IFACE`) and start keepalived.",
  },
  MYSQLD_NOT_LISTENING: {
    severity: "warning",
    meaning: "The node check found no process listening on the MySQL port on this node.",
    action: "Check mysqld on the node.",
  },
  // ---- the cluster as a whole (the cross-check of the five views)
  VIEWS_DISAGREE: {
    severity: "warning",
    meaning:
      "The views of who is primary disagree: keepalived MASTER, VIP bound, MAC answering ARP, where the VIP's SQL connection lands, which node takes writes. The evidence lists each view.",
    action:
      "Usually transient right after a failover (ARP caches); if it persists, check which node applications really write to.",
  },
  VIEW_MISSING: {
    severity: "warning",
    meaning: "One of the views could not be observed: the prober cannot confirm the cluster is healthy.",
    action: "See the finding that explains why (NODE_CHECK_FAILED, VIP_UNREACHABLE, MYSQL_AUTH_FAILED, ...).",
  },
  // ---- added with the incident model, the heartbeat and the real formats (codes are an API: only added)
  MYSQL_FIELD_UNKNOWN: {
    severity: "warning",
    meaning:
      "The server returned a value the prober does not know for some fields (named in the evidence): those fields are unknown, the rest of the node is assessed.",
    action:
      "Check the server version is one the prober knows (MySQL 5.7, 8.0, 8.4; MariaDB 10.5 and later); report the value if it is a real one the prober should know.",
  },
  HOLDER_READ_ONLY: {
    severity: "critical",
    meaning:
      "read_only (or super_read_only) is ON on the node that holds the VIP: every application write fails.",
    action:
      "On the holder: `SET GLOBAL read_only = OFF` (and super_read_only) if it should take writes, or move the VIP to the writable node. Find out who set it (a failover tool, a backup script).",
  },
  HOLDER_WRITES_FAILED: {
    severity: "critical",
    meaning:
      "The heartbeat write through the VIP failed or did not finish in time while reads worked: applications cannot write (read_only, a global read lock held by a backup tool, a full disk, a lock wait).",
    action:
      "On the holder: `SHOW PROCESSLIST` for a session holding FLUSH TABLES WITH READ LOCK or waiting on a lock; check read_only, the disk (`df`) and the error log.",
  },
  HEARTBEAT_CONNECT_FAILED: {
    severity: "warning",
    meaning:
      "The heartbeat's own connection to the VIP failed (its login, its grants, TLS, or the VIP's address answered by another host than a moment before) while the probe's reads through the VIP worked: the write path was not tried, so nothing is known of the applications' writes.",
    action:
      "Read the error in the evidence: for auth or privilege, check the heartbeat user (its password secret, `REQUIRE SSL`, its grants on mysql_ha_prober.heartbeat); for TLS, the certificate the VIP presents; during a split brain, the VIP's MAC changing between connections (ARP) explains it.",
  },
  HEARTBEAT_ROW_MISSING: {
    severity: "warning",
    meaning:
      "A node has no heartbeat row (or no heartbeat table). The prober only ever updates the row the node kit seeded on every node: an insert through the VIP on both nodes during a split brain stops replication with a duplicate key at the heal, and an update replicated to a node without the row stops it with a missing row. So no heartbeat is written until every node has its row again, and the delay falls back to Seconds_Behind_Master.",
    action:
      "On the node named (a restore from a backup older than the kit, a dropped table): run the kit's heartbeat lines there with sql_log_bin=0 (`CREATE TABLE IF NOT EXISTS mysql_ha_prober.heartbeat ...` and `INSERT IGNORE INTO mysql_ha_prober.heartbeat (id, written_at, server_id) VALUES (1, 0, 0)`); the next probe writes again.",
  },
  MYSQL_RESTARTED: {
    severity: "warning",
    meaning:
      "mysqld restarted since a probe last saw it up (its Uptime is shorter than the time since then), also when the one probe in between found it unreachable (an outage too short to confirm).",
    action:
      "Read the node's error log around the start time for the crash or the stop; check replication both ways resumed and nothing was lost (`SHOW SLAVE STATUS`).",
  },
  KEEPALIVED_RESTARTED: {
    severity: "warning",
    meaning: "keepalived restarted since the previous probe (another pid).",
    action:
      "Check who restarted it (a package upgrade, a config reload gone wrong, a crash: `journalctl -u keepalived`).",
  },
  REPLICATION_RESTARTED: {
    severity: "warning",
    meaning:
      "Replication was stopped and started again since the previous probe (STOP SLAVE/REPLICA ran), or stopped with an error and runs again (MySQL's error timestamps).",
    action:
      "Find out who restarted it and why; if it stopped on an error that was skipped, compare the nodes' data before trusting them.",
  },
  VIP_LINK_DOWN: {
    severity: "critical",
    meaning:
      "The VIP is bound on an interface whose link is down: it serves nobody, and is not counted as held.",
    action:
      "Check the interface (`ip link`), the cable or the virtual NIC; keepalived should move the VIP if it tracks the interface.",
  },
  MYSQLD_LOOPBACK_ONLY: {
    severity: "warning",
    meaning: "mysqld listens on loopback only: neither the VIP nor the peer's replication can reach it.",
    action:
      "Set bind_address (or bind-address) to the node's address or 0.0.0.0 and restart mysqld at a quiet time.",
  },
  KEEPALIVED_VIP_INSTANCE_UNKNOWN: {
    severity: "warning",
    meaning:
      "keepalived runs several VRRP instances and none lists the VIP: which one carries it cannot be told, so the node's role is unknown.",
    action: "Set nodeCheck.vrrpInstance to the name of the instance that carries the VIP.",
  },
  KEEPALIVED_OTHER_INSTANCES: {
    severity: "info",
    meaning: "keepalived also runs VRRP instances that do not carry the VIP: they are listed, not counted.",
    action: "None.",
  },
  KEEPALIVED_PREEMPT_ON: {
    severity: "warning",
    meaning:
      "keepalived preempts on this node: nopreempt is missing, or keepalived cleared it because the instance's initial state is MASTER (nopreempt only works with state BACKUP). A recovered node takes the VIP back: a second, needless failover.",
    action:
      "In the VIP's vrrp_instance on this node: `state BACKUP` and `nopreempt` (the node kit's fragment), then restart keepalived at a quiet time (on the standby first).",
  },
  KEEPALIVED_PAIR_MISMATCH: {
    severity: "warning",
    meaning:
      "The two nodes' keepalived configurations disagree on what must be the same (virtual_router_id, advert_int, authentication, the VIP) or unicast peers do not point at each other: adverts are dropped and both nodes can become MASTER.",
    action:
      "Make the VIP's vrrp_instance identical on both nodes except the priority (the evidence lists each difference), then restart keepalived on the standby, then on the holder.",
  },
  KEEPALIVED_EQUAL_PRIORITIES: {
    severity: "warning",
    meaning:
      "Both nodes have the same priority for the VIP's instance: elections are decided by the higher IP address, not by design.",
    action: "Give the nodes distinct priorities (e.g. 100 and 90), then restart keepalived on the standby.",
  },
  MYSQL_TLS_FAILED: {
    severity: "critical",
    meaning:
      "The TLS connection to this endpoint failed: the server offers no TLS, or its certificate does not verify against the configured CA (verify-ca), or does not name the address (verify-identity). The prober never falls back to plaintext, so this endpoint is unobserved.",
    action:
      "Read the reason in the evidence (the certificate's issuer, its expiry, its subjectAltName must list the node's IP and the VIP for verify-identity); fix the server's certificate or the configured mysql.tls.ca.",
  },
  // ---- the EC2 view of the VIP (opt-in: ec2.mode)
  EC2_VIEW_FAILED: {
    severity: "warning",
    meaning:
      "The EC2 API did not say where the VIP is assigned (denied, throttled, timed out): the VPC's view of the VIP is unknown for this probe.",
    action:
      "Read the error in the evidence; check the function's ec2:DescribeNetworkInterfaces / ec2:DescribeRouteTables permissions and the EC2 endpoint (a VPC interface endpoint when the subnets have no NAT).",
  },
  EC2_VIP_MOVE_PENDING: {
    severity: "warning",
    meaning:
      "EC2 does not (yet) route the VIP to the node that holds it, within the grace (ec2.graceSeconds): the reassignment by the notify script is asynchronous and may still be on its way.",
    action:
      "Wait one probe. If it lasts, the notify script's `aws ec2 assign-private-ip-addresses` (or `replace-route`) failed: read its log on the new holder (ec2.log in the node kit's state directory).",
  },
  EC2_VIP_MISMATCH: {
    severity: "critical",
    meaning:
      "For longer than the grace, EC2 routes the VIP to a node that does not hold it (keepalived MASTER, the VIP bound in the OS, the VIP's SQL): the VPC delivers the applications' traffic to a host that drops it. The VIP is down for every client outside the holder's own host.",
    action:
      "On the holder, run the notify script's EC2 command by hand (`aws ec2 assign-private-ip-addresses --network-interface-id <holder's ENI> --private-ip-addresses <VIP> --allow-reassignment`, or `aws ec2 replace-route ...` in route-table mode) and read why it failed (IAM on the instance role, the API endpoint, throttling).",
  },
  EC2_VIP_UNASSIGNED: {
    severity: "critical",
    meaning:
      "For longer than the grace, no network interface holds the VIP (no route for it in route-table mode, or a blackhole route): the VPC delivers the VIP's traffic nowhere.",
    action:
      "Assign the VIP to the holder's interface (or route it there) as the notify script does, and read the notify script's EC2 log on the holder for why it did not.",
  },
  EC2_VIP_FOREIGN: {
    severity: "critical",
    meaning:
      "For longer than the grace, EC2 routes the VIP to a network interface or instance that is neither node's (as configured in ec2.nodes): traffic for the VIP goes to another host.",
    action:
      "Find the interface in the evidence (`aws ec2 describe-network-interfaces --network-interface-ids <id>`), release the address there, and assign it to the holder.",
  },
  EC2_SPLIT_BRAIN_ROUTED: {
    severity: "critical",
    meaning:
      "Both nodes hold the VIP (a split brain) and EC2 routes it to one of them: the applications reach that node only; the other believes it is the writer and takes whatever reaches it by its own address.",
    action:
      "Keep the node EC2 routes to (unless the evidence shows the other took the writes); on the other, give up the VIP (`ip addr del <VIP>/<prefix> dev <if>`) and restore VRRP between the nodes.",
  },
  // ---- the consistency sweep (added with the deployed sweep; codes are an API: only added)
  DATA_DIVERGENCE: {
    severity: "critical",
    meaning:
      "The consistency sweep read both nodes' rows at the same replication point and confirmed rows that differ (missing on one node, or different), or tables whose definitions differ: replication will not mend them, and a failover hands the applications the other node's version of those rows. It opens an incident (one per set of differences).",
    action:
      "Run `mysql-ha-prober compare --cluster <pair> --tables <the tables named> --repair-dir <dir>` from a host that reaches both nodes: it confirms the rows again and writes the repair SQL both ways (docs/consistency.md). Choose the node whose rows to keep, apply the file on the other one as the file's header says, then `ack` the incident.",
  },
} as const satisfies Record<string, CodeInfo>;

export type FindingCode = keyof typeof CATALOG;

export interface Finding {
  /** Stable code from the catalog (shared/domain/codes.ts): operators filter mail and alarms on it. */
  code: FindingCode;
  severity: Severity;
  /** Which node or endpoint it is about, when it is about one. */
  subject?: EndpointName | "pair";
  message: string;
  evidence: Record<string, unknown>;
  /**
   * For findings about an event (see INCIDENT_CODES): what tells this event from another of the same
   * code on the same subject (the GTIDs, the start time), so an incident opens once per event.
   */
  key?: string;
}

export function makeFinding(
  code: FindingCode,
  message: string,
  evidence: Record<string, unknown>,
  subject?: EndpointName | "pair",
  severity?: Severity,
): Finding {
  return {
    code,
    severity: severity ?? CATALOG[code].severity,
    ...(subject ? { subject } : {}),
    message,
    evidence,
  };
}

/** The catalog as a Markdown table (docs/findings.md's copy is checked against it by a test). */
export function catalogMarkdown(): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const rows = Object.entries(CATALOG).map(
    ([code, info]) => `| \`${code}\` | ${info.severity} | ${esc(info.meaning)} | ${esc(info.action)} |`,
  );
  return ["| code | severity | meaning | what to do |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
