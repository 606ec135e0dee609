/**
 * Text of every file the lab writes: MariaDB option files and keepalived configuration and scripts.
 * Pure functions of the lab's plan, so tests can read them without a lab.
 */
import type { LabNodePlan, LabPlan } from "./plan.ts";

export function myCnf(plan: LabPlan, node: LabNodePlan): string {
  return `# Written by the mysql-ha-prober lab (${plan.name}); node ${node.id}
[client]
socket=${node.mysql.socket}

[mariadbd]
user=mysql
datadir=${node.mysql.datadir}
socket=${node.mysql.socket}
pid-file=${node.mysql.pidFile}
log-error=${node.mysql.errorLog}
# Own temporary directory: servers sharing /tmp can collide on temporary-table file names.
tmpdir=${node.mysql.tmpDir}
port=${plan.mysqlPort}
# 0.0.0.0, not the node's own IP: the server must also answer on the VIP after a failover.
bind-address=0.0.0.0
skip-name-resolve
server_id=${node.serverId}
report_host=${node.ip}
# GTID replication both ways; one GTID domain per node, as MariaDB recommends for multi-master.
gtid_domain_id=${node.serverId}
gtid_strict_mode=ON
log_bin=${node.mysql.datadir}/binlog
log_slave_updates=ON
binlog_format=ROW
relay_log=${node.mysql.datadir}/relay
auto_increment_increment=2
auto_increment_offset=${node.serverId}
# Small footprint: the lab runs two servers on a small machine.
innodb_buffer_pool_size=32M
innodb_log_file_size=8M
performance_schema=OFF
# Native AIO contexts are a kernel-wide budget (fs.aio-max-nr) shared with everything else on the
# machine; servers started and killed in quick succession can exhaust it and fail to start.
innodb_use_native_aio=0
max_connections=100
slave_net_timeout=10
`;
}

export function keepalivedConf(plan: LabPlan, node: LabNodePlan): string {
  const k = node.keepalived;
  return `# Written by the mysql-ha-prober lab (${plan.name}); node ${node.id}
global_defs {
  router_id ${plan.name}_${node.id}
  enable_script_security
  script_user root
}

vrrp_script chk_mysql {
  script "${k.checkScript} ${node.mysql.socket}"
  interval 1
  timeout 2
  fall 2
  rise 2
}

vrrp_instance ${plan.vrrpInstance} {
  state BACKUP
  interface ${node.iface}
  virtual_router_id ${plan.virtualRouterId}
  priority ${node.priority}
  advert_int 1
  nopreempt
  # Re-announce the VIP's MAC every 5 s while MASTER: after a split brain heals, the node that kept
  # the VIP never transitions, so without this clients keep the other node's MAC until ARP expires.
  garp_master_refresh 5
  garp_master_refresh_repeat 1
  authentication {
    auth_type PASS
    auth_pass ${plan.vrrpPassword}
  }
  virtual_ipaddress {
    ${plan.vip}/${plan.prefixLength} dev ${node.iface}
  }
  track_script {
    chk_mysql
  }
  notify "${k.notifyScript}"
}
`;
}

/** Fails (non-zero) when the local MariaDB does not answer a ping within 1 s. */
export function checkMysqlScript(): string {
  return `#!/bin/sh
# keepalived track script: exit 0 only when the local MariaDB answers a ping.
# $1: the server's unix socket. The lab's keepalived-flap fault makes it fail with a flag file.
[ -e "$(dirname "$0")/force-fault" ] && exit 1
exec /usr/bin/timeout 2 mariadb-admin --no-defaults --socket="$1" --connect-timeout=1 ping >/dev/null 2>&1
`;
}

/**
 * keepalived notify script: records every transition in a state file (atomically replaced) and an
 * append-only log of lines "<epoch.ms> <iso-time> <instance> <state> <priority>", and pushes a trigger
 * "<epoch.ms> <node> <instance> <state>" to the prober (a FIFO opened read-write, so the script never
 * blocks when no prober listens; the line is then simply dropped).
 */
export function notifyScript(node: LabNodePlan, triggerFifo: string): string {
  return `#!/bin/sh
# keepalived notify: $1 INSTANCE|GROUP, $2 name, $3 MASTER|BACKUP|FAULT|STOP, $4 priority
umask 022
dir='${node.keepalived.dir}'
trigger='${triggerFifo}'
now=$(date -u +%s.%3N)
iso=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
printf '%s\\n' "$3" > "$dir/state.tmp" && mv -f "$dir/state.tmp" "$dir/state"
printf '%s %s %s %s %s\\n' "$now" "$iso" "$2" "$3" "\${4:-0}" >> "$dir/transitions.log"
if [ -p "$trigger" ]; then
  { printf '%s %s %s %s\\n' "$now" '${node.id}' "$2" "$3" 1<>"$trigger"; } 2>/dev/null || true
fi
`;
}
