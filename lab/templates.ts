/**
 * Text of every file the lab writes: MariaDB option files and keepalived configuration and scripts.
 * Pure functions of the lab's plan, so tests can read them without a lab.
 */
import { readFileSync } from "node:fs";
import { kitPath, renderKit } from "../node-kit/kit.ts";
import type { LabNodePlan, LabPlan } from "./plan.ts";
import { labTlsPaths } from "./tls.ts";

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
# TLS with the lab's own CA (lab/tls.ts): the prober's configuration verifies it (verify-ca)
ssl-ca=${labTlsPaths(plan).caFile}
ssl-cert=${labTlsPaths(plan).node[node.id].cert}
ssl-key=${labTlsPaths(plan).node[node.id].key}
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

/** keepalived.conf: the lab's global_defs, then the node kit's VRRP fragment (node-kit). */
export function keepalivedConf(plan: LabPlan, node: LabNodePlan): string {
  const k = node.keepalived;
  return `# Written by the mysql-ha-prober lab (${plan.name}); node ${node.id}
global_defs {
  router_id ${plan.name}_${node.id}
  enable_script_security
  script_user root
}

${renderKit("keepalived", {
  CHECK_SCRIPT: k.checkScript,
  MYSQL_SOCKET: node.mysql.socket,
  INSTANCE: plan.vrrpInstance,
  INTERFACE: node.iface,
  VRID: plan.virtualRouterId,
  PRIORITY: node.priority,
  AUTH_PASS: plan.vrrpPassword,
  VIP: plan.vip,
  PREFIX: plan.prefixLength,
  NOTIFY_SCRIPT: k.notifyScript,
})}`;
}

/** The node kit's track script, as is. */
export function checkMysqlScript(): string {
  return readFileSync(kitPath("checkMysql"), "utf8");
}

/** The node kit's notify script, as is; its settings are in notifyConf. */
export function notifyScript(): string {
  return readFileSync(kitPath("notify"), "utf8");
}

/** notify.conf next to the notify script: the lab's state directory, and the trigger FIFO for push. */
export function notifyConf(plan: LabPlan, node: LabNodePlan): string {
  return `# Written by the mysql-ha-prober lab (${plan.name}); node ${node.id}
STATE_DIR='${node.keepalived.dir}'
CLUSTER='${plan.name === "mhp" ? "lab" : `lab-${plan.name}`}'
NODE='${node.id}'
PUSH_FIFO='${plan.client.triggerFifo}'
# the lab's EC2: the VIP follows MASTER in the stand-in's record (lab/ec2-standin.ts)
EC2_VIP='${plan.vip}'
EC2_NETWORK_INTERFACE_ID='${plan.ec2.nodes[node.id].networkInterfaceId}'
EC2_ROUTE_TABLE_IDS='${plan.ec2.routeTableIds.join(" ")}'
AWS_CLI='${plan.ec2.awsCli}'
`;
}

/**
 * The lab's stand-in for the AWS CLI's two EC2 calls the notify script makes: it appends each call to
 * the lab's EC2 record (read by lab/ec2-standin.ts), or fails it, or delays its effect, as the fault
 * file says ("fail", "lag <seconds>").
 */
export function awsStandInScript(plan: LabPlan): string {
  return `#!/bin/bash
# Written by the mysql-ha-prober lab (${plan.name}): a stand-in for "aws ec2 assign-private-ip-addresses"
# and "aws ec2 replace-route". Nothing leaves the machine.
LOG='${plan.ec2.callsLog}'
FAULT='${plan.ec2.faultFile}'
now=$(date -u +%s.%3N)
lag=0
if [ -r "$FAULT" ]; then
  read -r kind arg < "$FAULT"
  case "$kind" in
    fail) echo "An error occurred (UnauthorizedOperation) when calling the $2 operation: lab fault ec2-assign-fail" >&2; exit 254 ;;
    lag) lag="\${arg:-0}" ;;
  esac
fi
[ "$1" = ec2 ] || { echo "lab aws stand-in: only ec2 calls are emulated" >&2; exit 2; }
op="$2"; shift 2
declare -A a=()
while [ $# -gt 0 ]; do
  case "$1" in --allow-reassignment) shift ;; --*) a[$1]="$2"; shift 2 ;; *) shift ;; esac
done
case "$op" in
  assign-private-ip-addresses)
    printf '%s %s assign %s %s\n' "$now" "$lag" "\${a[--network-interface-id]}" "\${a[--private-ip-addresses]}" >> "$LOG" ;;
  replace-route)
    printf '%s %s route %s %s %s\n' "$now" "$lag" "\${a[--route-table-id]}" "\${a[--destination-cidr-block]}" "\${a[--network-interface-id]}" >> "$LOG" ;;
  *) echo "lab aws stand-in: ec2 $op is not emulated" >&2; exit 2 ;;
esac
`;
}
