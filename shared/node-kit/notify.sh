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
# Settings come from notify.conf next to this script, or /etc/mysql-ha-prober/notify.conf:
#   STATE_DIR=/var/lib/mysql-ha-prober   CLUSTER=prod-db   NODE=a   PUSH_FIFO=   PUSH_FUNCTION_ARN=
# keepalived runs it as root with enable_script_security: keep it (and its directory) root-owned, 0755.
umask 022
STATE_DIR=/var/lib/mysql-ha-prober
CLUSTER=""
NODE=""
PUSH_FIFO=""
PUSH_FUNCTION_ARN=""
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
exit 0
