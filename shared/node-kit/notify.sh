#!/bin/sh
# mysql-ha-prober node kit: keepalived's notify script.
#   keepalived.conf, in the VRRP instance:  notify "/etc/keepalived/mysql-ha-prober-notify.sh"
#   keepalived calls it with: $1 INSTANCE|GROUP, $2 name, $3 MASTER|BACKUP|FAULT|STOP, $4 priority
# It records every transition, so the prober sees what happened between two probes:
#   - a state file (atomically replaced): the node check's NotifyStateFile
#   - an append-only log "<epoch.ms> <iso-time> <instance> <state> <priority>": its NotifyLog
# and pushes a trigger so the prober probes at once (optional):
#   - PUSH_FIFO: a FIFO the CLI's `watch` reads (the lab), opened read-write so this never blocks;
#   - PUSH_FUNCTION_ARN: the deployed function, invoked asynchronously with the AWS CLI (needs the
#     stack's NodePushPolicyArn on the node's instance role).
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
for conf in "$(dirname "$0")/notify.conf" /etc/mysql-ha-prober/notify.conf; do
  if [ -r "$conf" ]; then . "$conf"; break; fi
done
now=$(date -u +%s.%3N)
iso=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
mkdir -p "$STATE_DIR"
printf '%s\n' "$3" > "$STATE_DIR/state.tmp" && mv -f "$STATE_DIR/state.tmp" "$STATE_DIR/state"
printf '%s %s %s %s %s\n' "$now" "$iso" "$2" "$3" "${4:-0}" >> "$STATE_DIR/transitions.log"
if [ -n "$PUSH_FIFO" ] && [ -p "$PUSH_FIFO" ]; then
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
