/**
 * `doctor`: every prerequisite of a monitored pair, checked from one real probe through the configured
 * runners, one line each with what to fix. Pure: it reads the probe's raw observations and findings.
 */

import { CATALOG } from "./domain/codes.ts";
import { unreadableSchemas } from "./domain/consistency/grants.ts";
import type { NodeReport } from "./domain/node.ts";
import { reachableListener } from "./domain/rules/node-views.ts";
import { channelFromPeer } from "./domain/rules/replication.ts";
import type { Assessment } from "./domain/state.ts";
import { NODE_IDS, type NodeId } from "./domain/types.ts";
import type { Observed, ProbeTarget } from "./pipeline.ts";

export interface Check {
  /** What is checked, e.g. "node A: keepalived's DATA dump". */
  what: string;
  ok: boolean;
  /** What was seen. */
  detail: string;
  /** What to do, when it failed. */
  fix?: string;
}

export interface DoctorInput {
  target: ProbeTarget;
  observed: Observed;
  assessment: Assessment;
  /** The configured users, for the GRANTs in the fixes. */
  monitorUser: string;
  heartbeatUser?: string;
  heartbeatTable?: string;
}

const KIT = "node-kit";
const N = (id: NodeId) => `node ${id.toUpperCase()}`;

export function doctorChecks(i: DoctorInput): Check[] {
  return [
    ...NODE_IDS.flatMap((id) => nodeCheckChecks(i, id)),
    ...NODE_IDS.flatMap((id) => sqlChecks(i, id)),
    ...NODE_IDS.flatMap((id) => replicationChecks(i, id)),
    ...keepalivedPairChecks(i),
    ...vipChecks(i),
    ...heartbeatChecks(i),
    ...ec2Checks(i),
  ];
}

const EC2_FIX: Record<string, string> = {
  denied:
    "allow the prober's role ec2:DescribeNetworkInterfaces (secondary-ip) or ec2:DescribeRouteTables (route-table) on * (the construct adds it when ec2 is on)",
  throttled: "the EC2 API throttles this account: probe less often, or ask AWS for a higher EC2 API rate",
  timeout:
    "the EC2 API did not answer in time: check the route to it (a VPC interface endpoint for ec2, createVpcEndpoints, when the subnets have no NAT)",
  other: "read the error; check ec2.routeTableIds and the region (ec2.region)",
};

/**
 * The consistency check's grants (a cluster with `compare.schemas`): SELECT on each schema, on each node;
 * `grants` is each node's `SHOW GRANTS` for the monitoring user, or the error that kept it unread.
 */
export function compareGrantChecks(
  grants: Record<NodeId, string[] | Error>,
  schemas: readonly string[],
  user: string,
): Check[] {
  return NODE_IDS.map((id) => {
    const what = `${N(id)}: ${user} may read ${schemas.join(", ")} (compare)`;
    const g = grants[id];
    if (g instanceof Error)
      return { what, ok: false, detail: `SHOW GRANTS failed: ${g.message}`, fix: "see the SQL checks above" };
    const missing = unreadableSchemas(g, schemas);
    return missing.length === 0
      ? { what, ok: true, detail: "SELECT granted" }
      : {
          what,
          ok: false,
          detail: `no SELECT on ${missing.join(", ")}`,
          fix: `run ${KIT}/sql/compare.sql on ${N(id)} once per schema (COMPARE_SCHEMA=${missing.join(", ")}): GRANT SELECT ON \`<schema>\`.* TO the monitoring user, nothing on *.*`,
        };
  });
}

/** The EC2 view (when on): the call answers, and EC2 routes the VIP where the other views put it. */
function ec2Checks(i: DoctorInput): Check[] {
  const o = i.observed.ec2;
  if (!i.target.ec2 || !o) return [];
  const api: Check = o.ok
    ? { what: `EC2 view (${o.mode}): the EC2 API answers`, ok: true, detail: `in ${o.durationMs} ms` }
    : {
        what: `EC2 view (${o.mode}): the EC2 API answers`,
        ok: false,
        detail: `${o.errorClass}: ${o.error}`,
        fix: EC2_FIX[o.errorClass] ?? EC2_FIX.other,
      };
  if (!o.ok) return [api];
  const wrong = i.assessment.findings.filter(
    (f) => f.code.startsWith("EC2_") && f.code !== "EC2_VIEW_FAILED",
  );
  const routed = i.assessment.ec2?.routedTo ?? [];
  return [
    api,
    {
      what: `EC2 view (${o.mode}): the VIP routed to its holder`,
      ok: wrong.length === 0,
      detail: wrong.length
        ? wrong.map((f) => f.message).join(" ")
        : `routed to ${routed.map((r) => (r === "a" || r === "b" ? N(r) : r)).join(", ") || "nobody"}`,
      ...(wrong.length ? { fix: [...new Set(wrong.map((f) => CATALOG[f.code].action))].join(" ") } : {}),
    },
  ];
}

const PAIR_CODES = new Set([
  "KEEPALIVED_PREEMPT_ON",
  "KEEPALIVED_PAIR_MISMATCH",
  "KEEPALIVED_EQUAL_PRIORITIES",
]);

/** The seed design's keepalived rules, from both nodes' dumps (the same findings every probe gives). */
function keepalivedPairChecks(i: DoctorInput): Check[] {
  if (
    !NODE_IDS.every((id) => {
      const r = i.observed.nodes[id];
      return r.ok && r.report.keepalived.source === "data";
    })
  )
    return [];
  const broken = i.assessment.findings.filter((f) => PAIR_CODES.has(f.code));
  return [
    {
      what: "keepalived pair rules (nopreempt on both, same virtual_router_id, advert_int, authentication and VIP, distinct priorities)",
      ok: broken.length === 0,
      detail: broken.length ? broken.map((f) => f.message).join(" ") : "all hold",
      ...(broken.length ? { fix: [...new Set(broken.map((f) => CATALOG[f.code].action))].join(" ") } : {}),
    },
  ];
}

function nodeCheckChecks(i: DoctorInput, id: NodeId): Check[] {
  const r = i.observed.nodes[id];
  const cfg = i.target.nodes[id].nodeCheck;
  if (!r.ok) {
    const fixes: Record<string, string> = {
      undeliverable:
        "start the SSM agent on the node and check it is a registered managed node (`aws ssm describe-instance-information`)",
      "access-denied":
        "allow ssm:SendCommand on the node-check document and this instance for the prober's role",
      timeout:
        "check the node is up and the agent responsive; the node check must finish within the probe's deadline",
      "script-error": /ip addr/.test(r.detail)
        ? "install iproute2 on the node (the check needs `ip` and `ss`)"
        : /parameter Vip is required/.test(r.detail)
          ? "the parameters did not reach the script: update the SSM agent to 3.3.2746 or later (the document passes them as environment variables, interpolationType ENV_VAR)"
          : "see the detail: the node check itself could not run",
      "runner-error": "check the runner settings (instance id, SSH host and key, namespace)",
    };
    return [
      {
        what: `${N(id)}: the node check runs`,
        ok: false,
        detail: `${r.reason}: ${r.detail}`,
        fix: fixes[r.reason] ?? "check bash and the runner on the node; the detail says what failed",
      },
    ];
  }
  const rep = r.report;
  const errors = rep.errors.join("; ");
  return [
    { what: `${N(id)}: the node check runs`, ok: true, detail: `script ${rep.script} on ${rep.host}` },
    // on EC2 the VPC, not ARP, routes the VIP: no arping is asked for (the EC2 view's check stands instead)
    ...(rep.arp.tool === "skipped" ? [] : [arpingCheck(id, rep)]),
    {
      what: `${N(id)}: keepalived runs (pid file)`,
      ok: rep.keepalived.running,
      detail: rep.keepalived.running
        ? `pid ${rep.keepalived.pid}`
        : `no keepalived process at the pid in ${cfg.KeepalivedPidFile ?? "/run/keepalived.pid"}`,
      ...(rep.keepalived.running
        ? {}
        : {
            fix: "start keepalived, or set nodeCheck.keepalivedPidFile to the pid file it writes (`keepalived -p`)",
          }),
    },
    ...(rep.keepalived.running
      ? [
          {
            what: `${N(id)}: keepalived's DATA dump (its TMPDIR)`,
            ok: rep.keepalived.source === "data",
            detail:
              rep.keepalived.source === "data"
                ? `${rep.keepalived.instances.length} VRRP instance(s) read`
                : /DATA dump/.test(errors)
                  ? (rep.errors.find((e) => /DATA dump/.test(e)) ?? errors)
                  : "no DATA dump read",
            ...(rep.keepalived.source === "data"
              ? {}
              : {
                  fix: `set nodeCheck.keepalivedDumpDir to keepalived's TMPDIR (it is ${cfg.KeepalivedDumpDir ?? "/tmp"} now; with systemd's PrivateTmp=true the dump is under /tmp/systemd-private-*-keepalived.service-*/tmp), or set state_dump_file in global_defs and nodeCheck.keepalivedDumpFile to it`,
                }),
          },
        ]
      : []),
    notifyCheck(id, rep, cfg.NotifyStateFile, cfg.NotifyLog),
    {
      what: `${N(id)}: mysqld listens where the VIP and the peer reach it`,
      ok: reachableListener(rep) === true,
      detail:
        rep.mysqld.listening === null
          ? "unknown: ss could not run"
          : rep.mysqld.listening
            ? `on ${rep.mysqld.addresses.join(", ")}`
            : `nothing on port ${rep.mysqld.port}`,
      ...(reachableListener(rep) === true
        ? {}
        : {
            fix: "start mysqld; bind-address must be 0.0.0.0 (the VIP moves between nodes); `ss` must be installed (iproute2)",
          }),
    },
  ];
}

function arpingCheck(id: NodeId, rep: NodeReport): Check {
  const ok = (rep.arp.tool === "habets" || rep.arp.tool === "iputils") && (rep.arp.sent ?? 0) > 0;
  return {
    what: `${N(id)}: arping`,
    ok,
    detail:
      rep.arp.tool === "none"
        ? "not installed"
        : rep.arp.tool === "unknown"
          ? "an arping the check does not know"
          : `${rep.arp.tool}, ${rep.arp.sent ?? 0} request(s) sent`,
    ...(ok
      ? {}
      : {
          fix:
            rep.arp.tool === "none" || rep.arp.tool === "unknown"
              ? "install arping on the node (Debian/Ubuntu: `apt install arping`, Thomas Habets' arping; RHEL: `dnf install iputils`)"
              : "arping could not send: check the VIP's interface (nodeCheck.interface) and that the check runs as root",
        }),
  };
}

function notifyCheck(id: NodeId, rep: NodeReport, stateFile?: string, log?: string): Check {
  const unreadable = rep.errors.filter((e) => /^notify (state file|log) /.test(e));
  const source = rep.keepalived.transitionsSource;
  const ok = unreadable.length === 0 && source !== "none";
  return {
    what: `${N(id)}: keepalived's transitions between probes (notify script)`,
    ok,
    detail: unreadable.length
      ? unreadable.join("; ")
      : source === "none"
        ? "no notify log configured and no journal: a flap between two probes would be invisible"
        : `from the ${source === "notify-log" ? `notify log ${log ?? ""}` : "journal"}${stateFile ? `, state file ${stateFile}` : ""}`,
    ...(ok
      ? {}
      : {
          fix: `install ${KIT}/notify.sh as keepalived's notify script (notify "/etc/keepalived/mysql-ha-prober-notify.sh", STATE_DIR in notify.conf) and set nodeCheck.notifyStateFile and nodeCheck.notifyLog to <STATE_DIR>/state and <STATE_DIR>/transitions.log`,
        }),
  };
}

function grantFor(user: string, flavor: "mariadb" | "mysql" | null): string {
  const maria = `GRANT SLAVE MONITOR, BINLOG MONITOR ON *.* TO '${user}'@'<prober's host>'`;
  const mysql = `GRANT REPLICATION CLIENT ON *.* TO '${user}'@'<prober's host>'`;
  return flavor === "mariadb" ? maria : flavor === "mysql" ? mysql : `${maria} (MariaDB) or ${mysql} (MySQL)`;
}

/** The classes with a finding of their own: the fix is that finding's action (one text, not two). */
const FINDING_OF_CLASS: Record<string, string> = {
  tls: "MYSQL_TLS_FAILED",
  too_many_connections: "MYSQL_TOO_MANY_CONNECTIONS",
  server_limit: "MYSQL_SERVER_LIMIT",
  server_error: "MYSQL_QUERY_FAILED",
};

/** The server refused the login: what it said decides the fix (an account locked is not a wrong password). */
function authFix(message: string, user: string): string {
  const who = `'${user}'@'<prober's host>'`;
  if (/account is locked|has been locked/i.test(message))
    return `unlock the account: ALTER USER ${who} ACCOUNT UNLOCK`;
  if (/consecutive failed logins/i.test(message))
    return `the account is blocked after failed logins (a wrong password somewhere): fix the password the prober uses, then ALTER USER ${who} ACCOUNT UNLOCK`;
  if (/too many credential errors/i.test(message))
    return "the user is blocked after failed logins (max_password_errors): fix the password the prober uses, then FLUSH PRIVILEGES";
  if (/password has expired/i.test(message))
    return `the password expired: ALTER USER ${who} IDENTIFIED BY '...' PASSWORD EXPIRE NEVER, and the same password in the prober's secret`;
  return `create the user and its password on the node (${KIT}/sql/), with a host part that matches the prober's address`;
}

function sqlChecks(i: DoctorInput, id: NodeId): Check[] {
  const o = i.observed.sql[id];
  const what = `${N(id)}: the monitoring user '${i.monitorUser}' reads replication status`;
  if (o.server) return [{ what, ok: true, detail: `${o.server.version}, server_id ${o.server.serverId}` }];
  const e = o.error;
  const fix =
    e?.class === "auth"
      ? authFix(e.message, i.monitorUser)
      : e && e.class in FINDING_OF_CLASS
        ? CATALOG[FINDING_OF_CLASS[e.class] as keyof typeof CATALOG].action
        : e?.class === "privilege"
          ? `${grantFor(i.monitorUser, null)}; then check again`
          : e && ["refused", "timeout", "unreachable", "lost"].includes(e.class)
            ? "start mysqld, and check the network path and security groups from the prober to the node's MySQL port"
            : "see the detail";
  return [
    { what, ok: false, detail: `${e?.class ?? "?"} during ${e?.during ?? "?"}: ${e?.message ?? ""}`, fix },
  ];
}

function replicationChecks(i: DoctorInput, id: NodeId): Check[] {
  const s = i.observed.sql[id].server;
  if (!s) return [];
  const peer: NodeId = id === "a" ? "b" : "a";
  const what = `replication ${peer.toUpperCase()}→${id.toUpperCase()} (read on ${N(id)})`;
  const c = channelFromPeer(s, i.target.nodes[peer], i.observed.sql[peer].server);
  const maria = s.flavor.vendor === "mariadb";
  // the node replicates, but from an address the configuration does not give the peer: the configuration
  // is what disagrees with the servers, never a reason to re-point working replication
  const sources = s.replication.map((r) => `${r.sourceHost}:${r.sourcePort ?? "?"}`);
  if (!c && sources.length > 0)
    return [
      {
        what,
        ok: false,
        detail: `${N(id)} replicates from ${sources.join(", ")}, which is not ${N(peer)}'s configured address ${i.target.nodes[peer].host}:${i.target.nodes[peer].port}`,
        fix: `check nodes.${peer}.host (and port) in the configuration against the address ${N(id)} replicates from; change nothing on the servers for this`,
      },
    ];
  if (!c)
    return [
      {
        what,
        ok: false,
        detail: `no channel from ${i.target.nodes[peer].host}`,
        fix: maria
          ? `on ${N(id)}: CHANGE MASTER TO master_host='${i.target.nodes[peer].host}', master_user=..., master_password=..., master_use_gtid=slave_pos; START SLAVE`
          : `on ${N(id)}: CHANGE REPLICATION SOURCE TO SOURCE_HOST='${i.target.nodes[peer].host}', SOURCE_USER=..., SOURCE_PASSWORD=..., SOURCE_AUTO_POSITION=1; START REPLICA`,
      },
    ];
  const running = c.ioRunning === true && c.sqlRunning === true;
  const start = maria ? "START SLAVE" : "START REPLICA";
  return [
    {
      what: `${what}: running`,
      ok: running,
      detail: `IO ${c.ioState}, SQL ${c.sqlRunning ? "Yes" : "No"}${c.lastIoError ? `, IO error ${c.lastIoErrno}: ${c.lastIoError}` : ""}${c.lastSqlError ? `, SQL error ${c.lastSqlErrno}: ${c.lastSqlError}` : ""}`,
      ...(running
        ? {}
        : {
            fix: c.lastSqlErrno
              ? `on ${N(id)}: the SQL thread stopped on an error: compare the nodes' data, fix the cause, then ${start}`
              : c.lastIoErrno
                ? `on ${N(id)}: the IO thread cannot connect to ${c.sourceHost}: check the replication user and the network, then ${start}`
                : `on ${N(id)}: ${start}`,
          }),
    },
    {
      what: `${what}: GTID auto-positioning`,
      ok: c.gtidAutoPosition,
      detail: c.gtidAutoPosition ? "on" : "off",
      ...(c.gtidAutoPosition
        ? {}
        : {
            fix: maria
              ? `on ${N(id)}: STOP SLAVE; CHANGE MASTER TO master_use_gtid=slave_pos; START SLAVE`
              : `on ${N(id)}: STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION=1; START REPLICA`,
          }),
    },
  ];
}

function vipChecks(i: DoctorInput): Check[] {
  const o = i.observed.sql.vip;
  const owner = i.assessment.vipOwner;
  const ok = Boolean(o.server) && (owner === "a" || owner === "b");
  return [
    {
      what: `the VIP ${i.target.vip.host} answers SQL on one node`,
      ok,
      detail: o.server
        ? `landed on node ${String(owner ?? "?").toUpperCase()}`
        : `${o.error?.class}: ${o.error?.message}`,
      ...(ok
        ? {}
        : {
            fix: "check keepalived holds the VIP on exactly one node (`ip addr`), and the path from the prober to it",
          }),
    },
  ];
}

function heartbeatChecks(i: DoctorInput): Check[] {
  const hb = i.observed.heartbeat;
  if (!hb) return [];
  const table = i.heartbeatTable ?? "mysql_ha_prober.heartbeat";
  const user = i.heartbeatUser ?? "?";
  const writeFix = /doesn't exist|1146/i.test(hb.error?.message ?? "")
    ? `create the heartbeat table (${KIT}/sql/: CREATE DATABASE mysql_ha_prober; CREATE TABLE ${table} ...)`
    : /denied|1142|1143|1045/i.test(hb.error?.message ?? "")
      ? `create the heartbeat user and GRANT SELECT, UPDATE ON ${table} TO '${user}'@'<prober's host>' (${KIT}/sql/)`
      : "the holder refuses writes: check read_only, locks and the disk (see HOLDER_WRITES_FAILED)";
  const missing = NODE_IDS.filter((id) => i.observed.sql[id].server?.heartbeatRowMissing === true);
  // a node the monitoring user could not read at all did not read the row either
  const unreadable = NODE_IDS.filter(
    (id) =>
      !missing.includes(id) &&
      (!i.observed.sql[id].server ||
        i.observed.sql[id].server?.unknown.some((u) => u.field === "heartbeat row")),
  );
  const seed = `INSERT IGNORE INTO ${table} (id, written_at, server_id) VALUES (1, 0, 0)`;
  return [
    {
      what: `the heartbeat user '${user}' writes ${table} through the VIP`,
      ok: hb.ok && !hb.rowMissing,
      detail: hb.rowMissing
        ? "the server at the VIP has no heartbeat row (the prober never inserts it)"
        : hb.ok
          ? `written in ${hb.durationMs} ms`
          : `${hb.error?.class} during ${hb.error?.during}: ${hb.error?.message}`,
      ...(hb.rowMissing
        ? { fix: `on the VIP holder, with sql_log_bin=0: ${seed}` }
        : hb.ok
          ? {}
          : { fix: writeFix }),
    },
    {
      what: `the heartbeat row is on both nodes (seeded by the kit; the prober only updates it)`,
      ok: missing.length === 0,
      detail: missing.length ? `missing on ${missing.map(N).join(", ")}` : "on both",
      ...(missing.length
        ? { fix: `on ${missing.map(N).join(" and ")}, with sql_log_bin=0: ${seed} (${KIT}/sql/)` }
        : {}),
    },
    {
      what: `the monitoring user '${i.monitorUser}' reads ${table} on both nodes`,
      ok: unreadable.length === 0,
      detail: unreadable.length ? `unreadable on ${unreadable.map(N).join(", ")}` : "read on both",
      ...(unreadable.length
        ? {
            fix: `GRANT SELECT ON ${table} TO '${i.monitorUser}'@'<prober's host>' on ${unreadable.map(N).join(" and ")}`,
          }
        : {}),
    },
  ];
}

export function renderChecks(cluster: string, checks: Check[]): string {
  const failed = checks.filter((c) => !c.ok).length;
  return [
    `cluster ${cluster}: ${failed === 0 ? "every prerequisite holds" : `${failed} of ${checks.length} checks failed`}`,
    ...checks.map(
      (c) => `${c.ok ? "ok  " : "FAIL"} ${c.what}: ${c.detail}${c.fix ? `\n     fix: ${c.fix}` : ""}`,
    ),
  ].join("\n");
}
