/**
 * The alert mail: subject, text and HTML, pure. Every value that came from a server is escaped in the
 * HTML. No secret is ever part of a ClusterState, so none can appear here.
 */
import type { Alert } from "./alert.ts";
import type { Finding } from "./codes.ts";
import { CATALOG, type FindingCode } from "./codes.ts";
import { divergenceLines } from "./consistency/sweep.ts";
import { type Incident, openIncidents } from "./incidents.ts";
import { describeSilence } from "./silence.ts";
import type { ClusterState, Status } from "./state.ts";
import { NODE_IDS, type NodeId } from "./types.ts";

export const STATUS_LABEL: Record<Status, string> = {
  HEALTHY: "HEALTHY",
  DEGRADED: "DEGRADED",
  SPLIT_BRAIN: "*** SPLIT BRAIN ***",
  DOWN: "DOWN",
  UNKNOWN: "UNKNOWN",
};

export function subjectFor(
  cluster: string,
  kind: Alert["kind"],
  from: Status | null,
  to: Status,
  since: string,
  opened: readonly Incident[] = [],
  moves: readonly { from?: string | null; to?: string | null }[] = [],
): string {
  const failover = moves.length
    ? `FAILOVER${moves
        .filter((m) => m.from && m.to)
        .map((m) => ` ${String(m.from).toUpperCase()} -> ${String(m.to).toUpperCase()}`)
        .join(",")}`
    : null;
  if (kind === "incident") {
    const what = [
      ...new Set(
        opened.map(
          (i) =>
            `${i.code}${i.subject && i.subject !== "pair" ? ` on ${i.subject === "vip" ? "the VIP" : `node ${i.subject.toUpperCase()}`}` : ""}`,
        ),
      ),
    ];
    const parts = [failover, what.length ? `INCIDENT ${what.join(", ")}` : null].filter(Boolean);
    return `[mysql-ha] ${cluster}: ${parts.join(", ")} (status ${STATUS_LABEL[to]})`;
  }
  if (kind === "reminder") return `[mysql-ha] ${cluster}: still ${STATUS_LABEL[to]} (since ${since})`;
  return `[mysql-ha] ${cluster}: ${from ? STATUS_LABEL[from] : "first probe"} -> ${STATUS_LABEL[to]}${failover ? ` (${failover})` : ""}`;
}

/** What a mail names besides the state: where it runs and where to look (the function fills these). */
export interface MailContext {
  vip?: string;
  account?: string;
  region?: string;
  dashboardUrl?: string;
  logsUrl?: string;
}

/** Which node to keep after a split brain: the one whose own transactions grew during it. */
export function splitBrainAdvice(s: ClusterState): string[] {
  const sb = s.splitBrain;
  if (!sb) return [];
  const w = sb.writes;
  const took = NODE_IDS.filter((id) => w[id]);
  const own = (id: NodeId) =>
    sb.heartbeatOnly?.includes(id)
      ? "took no writes (its only new transactions were the prober's own heartbeats)"
      : "took no writes";
  const head = `During the split brain (since ${sb.since}): ${NODE_IDS.map((id) => `node ${id.toUpperCase()} ${w[id] ? `took writes (its own GTIDs grew: ${w[id]})` : own(id)}`).join("; ")}.`;
  if (took.length === 1) {
    const keep = took[0] as NodeId;
    const drop: NodeId = keep === "a" ? "b" : "a";
    return [
      head,
      `Keep node ${keep.toUpperCase()} (it took the writes); give up the VIP on node ${drop.toUpperCase()}.`,
    ];
  }
  if (took.length === 2)
    return [
      head,
      "Both nodes took writes: the data diverged. Pick the node to keep, give up the VIP on the other; then `mysql-ha-prober compare` names every row that differs (read-only, while the pair takes writes) and writes the SQL that makes one node like the other (docs/consistency.md).",
    ];
  const routed = ec2RoutedNode(s);
  if (routed)
    return [
      head,
      `Neither node took writes yet: keep node ${routed.toUpperCase()} (EC2 routes the VIP to it: the applications reach it); give up the VIP on node ${routed === "a" ? "B" : "A"}.`,
    ];
  // the applications' ARP entry as evidence, with its uncertainty: one node throughout, or it moved
  const arp = sb.arpSeen ?? [];
  if (arp.length === 1) {
    const keep = arp[0] as NodeId;
    return [
      head,
      `Neither node took writes yet: keep node ${keep.toUpperCase()} (every probe of the split saw the VIP's ARP answered by it: the applications reach it); give up the VIP on node ${keep === "a" ? "B" : "A"}.`,
    ];
  }
  if (arp.length === 2)
    return [
      head,
      "Neither node took writes yet, and the VIP's ARP answer moved between the nodes during the split (both answered at some probe): which node the applications reach is not known. Either node can be kept; give up the VIP on the other.",
    ];
  return [
    head,
    "Neither node took writes yet: keep the node applications reach (the VIP owner by ARP, which no probe of the split could see), give up the VIP on the other.",
  ];
}

/** The one node EC2 routes the VIP to, when the EC2 view is on and says so. */
function ec2RoutedNode(s: ClusterState): NodeId | null {
  const r = s.ec2?.routedTo;
  return r?.length === 1 && (r[0] === "a" || r[0] === "b") ? r[0] : null;
}

/**
 * In a split brain, the node to give the VIP up: the one that took no writes; when neither did, the
 * one EC2 does not route the VIP to, or the one the VIP's ARP never answered from; B when nothing tells.
 */
function nodeToDrop(s: ClusterState): NodeId {
  const took = NODE_IDS.filter((id) => s.splitBrain?.writes[id]);
  if (took.length === 1) return took[0] === "a" ? "b" : "a";
  const arp = s.splitBrain?.arpSeen ?? [];
  const reached =
    took.length === 0 ? (ec2RoutedNode(s) ?? (arp.length === 1 ? (arp[0] as NodeId) : null)) : null;
  return reached ? (reached === "a" ? "b" : "a") : "b";
}

/** The runbook's commands with this cluster's real values: the VIP, its prefix and interface, node names. */
export function runbook(s: ClusterState, vip: string | undefined): string[] {
  const v = vip ?? "<VIP>";
  const on = (id: NodeId) => {
    const n = s.nodes[id];
    return {
      name: `node ${id.toUpperCase()} (${n.host})`,
      dev: n.vipInterface ?? "<interface>",
      prefix: n.vipPrefix ?? 32,
    };
  };
  if (s.status === "SPLIT_BRAIN") {
    const took = NODE_IDS.filter((id) => s.splitBrain?.writes[id]);
    const drop = nodeToDrop(s);
    const d = on(drop);
    const keep: NodeId = drop === "a" ? "b" : "a";
    return [
      `On ${d.name}, to give the VIP up${took.length === 1 ? "" : " (or on the other: see above)"}:`,
      "  systemctl stop keepalived",
      `  ip addr del ${v}/${d.prefix} dev ${d.dev}`,
      "  # unblock VRRP (protocol 112), e.g.:",
      "  iptables -D INPUT -p vrrp -j DROP",
      "  # nopreempt: it comes back as BACKUP",
      "  systemctl start keepalived",
      `On ${on(keep).name}, which you keep:`,
      "  # so clients learn its MAC again",
      `  arping -U -I ${on(keep).dev} -s ${v} ${v}`,
    ];
  }
  return [];
}

/** The placeholders of a catalog action that take one node's values (its interface, its VIP prefix). */
const NODE_VALUES = /IFACE|<if>|VIP\/prefix/;

/**
 * One "What to do" line per code, naming every node it is about: a code found on both nodes (MYSQL_UNREACHABLE
 * on A and B) says both; one whose commands carry a node's values (an interface) gets a line per node.
 */
function whatToDo(problems: readonly Finding[], s: ClusterState, vip: string | undefined) {
  const out: { code: FindingCode; action: string }[] = [];
  const codes = [...new Set(problems.map((f) => f.code))].filter((c): c is FindingCode => c in CATALOG);
  for (const code of codes) {
    const action = CATALOG[code].action;
    const found = problems.filter((f) => f.code === code);
    const nodes = NODE_IDS.filter((id) => found.some((f) => f.subject === id));
    if (nodes.length < 2) {
      out.push({ code, action: filled(action, s, vip, found[0]?.subject) });
    } else if (NODE_VALUES.test(action)) {
      for (const id of nodes) out.push({ code, action: filled(action, s, vip, id) });
    } else {
      const names = nodes.map((id) => `${id.toUpperCase()}, ${s.nodes[id].host}`).join(", and ");
      out.push({ code, action: `${filled(action, s, vip, "pair")} (nodes ${names})` });
    }
  }
  return out;
}

/** A catalog action with this cluster's values in place of its placeholders. */
function filled(action: string, s: ClusterState, vip: string | undefined, subject?: string): string {
  const id: NodeId | null =
    subject === "a" || subject === "b"
      ? subject
      : s.status === "SPLIT_BRAIN"
        ? nodeToDrop(s)
        : s.vipOwner === "a" || s.vipOwner === "b"
          ? s.vipOwner
          : null;
  const n = id ? s.nodes[id] : null;
  const dev = n?.vipInterface ?? null;
  const prefix = n?.vipPrefix ?? null;
  let out = action;
  out = out.replaceAll("<pair>", s.cluster);
  if (vip) out = out.replaceAll("<VIP>", vip);
  if (vip && prefix !== null) out = out.replaceAll("VIP/prefix", `${vip}/${prefix}`);
  if (dev) out = out.replaceAll("IFACE", dev).replaceAll("<if>", dev);
  // the node tag only where the line is about one node: the finding's own node, or a pair-level action
  // whose commands were filled with one node's values
  const tagged = subject === "a" || subject === "b" || NODE_VALUES.test(action);
  return id && tagged ? `${out} (node ${id.toUpperCase()}, ${s.nodes[id].host})` : out;
}

export function renderMail(
  s: ClusterState,
  kind: Alert["kind"],
  from: Status | null,
  opened: readonly Incident[] = [],
  context: MailContext = {},
): { subject: string; text: string; html: string } {
  const moves = s.events.filter((e) => e.type === "VIP_MOVED");
  const subject = subjectFor(s.cluster, kind, from, s.status, s.statusSince, opened, moves);
  const vip = context.vip;
  const where = [
    `Cluster ${s.cluster}`,
    vip ? `VIP ${vip}` : null,
    context.account ? `account ${context.account}` : null,
    context.region ? `region ${context.region}` : null,
  ]
    .filter(Boolean)
    .join(", ");
  const newIds = new Set(opened.map((i) => i.id));
  const open = openIncidents(s.incidents);
  const ackHint = `acknowledge with: mysql-ha-prober ack --cluster ${s.cluster} <id>|all`;
  const incidentLine = (i: Incident) =>
    `${newIds.has(i.id) ? "NEW " : ""}[${i.severity}] ${i.code} (id ${i.id}, ${i.openedAt}${i.seen > 1 ? `, seen ${i.seen}x` : ""}): ${i.message}`;
  const rows = NODE_IDS.map((id) => {
    const n = s.nodes[id];
    const r = n.replication;
    return {
      node: id.toUpperCase(),
      host: n.host,
      vip: n.vipBound === null ? "?" : n.vipBound ? "BOUND" : "-",
      keepalived: n.keepalived ?? "?",
      mysql: n.mysql,
      replication: r
        ? `${id === "a" ? "B→A" : "A→B"} io=${r.io} sql=${r.sql ? "Yes" : "No"}`
        : `${id === "a" ? "B→A" : "A→B"} ?`,
      lag: r?.lagSeconds === null || r?.lagSeconds === undefined ? "?" : `${r.lagSeconds}s`,
    };
  });
  const problems = s.findings.filter((f) => f.severity !== "info");
  const actions = whatToDo(problems, s, vip);
  const advice = splitBrainAdvice(s);
  const divergence = divergenceLines(s);
  const steps = runbook(s, vip);
  const links = [
    context.dashboardUrl ? `Dashboard: ${context.dashboardUrl}` : null,
    context.logsUrl ? `Prober logs: ${context.logsUrl}` : null,
  ].filter((l): l is string => l !== null);

  const changed = from && kind !== "reminder" && kind !== "incident";
  const silenced = s.silence ? `SILENCED: ${describeSilence(s.silence)}.` : null;
  const text = [
    ...(silenced ? [silenced, ""] : []),
    `Cluster ${s.cluster} is ${STATUS_LABEL[s.status]}${changed ? ` (was ${STATUS_LABEL[from]})` : ""}.`,
    `${where}.`,
    `First detected: ${s.statusSince}. Probe time: ${s.observedAt}. VIP owner: ${s.vipOwner ?? "unknown"}.`,
    "",
    ...(advice.length ? [...advice, ""] : []),
    ...(steps.length ? ["Commands:", ...steps, ""] : []),
    ...(open.length
      ? [
          `Open incidents (events between probes; they stay until acknowledged, ${ackHint}):`,
          ...open.map((i) => `  ${incidentLine(i)}`),
          "",
        ]
      : []),
    ...(divergence.length ? [...divergence, ""] : []),
    ...s.events.map((e) => `Event: ${e.message}`),
    ...(s.events.length ? [""] : []),
    "Nodes:",
    ...rows.map(
      (r) =>
        `  ${r.node} ${r.host}: VIP ${r.vip}, keepalived ${r.keepalived}, MySQL ${r.mysql}, ${r.replication}, lag ${r.lag}`,
    ),
    "",
    problems.length ? "Findings:" : "No problems found.",
    ...problems.map((f) => `  [${f.severity}] ${f.code}: ${f.message}`),
    ...(actions.length ? ["", "What to do:", ...actions.map((a) => `  ${a.code}: ${a.action}`)] : []),
    ...(links.length ? ["", ...links] : []),
  ].join("\n");

  const e = escapeHtml;
  const color = s.status === "SPLIT_BRAIN" ? "#b00020" : s.status === "HEALTHY" ? "#1b5e20" : "#e65100";
  const pre = (lines: string[]) =>
    `<pre style="background:#f4f4f4;padding:8px;overflow-x:auto;white-space:pre;font-size:13px">${e(lines.join("\n"))}</pre>`;
  const link = (label: string, url?: string) => (url ? `<a href="${e(url)}">${e(label)}</a>` : "");
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(subject)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Roboto,sans-serif;font-size:15px;line-height:1.4;margin:0;padding:8px;max-width:760px">
<h2 style="background:${color};color:#fff;padding:8px;margin:0 0 8px 0;font-size:20px">${e(s.cluster)}: ${e(STATUS_LABEL[s.status])}</h2>
${silenced ? `<p style="background:#fff3cd;padding:6px"><b>${e(silenced)}</b></p>` : ""}
<p><b>${e(where)}</b><br>${changed ? `Was ${e(STATUS_LABEL[from])}. ` : ""}First detected: ${e(s.statusSince)}. Probe time: ${e(s.observedAt)}. VIP owner: ${e(s.vipOwner ?? "unknown")}.</p>
${advice.length ? `<p style="background:#fde7e9;padding:8px"><b>${e(advice.at(-1) ?? "")}</b><br>${e(advice[0] ?? "")}</p>` : ""}
${steps.length ? `<h3>Commands</h3>${pre(steps)}` : ""}${divergence.length ? `<h3>Data that differs between the nodes</h3>${pre(divergence.slice(1))}` : ""}
${open.length ? `<h3>Open incidents</h3><p>Events between probes: they stay until acknowledged (${e(ackHint)}).</p><ul>${open.map((i) => `<li>${newIds.has(i.id) ? "<b>NEW</b> " : ""}<b>${e(i.severity)}</b> <code>${e(i.code)}</code> <small>(id <code>${e(i.id)}</code>, ${e(i.openedAt)})</small>: ${e(i.message)}</li>`).join("")}</ul>` : ""}
${s.events.length ? `<ul>${s.events.map((ev) => `<li>${e(ev.message)}</li>`).join("")}</ul>` : ""}
<div style="overflow-x:auto"><table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse;font-size:13px">
<tr><th>node</th><th>host</th><th>VIP</th><th>keepalived</th><th>MySQL</th><th>replication</th><th>lag</th></tr>
${rows.map((r) => `<tr><td>${e(r.node)}</td><td>${e(r.host)}</td><td>${e(r.vip)}</td><td>${e(r.keepalived)}</td><td>${e(r.mysql)}</td><td>${e(r.replication)}</td><td>${e(r.lag)}</td></tr>`).join("\n")}
</table></div>
${problems.length ? `<h3>Findings</h3><ul>${problems.map((f) => `<li><b>${e(f.severity)}</b> <code>${e(f.code)}</code>: ${e(f.message)}</li>`).join("")}</ul>` : "<p>No problems found.</p>"}
${actions.length ? `<h3>What to do</h3><ul>${actions.map((a) => `<li><code>${e(a.code)}</code>: ${e(a.action)}</li>`).join("")}</ul>` : ""}
${links.length ? `<p>${[link("Dashboard", context.dashboardUrl), link("Prober logs", context.logsUrl)].filter(Boolean).join(" · ")}</p>` : ""}
</body></html>`;
  return { subject, text, html };
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

/** A clearly marked test mail (`test-mail`): proves the mail path, asks for nothing. */
export function testMailAlert(cluster: string, now: Date): Alert {
  const at = now.toISOString();
  const text = [
    "TEST MAIL from mysql-ha-prober: no action needed.",
    "",
    `Cluster: ${cluster}. Sent at ${at} by \`mysql-ha-prober test-mail\`.`,
    "If you read this, alerts for this cluster reach you by this channel.",
  ].join("\n");
  return {
    id: `${cluster}:${at}:test`,
    cluster,
    kind: "reminder",
    from: null,
    to: "HEALTHY",
    createdAt: at,
    subject: `[mysql-ha] ${cluster}: TEST MAIL (no action needed)`,
    text,
    html: `<!doctype html><html lang="en"><body style="font-family:sans-serif"><h2 style="background:#0d47a1;color:#fff;padding:8px">TEST MAIL: no action needed</h2><p>${escapeHtml(text).replace(/\n/g, "<br>")}</p></body></html>`,
  };
}
