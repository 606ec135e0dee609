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
# @param KeepalivedDumpFile | | keepalived's DATA dump, when global_defs sets state_dump_file (empty: KeepalivedDumpDir/keepalived.data).
# @param NotifyStateFile | | File holding the state written by the keepalived notify script (fallback).
# @param NotifyLog | | Append-only transition log written by the notify script ("<epoch> <iso> <instance> <state> <prio>").
# @param Since | 0 | Report transitions after this time (epoch seconds).
# @param ArpCount | 3 | ARP requests to send for the VIP (0: no ARP view, as on EC2 where the VPC, not ARP, routes the VIP).
# @param ArpWaitMs | 20 | How long each ARP request waits for replies, in milliseconds (the whole run: ArpCount x ArpWaitMs).
# @param NodeParams | | One command for many nodes: base64 of "<managed node id> Name=value" lines; this node's lines (AWS_SSM_INSTANCE_ID, set by the agent) set its parameters.
set -u
export LC_ALL=C
SYSFS="${NC_SYSFS:-/sys}" # a test seam only: the unit tests run this script against a stand-in /sys
SCRIPT_VERSION="1.6.0"

# Every pattern accepts its own default: the SSM agent fills each parameter that was not sent with its default
# and checks EVERY declared parameter against its pattern before the script runs (amazon-ssm-agent
# docparser.go getValidatedParameters). Vip is empty when it travels in NodeParams; it is required below.
P_Vip='^([0-9]{1,3}(\.[0-9]{1,3}){3})?$'
P_Interface='^([A-Za-z0-9_.-]{1,15})?$'
P_MysqlPort='^[0-9]{1,5}$'
P_KeepalivedPidFile='^/[A-Za-z0-9_./-]{0,255}$'
P_KeepalivedDumpDir='^/[A-Za-z0-9_./-]{0,255}$'
P_KeepalivedDumpFile='^(/[A-Za-z0-9_./-]{0,255})?$'
P_NotifyStateFile='^(/[A-Za-z0-9_./-]{0,255})?$'
P_NotifyLog='^(/[A-Za-z0-9_./-]{0,255})?$'
P_Since='^[0-9]{1,12}$'
P_ArpCount='^[0-9]$'
P_ArpWaitMs='^[1-9][0-9]{1,3}$'
# NodeParams: at most 8,192 characters too, checked apart (a bounded {0,8192} takes bash's regex seconds)
P_NodeParams='^[A-Za-z0-9+/=]*$'

fail() { # the script itself cannot run: say why, as JSON, and exit 2
  local msg="${1//\\/\\\\}"
  msg="${msg//\"/\\\"}"
  printf '{"v":1,"script":"%s","fatal":"%s"}\n' "$SCRIPT_VERSION" "$msg"
  exit 2
}

# --- parameters: NC_PARAMS (base64 "Name=value" lines) fills in what SSM_* did not set
if [ -n "${NC_PARAMS:-}" ]; then
  case "$NC_PARAMS" in *[!A-Za-z0-9+/=]*) fail "NC_PARAMS is not base64" ;; esac
  while IFS='=' read -r name value || [ -n "$name" ]; do # (the last line has no newline)
    case "$name" in
      Vip|Interface|MysqlPort|KeepalivedPidFile|KeepalivedDumpDir|KeepalivedDumpFile|NotifyStateFile|NotifyLog|Since|ArpCount|ArpWaitMs)
        printf -v "SSM_$name" '%s' "$value" ;;
      "") ;;
      *) fail "unknown parameter in NC_PARAMS" ;;
    esac
  done < <(printf '%s' "$NC_PARAMS" | base64 -d 2>/dev/null)
fi
# --- NodeParams (a command sent to many nodes at once): this node's lines set its parameters
if [ -n "${SSM_NodeParams:-}" ]; then
  [[ "$SSM_NodeParams" =~ $P_NodeParams ]] || fail "parameter NodeParams does not match $P_NodeParams"
  [ "${#SSM_NodeParams}" -le 8192 ] || fail "parameter NodeParams is longer than 8192 characters"
  [ -n "${AWS_SSM_INSTANCE_ID:-}" ] || fail "parameter NodeParams needs AWS_SSM_INSTANCE_ID (the SSM agent sets it)"
  found=0
  while read -r node pair || [ -n "$node" ]; do # (the last line has no newline)
    [ "$node" = "$AWS_SSM_INSTANCE_ID" ] || continue
    found=1
    name="${pair%%=*}"
    case "$name" in
      Vip|Interface|MysqlPort|KeepalivedPidFile|KeepalivedDumpDir|KeepalivedDumpFile|NotifyStateFile|NotifyLog|Since|ArpCount|ArpWaitMs)
        printf -v "SSM_$name" '%s' "${pair#*=}" ;;
      *) fail "unknown parameter in NodeParams" ;;
    esac
  done < <(printf '%s' "$SSM_NodeParams" | base64 -d 2>/dev/null)
  [ "$found" = 1 ] || fail "parameter NodeParams has no line for this node"
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
param KA_DUMPFILE KeepalivedDumpFile ""
param NOTIFY_STATE NotifyStateFile ""
param NOTIFY_LOG NotifyLog ""
param SINCE Since 0
param ARP_COUNT ArpCount 3
param ARP_WAIT_MS ArpWaitMs 20
printf -v ARP_WAIT_S '%d.%03d' $((ARP_WAIT_MS / 1000)) $((ARP_WAIT_MS % 1000))
ARP_RUN_MS=$(( ARP_WAIT_MS * ARP_COUNT + 200 ))
printf -v ARP_RUN_S '%d.%03d' $((ARP_RUN_MS / 1000)) $((ARP_RUN_MS % 1000))
ARP_DEADLINE_S=$(( ARP_RUN_MS / 1000 + 2 ))
[ -n "$VIP" ] || fail "parameter Vip is required"
for part in ${VIP//./ }; do [ "$part" -le 255 ] || fail "parameter Vip is not an IPv4 address"; done
[ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || fail "parameter MysqlPort is out of range"

# Speed matters (the probe waits for the slowest node): arping, which spends most of the run waiting
# for replies, runs in the background while the rest is read; the rest starts as few processes as it
# can (bash builtins and parameter expansion instead of tr/sed/cut/cat/date/hostname).
ERRORS=()
# safe TEXT CHARS [MAX]: TEXT with only the characters of the bracket set CHARS, cut to MAX (64);
# clean VAR TEXT CHARS [MAX] sets VAR to the same without a subshell
clean() {
  local v="${2//[^$3]/}"
  printf -v "$1" '%s' "${v:0:${4:-64}}"
}
safe() {
  local out
  clean out "$@"
  printf '%s' "$out"
}
note_error() {
  local e
  clean e "$1" 'A-Za-z0-9 _.,:/()=-' 160
  ERRORS+=("$e")
}
# trusted FILE: true when FILE can have been written only by root (or by the user running this check):
# not a symbolic link, owned by root or by us, not writable by group or others, in a directory others
# cannot rename files in (not writable by group or others, or sticky like /tmp). Else false, with an
# UNTRUSTED entry naming the file and why: a local user's file never decides keepalived's state (keepalived
# before 2.0.9 wrote its dump with a plain fopen: CVE-2018-19044/19045/19046). A missing file is for the
# caller to judge. stat is GNU coreutils' (%u owner uid, %a octal mode).
UNTRUSTED=()
untrust() {
  local f r
  clean f "$1" 'A-Za-z0-9_./-' 256
  clean r "$2" 'A-Za-z0-9 _.,()-' 100
  UNTRUSTED+=("{\"file\":\"$f\",\"reason\":\"$r\"}")
}
trusted() {
  local f="$1" st dir
  [ -L "$f" ] && { untrust "$f" "is a symbolic link"; return 1; }
  [ -e "$f" ] || return 0
  st=$(stat -c '%u %a' -- "$f" 2>/dev/null) || { untrust "$f" "cannot be inspected"; return 1; }
  [ "${st% *}" = 0 ] || [ "${st% *}" = "$EUID" ] || { untrust "$f" "is owned by uid ${st% *}, not root"; return 1; }
  (( 8#${st#* } & 8#022 )) && { untrust "$f" "is writable by group or others (mode ${st#* })"; return 1; }
  dir="${f%/*}"
  st=$(stat -L -c '%u %a' -- "${dir:-/}" 2>/dev/null) || { untrust "$f" "its directory cannot be inspected"; return 1; }
  if (( 8#${st#* } & 8#022 )) && ! (( 8#${st#* } & 8#1000 )); then
    untrust "$f" "is in a directory others may write (mode ${st#* }, not sticky)"
    return 1
  fi
  return 0
}
exec {PAUSE_FD}<> <(:) # a pipe nobody writes to: `read -t` on it pauses without starting `sleep`
pause() { read -r -t "$1" -u "$PAUSE_FD" _; }

# --- VIP binding
VIP_IFACE=""
VIP_PREFIX=null
# Without the address list nothing can be said about the VIP here: a failed check, never "not bound".
addrs=$(ip -o -4 addr show 2>&1) || fail "ip addr show failed: ${addrs:0:120}"
while read -r _ dev _ addr _; do
  if [ "${addr%/*}" = "$VIP" ]; then
    VIP_IFACE="$dev"
    [[ "${addr#*/}" =~ ^[0-9]{1,2}$ ]] && VIP_PREFIX="${addr#*/}"
    break
  fi
done <<< "$addrs"
if [ -n "$IFACE" ] && [ -n "$VIP_IFACE" ] && [ "$VIP_IFACE" != "$IFACE" ]; then
  note_error "VIP bound on $VIP_IFACE, not on the configured interface $IFACE"
fi
ARP_IFACE="${VIP_IFACE:-$IFACE}"
if [ -z "$ARP_IFACE" ]; then
  route=$(ip -o route get "$VIP" 2>/dev/null)
  [[ "$route" =~ \ dev\ ([^ ]+) ]] && ARP_IFACE="${BASH_REMATCH[1]}"
fi
clean ARP_IFACE "$ARP_IFACE" 'A-Za-z0-9_.-' 15
MAC=""
if [ -n "$ARP_IFACE" ] && [ -r "$SYSFS/class/net/$ARP_IFACE/address" ]; then
  read -r MAC < "$SYSFS/class/net/$ARP_IFACE/address"
  clean MAC "$MAC" '0-9a-f:' 17
fi
# The link under the VIP: a VIP on a down interface serves nobody. operstate "unknown" (lo, dummy, some
# virtual NICs) says nothing either way.
LINK="unknown"
if [ -n "$VIP_IFACE" ] && [ -r "$SYSFS/class/net/$VIP_IFACE/operstate" ]; then
  read -r op < "$SYSFS/class/net/$VIP_IFACE/operstate"
  case "$op" in up) LINK="up" ;; down|lowerlayerdown|notpresent) LINK="down" ;; esac
fi

# --- ARP: who answers for the VIP, from here (started now, read at the end)
ARP_TOOL="none"
ARP_EXIT=null # arping's exit status; null when its summary was read and its exit not waited for
ARP_SENT=null # requests arping says it sent (its summary line); null: no summary, the run failed
ARP_FD=""
REPLIES=()
if [ "$ARP_COUNT" = 0 ]; then
  ARP_TOOL="skipped"
elif command -v arping >/dev/null 2>&1; then
  help=$(arping --help 2>&1)
  if [[ "$help" == *Habets* ]]; then ARP_TOOL="habets"
  elif [[ "$(arping -V 2>&1)" == *iputils* ]]; then ARP_TOOL="iputils"
  else ARP_TOOL="unknown"; fi
fi
if [ "$ARP_TOOL" = "skipped" ]; then
  : # not asked for (ArpCount 0)
elif [ -z "$ARP_IFACE" ]; then
  note_error "no interface to send ARP requests from"
elif [ "$ARP_TOOL" = "habets" ]; then
  # Thomas Habets' arping: -W is how long each request waits for replies, -w a cap on the whole run
  exec {ARP_FD}< <(exec 2>&1; timeout "$ARP_DEADLINE_S" arping -c "$ARP_COUNT" -W "$ARP_WAIT_S" -w "$ARP_RUN_S" -i "$ARP_IFACE" "$VIP"; echo "arping-exit=$?")
elif [ "$ARP_TOOL" = "iputils" ]; then
  # iputils arping: -w is a deadline for the whole run, in seconds (its -D would be duplicate address detection)
  exec {ARP_FD}< <(exec 2>&1; timeout "$ARP_DEADLINE_S" arping -c "$ARP_COUNT" -w "$(( ARP_RUN_MS / 1000 + 1 ))" -I "$ARP_IFACE" "$VIP"; echo "arping-exit=$?")
else
  note_error "arping is not installed or not recognised"
fi

# --- keepalived
KA_PID=""
if [ -r "$KA_PIDFILE" ] && trusted "$KA_PIDFILE"; then
  read -r p < "$KA_PIDFILE"
  p="${p//[^0-9]/}"
  comm=""
  [ -n "$p" ] && [ -r "/proc/$p/comm" ] && read -r comm < "/proc/$p/comm"
  [ "$comm" = "keepalived" ] && KA_PID="$p"
fi
KA_RUNNING=false
[ -n "$KA_PID" ] && KA_RUNNING=true
KA_SOURCE="none"
INSTANCES=()
# Prints "name state priority last-transition vrid vips base-priority advert-ms preempt auth peers" per
# VRRP instance of a DATA dump ("-" for what the dump does not say; vips and peers comma-separated).
# Exits 0 when the VRRP Topology section is complete (the next section has begun: keepalived 2.x), 4
# when the dump ends with that section (keepalived 1.3.x writes only it: complete once the file stops
# changing), 3 when there is no topology at all yet.
parse_dump() {
  awk '
    function d(x) { return x == "" ? "-" : x }
    function out() { if (n) print n, s, p, t, d(r), d(v), d(bp), d(ad), d(pr), d(au), d(pe); n="" }
    /^ VRRP Instance = / { out(); n=$4; s=""; p=""; t=""; r=""; v=""; bp=""; ad=""; pr=""; au=""; pe=""; inv=0; inp=0; next }
    n && /^   [A-Za-z]/ { inv=0; inp=0 }
    n && /^   State = / && s=="" { s=$3 }
    n && /^   Effective priority = / { p=$4 }
    n && /^   Priority = / { bp=$3; if (p=="") p=$3 }
    n && /^   Last transition = / { t=$4 }
    n && /^   Virtual Router ID = / { r=$5 }
    n && /^   Advert interval = / { ad=($5 == "sec" ? $4 * 1000 : $4) }
    n && /^   Preempt = / { pr=$3 }
    n && /^   Authentication type = / { au=$4 }
    # an instance addresses, in every layout of the keepalived vrrp_data.c dump: "Virtual IP = N" (1.3, 2.0),
    # "Virtual IP :" (2.1.0-2.2.4), "Virtual IP (N):" (2.2.5+); virtual_ipaddress_excluded too, added and
    # removed with the instance like its VIPs ("Virtual IP Excluded = N", then "Virtual IP Excluded :")
    n && /^   Virtual IP( Excluded)? (\(|= |:)/ { inv=1; next }
    n && /^   Unicast Peer/ { inp=1; next }
    n && inv && /^     [0-9A-Fa-f:]/ { a=$1; sub(/\/.*/, "", a); v=(v == "" ? a : v "," a) }
    n && inp && /^     [0-9]/ { pe=(pe == "" ? $1 : pe "," $1) }
    /^------< VRRP Topology/ { topo=1; next }
    /^------< / { out(); if (topo) done=1 }
    END { out(); exit(done ? 0 : (topo ? 4 : 3)) }' "$1"
}
if [ -n "$KA_PID" ]; then
  dump="${KA_DUMPFILE:-$KA_DUMPDIR/keepalived.data}"
  before=$(stat -c %y "$dump" 2>/dev/null || echo 0)
  sig=$(keepalived --signum=DATA 2>/dev/null)
  sig="${sig//[^0-9]/}"
  if [ -n "$sig" ] && kill -s "$sig" "$KA_PID" 2>/dev/null; then
    # wait (up to 1 s) for a new, complete dump: a new modification time (to the nanosecond) and
    # the VRRP Topology section followed by the next one (keepalived truncates, then writes)
    parsed=""
    last=""
    for _ in {1..100}; do
      pause 0.01
      now=$(stat -c %y/%s "$dump" 2>/dev/null || echo 0)
      [ "${now%/*}" != "$before" ] || continue
      trusted "$dump" || break
      parsed=$(parse_dump "$dump")
      rc=$?
      if [ "$rc" = 0 ]; then KA_SOURCE="data"; break; fi
      # keepalived 1.3.x: the topology is the last section; complete when unchanged over one poll
      if [ "$rc" = 4 ] && [ "$now" = "$last" ]; then KA_SOURCE="data"; break; fi
      last="$now"
    done
    if [ "$KA_SOURCE" = "data" ]; then
      while read -r name state prio last vrid vips base advert preempt auth peers; do
        clean name "$name" 'A-Za-z0-9_.-'
        clean state "$state" 'A-Z'
        prio="${prio//[^0-9]/}"
        last="${last//[^0-9.]/}"
        vrid="${vrid//[^0-9]/}"
        base="${base//[^0-9]/}"
        advert="${advert//[^0-9]/}"
        clean vips "${vips#-}" '0-9A-Fa-f.:,' 400 # IPv4 and IPv6 addresses stay what they are
        clean peers "${peers#-}" '0-9.,' 400
        clean preempt "${preempt#-}" 'a-z' 10
        clean auth "${auth#-}" 'A-Za-z_' 20
        vips_json=""
        [ -z "$vips" ] || vips_json="\"${vips//,/\",\"}\""
        peers_json=""
        [ -z "$peers" ] || peers_json="\"${peers//,/\",\"}\""
        case "$preempt" in enabled) preempt_json=true ;; disabled) preempt_json=false ;; *) preempt_json=null ;; esac
        INSTANCES+=("{\"name\":\"$name\",\"state\":\"$state\",\"priority\":${prio:-null},\"lastTransition\":${last:-null},\"vrid\":${vrid:-null},\"vips\":[$vips_json],\"basePriority\":${base:-null},\"advertMs\":${advert:-null},\"preempt\":$preempt_json,\"auth\":\"$auth\",\"unicastPeers\":[$peers_json]}")
      done <<< "$parsed"
    elif [ "${#UNTRUSTED[@]}" = 0 ]; then
      note_error "keepalived did not write its DATA dump to $dump"
    fi
  else
    note_error "could not signal keepalived for a DATA dump"
  fi
fi
# configured files the notify script should write: unreadable is an error (a wrong path, a notify
# script not installed), never silence
[ -z "$NOTIFY_STATE" ] || [ -r "$NOTIFY_STATE" ] || note_error "notify state file $NOTIFY_STATE is not readable"
[ -z "$NOTIFY_LOG" ] || [ -r "$NOTIFY_LOG" ] || note_error "notify log $NOTIFY_LOG is not readable"
# what a local user could have written is not read at all (its entry in "untrusted" says which and why)
[ -z "$NOTIFY_STATE" ] || trusted "$NOTIFY_STATE" || NOTIFY_STATE=""
[ -z "$NOTIFY_LOG" ] || trusted "$NOTIFY_LOG" || NOTIFY_LOG=""
if [ "$KA_SOURCE" = "none" ] && [ -n "$NOTIFY_STATE" ] && [ -r "$NOTIFY_STATE" ] && [ "$KA_RUNNING" = true ]; then
  KA_SOURCE="notify"
  state=""
  read -r state < "$NOTIFY_STATE"
  INSTANCES+=("{\"name\":\"\",\"state\":\"$(safe "$state" 'A-Z')\",\"priority\":null,\"lastTransition\":null}")
fi
# keepalived's transition lines, as "<epoch> <instance> <STATE>": 2.x "(VI_1) Entering MASTER STATE",
# 1.3.x "VRRP_Instance(VI_1) Entering MASTER STATE" (and "VRRP_Instance(VI_1): Entering ..."), and the
# lower-case "(VI_1) entering FAULT state" of a reload or a missing source address.
journal_transitions() {
  sed -n 's/^\([0-9.]*\) .*(\([A-Za-z0-9_.-]*\)):\{0,1\} [Ee]ntering \([A-Za-z]*\) [Ss][Tt][Aa][Tt][Ee].*/\1 \2 \3/p'
}
TRANSITIONS=()
TRANS_SOURCE="none"
if [ -n "$NOTIFY_LOG" ] && [ -r "$NOTIFY_LOG" ]; then
  TRANS_SOURCE="notify-log"
  while read -r at name state prio; do
    clean name "$name" 'A-Za-z0-9_.-'
    clean state "${state^^}" 'A-Z'
    TRANSITIONS+=("{\"at\":$at,\"instance\":\"$name\",\"state\":\"$state\",\"priority\":${prio:-null}}")
  done < <(awk -v since="$SINCE" '
    $1 ~ /^[0-9]+(\.[0-9]+)?$/ && $1 > since { last[n++ % 20] = $1 " " $3 " " $4 " " ($5 ~ /^[0-9]+$/ ? $5 : "null") }
    END { for (i = (n > 20 ? n - 20 : 0); i < n; i++) print last[i % 20] }' "$NOTIFY_LOG")
elif command -v journalctl >/dev/null 2>&1 && [ "$SINCE" -gt 0 ]; then
  # a journal that cannot be read is an error, not "no transitions"
  if journal=$(timeout 3 journalctl -q -u keepalived --since "@$SINCE" -o short-unixtime 2>&1); then
    TRANS_SOURCE="journal"
    while read -r at name state; do
      clean name "$name" 'A-Za-z0-9_.-'
      clean state "${state^^}" 'A-Z'
      TRANSITIONS+=("{\"at\":$at,\"instance\":\"$name\",\"state\":\"$state\",\"priority\":null}")
    done < <(printf '%s\n' "$journal" | journal_transitions | tail -n 20)
  else
    note_error "journalctl could not read keepalived's log: ${journal:0:100}"
  fi
fi

# --- mysqld: a process listening on the MySQL port in this network namespace
MYSQL_LISTENING=false
MYSQL_PROC=""
MYSQL_PID=null
ADDRESSES=()
# ss older than iproute2 4.7 has no -H: then the header line is dropped here. ss that cannot run at all
# is an error in the report and "listening" unknown, never an empty list read as "nobody listens".
if listeners=$(ss -Hltnp "sport = :$PORT" 2>/dev/null); then :
elif listeners=$(ss -ltnp "sport = :$PORT" 2>/dev/null); then listeners=$(printf '%s\n' "$listeners" | sed '/^State/d;/^Recv-Q/d')
else listeners="-"; fi
if [ "$listeners" = "-" ]; then
  MYSQL_LISTENING=null
  note_error "ss could not list the sockets listening on port $PORT"
else
  while read -r _ _ _ local _ users; do
    [ -n "$local" ] || continue
    MYSQL_LISTENING=true
    clean addr "$local" '0-9A-Fa-f.:[]*%' 64
    ADDRESSES+=("\"$addr\"")
    if [ -z "$MYSQL_PROC" ] && [[ "$users" =~ users:\(\(\"([^\"]*)\",pid=([0-9]+) ]]; then
      MYSQL_PID="${BASH_REMATCH[2]}"
      clean MYSQL_PROC "${BASH_REMATCH[1]}" 'A-Za-z0-9_.-'
    fi
  done <<< "$listeners"
fi

# --- ARP replies: collect what arping saw. Its summary line ends the reading: closing its packet
# socket takes the kernel some 40 ms, which nobody needs to wait for.
if [ -n "$ARP_FD" ]; then
  declare -A seen=()
  first=""
  while IFS= read -r l; do
    [ -n "$first" ] || first="$l"
    case "$l" in
      arping-exit=*) ARP_EXIT="${l#arping-exit=}" ;;
      *" packets transmitted, "*" packets received"* | "Received "*" response"*)
        # Habets: "N packets transmitted, M packets received, ..."; iputils: "Sent N probes" then this
        [ "$ARP_TOOL" = "habets" ] && ARP_SENT="${l%% packets transmitted*}"
        break ;;
      "Sent "*" probe"*) ARP_SENT="${l#Sent }"; ARP_SENT="${ARP_SENT%% *}" ;;
      *)
        m=""
        if [ "$ARP_TOOL" = "habets" ]; then
          [[ "$l" =~ bytes\ from\ ([0-9a-fA-F:]{17})\  ]] && m="${BASH_REMATCH[1],,}"
        elif [[ "$l" =~ reply\ from\ [0-9.]+\ \[([0-9a-fA-F:]{17})\] ]]; then
          m="${BASH_REMATCH[1],,}"
        fi
        [ -z "$m" ] || [ -n "${seen[$m]+x}" ] || { seen[$m]=1; REPLIES+=("$m"); } ;;
    esac
  done <&"$ARP_FD"
  exec {ARP_FD}<&-
  [[ "$ARP_EXIT" =~ ^[0-9]+$ ]] || ARP_EXIT=null
  [[ "$ARP_SENT" =~ ^[0-9]+$ ]] || ARP_SENT=null
  if [ "$ARP_SENT" = null ] || [ "$ARP_SENT" -eq 0 ]; then
    note_error "arping sent no ARP request (exit ${ARP_EXIT}): ${first:0:100}"
  fi
fi

join() { local IFS=","; printf '%s' "$*"; }
replies_json=""
for m in "${REPLIES[@]+"${REPLIES[@]}"}"; do replies_json+="${replies_json:+,}\"$m\""; done
errors_json=""
for e in "${ERRORS[@]+"${ERRORS[@]}"}"; do errors_json+="${errors_json:+,}\"$e\""; done
printf -v EPOCH '%(%s)T' -1
TZ=UTC0 printf -v NOW '%(%Y-%m-%dT%H:%M:%SZ)T' "$EPOCH"
BOUND=false
[ -n "$VIP_IFACE" ] && BOUND=true
printf '{"v":1,"script":"%s","host":"%s","time":"%s","epoch":%s,' \
  "$SCRIPT_VERSION" "$(safe "${HOSTNAME:-}" 'A-Za-z0-9_.-')" "$NOW" "$EPOCH"
printf '"vip":{"address":"%s","bound":%s,"interface":"%s","mac":"%s","link":"%s","prefix":%s},' \
  "$VIP" "$BOUND" "$ARP_IFACE" "$MAC" "$LINK" "$VIP_PREFIX"
printf '"arp":{"tool":"%s","exit":%s,"count":%s,"sent":%s,"replies":[%s]},' "$ARP_TOOL" "$ARP_EXIT" "$ARP_COUNT" "$ARP_SENT" "$replies_json"
printf '"keepalived":{"running":%s,"pid":%s,"source":"%s","instances":[%s],"transitionsSource":"%s","since":%s,"transitions":[%s]},' \
  "$KA_RUNNING" "${KA_PID:-null}" "$KA_SOURCE" "$(join "${INSTANCES[@]+"${INSTANCES[@]}"}")" "$TRANS_SOURCE" "$SINCE" \
  "$(join "${TRANSITIONS[@]+"${TRANSITIONS[@]}"}")"
printf '"mysqld":{"port":%s,"listening":%s,"addresses":[%s],"process":"%s","pid":%s},' "$PORT" "$MYSQL_LISTENING" "$(join "${ADDRESSES[@]+"${ADDRESSES[@]}"}")" "$MYSQL_PROC" "$MYSQL_PID"
printf '"untrusted":[%s],' "$(join "${UNTRUSTED[@]+"${UNTRUSTED[@]}"}")"
printf '"errors":[%s]}\n' "$errors_json"
exit 0
