#!/bin/sh
# mysql-ha-prober node kit: keepalived's notify script.
#   keepalived.conf, in the VRRP instance:  notify "/etc/keepalived/mysql-ha-prober-notify.sh"
#   keepalived calls it with: $1 INSTANCE|GROUP, $2 name, $3 MASTER|BACKUP|FAULT|STOP, $4 priority
# It records every transition, so the prober sees what happened between two probes:
#   - a state file (atomically replaced): the node check's NotifyStateFile
#   - an append-only log "<epoch.ms> <iso-time> <instance> <state> <priority>": its NotifyLog
# and pushes a trigger so the prober probes at once (optional):
#   - PUSH_FIFO: a FIFO the CLI's `watch` reads (the lab), opened read-write so this never blocks;
#   - PUSH_FUNCTION_ARN: the deployed push function qualified with this node's alias (the stack's
#     PushFunctionArn + ":n-<instance id>"), invoked asynchronously with the AWS CLI (needs the stack's
#     NodePushPolicyArn on the node's instance role, which allows this node's alias only).
# On EC2 (optional) it moves the VIP in the VPC when this node becomes MASTER, with the AWS CLI (the
# instance role needs ec2:AssignPrivateIpAddresses, and ec2:ReplaceRoute for route tables):
#   - EC2_VIP and EC2_NETWORK_INTERFACE_ID: `aws ec2 assign-private-ip-addresses --allow-reassignment`
#     (the VIP as a secondary private IP of this node's interface, same subnet);
#   - EC2_ROUTE_TABLE_IDS (space-separated): `aws ec2 replace-route` of VIP/32 to this node's interface in
#     each table (across zones). Each call's output goes to $STATE_DIR/ec2.log: read it when the prober
#     says EC2 routes the VIP to the wrong node.
# Settings come from notify.conf next to this script, or /etc/mysql-ha-prober/notify.conf:
#   STATE_DIR=/var/lib/mysql-ha-prober   CLUSTER=prod-db   NODE=a   PUSH_FIFO=   PUSH_FUNCTION_ARN=
#   EC2_VIP=   EC2_NETWORK_INTERFACE_ID=   EC2_ROUTE_TABLE_IDS=   AWS_CLI=aws
# keepalived runs it as root with enable_script_security: keep it (and its directory) root-owned, 0755.
umask 022
STATE_DIR=/var/lib/mysql-ha-prober
CLUSTER=""
NODE=""
PUSH_FIFO=""
PUSH_FUNCTION_ARN=""
EC2_VIP=""
EC2_NETWORK_INTERFACE_ID=""
EC2_ROUTE_TABLE_IDS=""
AWS_CLI=aws
# trusted PATH: nobody but root (or the user running this) can have written PATH or swap it: not a
# symbolic link, owned by root or us, not writable by group or others, and in a directory that is
# likewise (or sticky, like /tmp). This script runs as root: what it sources, writes into or opens must be
# trusted first (a user's notify.conf would run as root; a user's FIFO or state directory could be swapped).
me=$(id -u)
trusted() {
  [ ! -L "$1" ] || return 1
  f=$(stat -c '%u %a' -- "$1" 2>/dev/null) || return 1
  d=$(stat -L -c '%u %a' -- "$(dirname -- "$1")" 2>/dev/null) || return 1
  { [ "${f% *}" = 0 ] || [ "${f% *}" = "$me" ]; } || return 1
  [ $((0${f#* } & 022)) = 0 ] || return 1
  [ $((0${d#* } & 022)) = 0 ] || [ $((0${d#* } & 01000)) != 0 ]
}
refuse() {
  echo "mysql-ha-prober notify: $1 is not trusted (a symlink, not owned by root, or writable by others): $2" >&2
  command -v logger >/dev/null 2>&1 && logger -t mysql-ha-prober "notify: $1 is not trusted: $2"
}
for conf in "$(dirname "$0")/notify.conf" /etc/mysql-ha-prober/notify.conf; do
  if [ -r "$conf" ]; then
    trusted "$conf" || { refuse "$conf" "nothing recorded"; exit 1; }
    . "$conf"
    break
  fi
done
now=$(date -u +%s.%3N)
iso=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
mkdir -p -m 0755 "$STATE_DIR"
trusted "$STATE_DIR" || { refuse "$STATE_DIR" "nothing recorded"; exit 1; }
# a fresh temporary name (mktemp: O_EXCL, mode 0600), renamed over the state file: never a fixed name
tmp=$(mktemp "$STATE_DIR/.state.XXXXXX") && chmod 0644 "$tmp" && printf '%s\n' "$3" > "$tmp" && mv -f "$tmp" "$STATE_DIR/state"
printf '%s %s %s %s %s\n' "$now" "$iso" "$2" "$3" "${4:-0}" >> "$STATE_DIR/transitions.log"
# the FIFO is opened only when trusted: in a directory only root can write, nobody can swap it for a file
if [ -n "$PUSH_FIFO" ] && [ -p "$PUSH_FIFO" ] && trusted "$PUSH_FIFO"; then
  { printf '%s %s %s %s\n' "$now" "$NODE" "$2" "$3" 1<>"$PUSH_FIFO"; } 2>/dev/null || true
fi
if [ -n "$PUSH_FUNCTION_ARN" ] && command -v aws >/dev/null 2>&1; then
  aws lambda invoke --function-name "$PUSH_FUNCTION_ARN" --invocation-type Event \
    --cli-binary-format raw-in-base64-out \
    --payload "{\"source\":\"mysql-ha-prober.keepalived\",\"cluster\":\"$CLUSTER\",\"node\":\"$NODE\",\"instance\":\"$2\",\"state\":\"$3\"}" \
    /dev/null >/dev/null 2>&1 &
fi
if [ "$3" = MASTER ] && [ -n "$EC2_VIP" ] && [ -n "$EC2_NETWORK_INTERFACE_ID" ]; then
  {
    echo "$iso MASTER: assigning $EC2_VIP to $EC2_NETWORK_INTERFACE_ID"
    timeout 20 "$AWS_CLI" ec2 assign-private-ip-addresses --network-interface-id "$EC2_NETWORK_INTERFACE_ID" \
      --private-ip-addresses "$EC2_VIP" --allow-reassignment || echo "$iso assign-private-ip-addresses failed: $?"
    for rt in $EC2_ROUTE_TABLE_IDS; do
      timeout 20 "$AWS_CLI" ec2 replace-route --route-table-id "$rt" --destination-cidr-block "$EC2_VIP/32" \
        --network-interface-id "$EC2_NETWORK_INTERFACE_ID" || echo "$iso replace-route $rt failed: $?"
    done
  } >> "$STATE_DIR/ec2.log" 2>&1
fi
exit 0
