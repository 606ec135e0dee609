#!/bin/bash
# mysql-ha-prober node check: prints ONE small JSON document describing this node (VIP binding,
# ARP replies for the VIP, keepalived state and transitions, mysqld listening) and exits 0. It exits
# non-zero only when the script itself fails (bad parameters): an observed problem is data, not an
# error. Needs bash, iproute2 (ip, ss), arping and keepalived's own tools; nothing else.
#
# Parameters come from environment variables SSM_<Name> (SSM Run Command with interpolationType
# ENV_VAR sets them), or from NC_PARAMS: base64 of "Name=value" lines (the SSH runner). Nothing is
# ever evaluated: each value is checked against its pattern below before it is used.
#
# The lines "# @param Name | default | description" and P_Name='pattern' are also read by
# shared/node-check/document.ts to build the SSM document, so the two cannot drift.
#
# @param Vip | | The virtual IP to check.
# @param Interface | | The interface that carries the VIP (empty: the one holding it, or the route to it).
# @param MysqlPort | 3306 | The port mysqld listens on.
# @param KeepalivedPidFile | /run/keepalived.pid | keepalived's (parent) pid file.
# @param KeepalivedDumpDir | /tmp | keepalived's TMPDIR, where its DATA dump is written.
# @param NotifyStateFile | | File holding the state written by the keepalived notify script (fallback).
# @param NotifyLog | | Append-only transition log written by the notify script ("<epoch> <iso> <instance> <state> <prio>").
# @param Since | 0 | Report transitions after this time (epoch seconds).
# @param ArpCount | 2 | ARP requests to send for the VIP.
# @param ArpWaitMs | 500 | How long to wait for ARP replies to each request, in milliseconds.
set -u
export LC_ALL=C
SCRIPT_VERSION="1.0.0"

P_Vip='^[0-9]{1,3}(\.[0-9]{1,3}){3}$'
P_Interface='^([A-Za-z0-9_.-]{1,15})?$'
P_MysqlPort='^[0-9]{1,5}$'
P_KeepalivedPidFile='^/[A-Za-z0-9_./-]{0,255}$'
P_KeepalivedDumpDir='^/[A-Za-z0-9_./-]{0,255}$'
P_NotifyStateFile='^(/[A-Za-z0-9_./-]{0,255})?$'
P_NotifyLog='^(/[A-Za-z0-9_./-]{0,255})?$'
P_Since='^[0-9]{1,12}$'
P_ArpCount='^[1-9]$'
P_ArpWaitMs='^[1-9][0-9]{1,3}$'

fail() { # the script itself cannot run: say why, as JSON, and exit 2
  local msg="${1//\\/\\\\}"
  msg="${msg//\"/\\\"}"
  printf '{"v":1,"script":"%s","fatal":"%s"}\n' "$SCRIPT_VERSION" "$msg"
  exit 2
}

# --- parameters: NC_PARAMS (base64 "Name=value" lines) fills in what SSM_* did not set
if [ -n "${NC_PARAMS:-}" ]; then
  case "$NC_PARAMS" in *[!A-Za-z0-9+/=]*) fail "NC_PARAMS is not base64" ;; esac
  while IFS='=' read -r name value; do
    case "$name" in
      Vip|Interface|MysqlPort|KeepalivedPidFile|KeepalivedDumpDir|NotifyStateFile|NotifyLog|Since|ArpCount|ArpWaitMs)
        printf -v "SSM_$name" '%s' "$value" ;;
      "") ;;
      *) fail "unknown parameter in NC_PARAMS" ;;
    esac
  done < <(printf '%s' "$NC_PARAMS" | base64 -d 2>/dev/null)
fi
param() { # param VAR Name default: VAR := the value of parameter Name, checked against P_Name
  local name="$2" default="$3" var="SSM_$2" pat="P_$2"
  local value="${!var-$default}"
  [[ "$value" =~ ${!pat} ]] || fail "parameter $name does not match ${!pat}"
  printf -v "$1" '%s' "$value"
}
param VIP Vip ""
param IFACE Interface ""
param PORT MysqlPort 3306
param KA_PIDFILE KeepalivedPidFile /run/keepalived.pid
param KA_DUMPDIR KeepalivedDumpDir /tmp
param NOTIFY_STATE NotifyStateFile ""
param NOTIFY_LOG NotifyLog ""
param SINCE Since 0
param ARP_COUNT ArpCount 2
param ARP_WAIT_MS ArpWaitMs 500
ARP_WAIT_S=$(awk -v ms="$ARP_WAIT_MS" 'BEGIN { printf "%.3f", ms / 1000 }')
ARP_DEADLINE_S=$(( (ARP_WAIT_MS * ARP_COUNT + 999) / 1000 + 2 ))
[ -n "$VIP" ] || fail "parameter Vip is required"
for part in ${VIP//./ }; do [ "$part" -le 255 ] || fail "parameter Vip is not an IPv4 address"; done
[ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || fail "parameter MysqlPort is out of range"

ERRORS=()
note_error() { ERRORS+=("$(printf '%s' "$1" | tr -cd 'A-Za-z0-9 _.,:/()=-' | cut -c1-160)"); }
# safe TEXT CHARS [MAX]: TEXT with only the characters of the bracket set CHARS, cut to MAX (64);
# parameter expansion only: no process is started for it.
safe() {
  local v="${1//[^$2]/}"
  printf '%s' "${v:0:${3:-64}}"
}

# --- VIP binding
VIP_IFACE=""
while read -r _ dev _ addr _; do
  if [ "${addr%/*}" = "$VIP" ]; then VIP_IFACE="$dev"; break; fi
done < <(ip -o -4 addr show 2>/dev/null)
if [ -n "$IFACE" ] && [ -n "$VIP_IFACE" ] && [ "$VIP_IFACE" != "$IFACE" ]; then
  note_error "VIP bound on $VIP_IFACE, not on the configured interface $IFACE"
fi
ARP_IFACE="${VIP_IFACE:-$IFACE}"
if [ -z "$ARP_IFACE" ]; then
  ARP_IFACE=$(ip -o route get "$VIP" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n1)
fi
ARP_IFACE=$(safe "$ARP_IFACE" 'A-Za-z0-9_.-' 15)
MAC=""
[ -n "$ARP_IFACE" ] && [ -r "/sys/class/net/$ARP_IFACE/address" ] && MAC=$(safe "$(cat "/sys/class/net/$ARP_IFACE/address")" '0-9a-f:' 17)

# --- ARP: who answers for the VIP, from here
ARP_TOOL="none"
ARP_EXIT=-1
REPLIES=()
if command -v arping >/dev/null 2>&1; then
  if arping --help 2>&1 | grep -q 'Habets'; then ARP_TOOL="habets"
  elif arping -V 2>&1 | grep -qi 'iputils'; then ARP_TOOL="iputils"
  else ARP_TOOL="unknown"; fi
fi
if [ -z "$ARP_IFACE" ]; then
  note_error "no interface to send ARP requests from"
elif [ "$ARP_TOOL" = "habets" ] || [ "$ARP_TOOL" = "iputils" ]; then
  if [ "$ARP_TOOL" = "habets" ]; then
    # Thomas Habets' arping: -w is the wait for replies to each request, -W the pause between requests
    out=$(timeout "$ARP_DEADLINE_S" arping -c "$ARP_COUNT" -W 0.1 -w "$ARP_WAIT_S" -i "$ARP_IFACE" "$VIP" 2>&1); ARP_EXIT=$?
    macs=$(printf '%s\n' "$out" | sed -n 's/.* bytes from \([0-9a-fA-F:]\{17\}\) .*/\1/p')
  else
    # iputils arping: -w is a deadline for the whole run, in seconds (its -D would be duplicate address detection)
    out=$(timeout "$ARP_DEADLINE_S" arping -c "$ARP_COUNT" -w "$(( (ARP_WAIT_MS * ARP_COUNT + 999) / 1000 ))" -I "$ARP_IFACE" "$VIP" 2>&1); ARP_EXIT=$?
    macs=$(printf '%s\n' "$out" | sed -n 's/.*reply from [0-9.]* \[\([0-9a-fA-F:]\{17\}\)\].*/\1/p')
  fi
  while read -r m; do
    [ -n "$m" ] && REPLIES+=("$(printf '%s' "$m" | tr 'A-F' 'a-f')")
  done < <(printf '%s\n' "$macs" | tr 'A-F' 'a-f' | sort -u)
else
  note_error "arping is not installed or not recognised"
fi

# --- keepalived
KA_PID=""
if [ -r "$KA_PIDFILE" ]; then
  p=$(tr -cd '0-9' < "$KA_PIDFILE")
  if [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "keepalived" ]; then KA_PID="$p"; fi
fi
KA_RUNNING=false
[ -n "$KA_PID" ] && KA_RUNNING=true
KA_SOURCE="none"
INSTANCES=()
if [ -n "$KA_PID" ]; then
  dump="$KA_DUMPDIR/keepalived.data"
  before=$(stat -c %y "$dump" 2>/dev/null || echo 0)
  sig=$(keepalived --signum=DATA 2>/dev/null | tr -cd '0-9')
  if [ -n "$sig" ] && kill -s "$sig" "$KA_PID" 2>/dev/null; then
    # wait (up to 1 s) for a new dump: its modification time, to the nanosecond, changes
    for _ in $(seq 1 50); do
      now=$(stat -c %y "$dump" 2>/dev/null || echo 0)
      [ "$now" != "$before" ] && break
      sleep 0.02
    done
    sleep 0.03 # keepalived writes the dump in one go; let it finish
    if [ "$now" != "$before" ]; then
      KA_SOURCE="data"
      while read -r name state prio last; do
        INSTANCES+=("{\"name\":\"$(safe "$name" 'A-Za-z0-9_.-')\",\"state\":\"$(safe "$state" 'A-Z')\",\"priority\":${prio:-null},\"lastTransition\":${last:-null}}")
      done < <(awk '
        /^ VRRP Instance = / { if (n) print n, s, p, t; n=$4; s=""; p=""; t="" }
        n && /^   State = / && s=="" { s=$3 }
        n && /^   Effective priority = / { p=$4 }
        n && /^   Priority = / && p=="" { p=$3 }
        n && /^   Last transition = / { t=$4 }
        /^------< / && !/VRRP Topology/ { if (n) print n, s, p, t; n="" }
        END { if (n) print n, s, p, t }' "$dump" | tr -cd 'A-Za-z0-9_.\n -')
    else
      note_error "keepalived did not write its DATA dump to $KA_DUMPDIR"
    fi
  else
    note_error "could not signal keepalived for a DATA dump"
  fi
fi
if [ "$KA_SOURCE" = "none" ] && [ -n "$NOTIFY_STATE" ] && [ -r "$NOTIFY_STATE" ] && [ "$KA_RUNNING" = true ]; then
  KA_SOURCE="notify"
  INSTANCES+=("{\"name\":\"\",\"state\":\"$(safe "$(head -n1 "$NOTIFY_STATE")" 'A-Z')\",\"priority\":null,\"lastTransition\":null}")
fi
TRANSITIONS=()
TRANS_SOURCE="none"
if [ -n "$NOTIFY_LOG" ] && [ -r "$NOTIFY_LOG" ]; then
  TRANS_SOURCE="notify-log"
  while read -r at name state prio; do
    TRANSITIONS+=("{\"at\":$at,\"instance\":\"$(safe "$name" 'A-Za-z0-9_.-')\",\"state\":\"$(safe "$state" 'A-Z')\",\"priority\":${prio:-null}}")
  done < <(awk -v since="$SINCE" '$1 ~ /^[0-9]+(\.[0-9]+)?$/ && $1 > since { print $1, $3, $4, ($5 ~ /^[0-9]+$/ ? $5 : "null") }' "$NOTIFY_LOG" | tail -n 20)
elif command -v journalctl >/dev/null 2>&1 && [ "$SINCE" -gt 0 ]; then
  TRANS_SOURCE="journal"
  while read -r at name state; do
    TRANSITIONS+=("{\"at\":$at,\"instance\":\"$(safe "$name" 'A-Za-z0-9_.-')\",\"state\":\"$(safe "$state" 'A-Z')\",\"priority\":null}")
  done < <(timeout 3 journalctl -q -u keepalived --since "@$SINCE" -o short-unixtime 2>/dev/null |
    sed -n 's/^\([0-9.]*\) .*(\([A-Za-z0-9_.-]*\)) Entering \([A-Z]*\) STATE.*/\1 \2 \3/p' | tail -n 20)
fi

# --- mysqld: a process listening on the MySQL port in this network namespace
MYSQL_LISTENING=false
MYSQL_PROC=""
MYSQL_PID=null
line=$(ss -Hltnp "sport = :$PORT" 2>/dev/null | head -n1)
if [ -n "$line" ]; then
  MYSQL_LISTENING=true
  MYSQL_PROC=$(safe "$(printf '%s' "$line" | sed -n 's/.*users:(("\([^"]*\)",pid=.*/\1/p')" 'A-Za-z0-9_.-')
  p=$(printf '%s' "$line" | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
  [ -n "$p" ] && MYSQL_PID="$p"
fi

join() { local IFS=","; printf '%s' "$*"; }
replies_json=""
for m in "${REPLIES[@]+"${REPLIES[@]}"}"; do replies_json+="${replies_json:+,}\"$m\""; done
errors_json=""
for e in "${ERRORS[@]+"${ERRORS[@]}"}"; do errors_json+="${errors_json:+,}\"$e\""; done
printf '{"v":1,"script":"%s","host":"%s","time":"%s","epoch":%s,' \
  "$SCRIPT_VERSION" "$(safe "$(hostname 2>/dev/null)" 'A-Za-z0-9_.-')" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(date +%s)"
printf '"vip":{"address":"%s","bound":%s,"interface":"%s","mac":"%s"},' \
  "$VIP" "$([ -n "$VIP_IFACE" ] && echo true || echo false)" "$ARP_IFACE" "$MAC"
printf '"arp":{"tool":"%s","exit":%s,"count":%s,"replies":[%s]},' "$ARP_TOOL" "$ARP_EXIT" "$ARP_COUNT" "$replies_json"
printf '"keepalived":{"running":%s,"pid":%s,"source":"%s","instances":[%s],"transitionsSource":"%s","since":%s,"transitions":[%s]},' \
  "$KA_RUNNING" "${KA_PID:-null}" "$KA_SOURCE" "$(join "${INSTANCES[@]+"${INSTANCES[@]}"}")" "$TRANS_SOURCE" "$SINCE" \
  "$(join "${TRANSITIONS[@]+"${TRANSITIONS[@]}"}")"
printf '"mysqld":{"port":%s,"listening":%s,"process":"%s","pid":%s},' "$PORT" "$MYSQL_LISTENING" "$MYSQL_PROC" "$MYSQL_PID"
printf '"errors":[%s]}\n' "$errors_json"
exit 0
