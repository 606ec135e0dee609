/**
 * The alert mail: subject, text and HTML, pure. Every value that came from a server is escaped in the
 * HTML. No secret is ever part of a ClusterState, so none can appear here.
 */
import type { Alert } from "./alert-policy.ts";
import { CATALOG, type FindingCode } from "./codes.ts";
import { type Incident, openIncidents } from "./incidents.ts";
import { describeSilence } from "./silence.ts";
import type { ClusterState, Status } from "./state.ts";
import { NODE_IDS } from "./types.ts";

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
): string {
  if (kind === "incident") {
    const what = [
      ...new Set(
        opened.map(
          (i) =>
            `${i.code}${i.subject && i.subject !== "pair" ? ` on ${i.subject === "vip" ? "the VIP" : `node ${i.subject.toUpperCase()}`}` : ""}`,
        ),
      ),
    ];
    return `[mysql-ha] ${cluster}: INCIDENT ${what.join(", ")} (status ${STATUS_LABEL[to]})`;
  }
  if (kind === "reminder") return `[mysql-ha] ${cluster}: still ${STATUS_LABEL[to]} (since ${since})`;
  return `[mysql-ha] ${cluster}: ${from ? STATUS_LABEL[from] : "first probe"} -> ${STATUS_LABEL[to]}`;
}

export function renderMail(
  s: ClusterState,
  kind: Alert["kind"],
  from: Status | null,
  opened: readonly Incident[] = [],
): { subject: string; text: string; html: string } {
  const subject = subjectFor(s.cluster, kind, from, s.status, s.statusSince, opened);
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
  const actions = [...new Set(problems.map((f) => f.code))]
    .filter((c): c is FindingCode => c in CATALOG)
    .map((c) => ({ code: c, action: CATALOG[c].action }));

  const changed = from && kind !== "reminder" && kind !== "incident";
  const silenced = s.silence ? `SILENCED: ${describeSilence(s.silence)}.` : null;
  const text = [
    ...(silenced ? [silenced, ""] : []),
    `Cluster ${s.cluster} is ${STATUS_LABEL[s.status]}${changed ? ` (was ${STATUS_LABEL[from]})` : ""}.`,
    `First detected: ${s.statusSince}. Probe time: ${s.observedAt}. VIP owner: ${s.vipOwner ?? "unknown"}.`,
    "",
    ...(open.length
      ? [
          `Open incidents (events between probes; they stay until acknowledged, ${ackHint}):`,
          ...open.map((i) => `  ${incidentLine(i)}`),
          "",
        ]
      : []),
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
  ].join("\n");

  const e = escapeHtml;
  const banner =
    s.status === "SPLIT_BRAIN"
      ? ' style="background:#b00020;color:#fff;padding:8px"'
      : s.status === "HEALTHY"
        ? ' style="background:#1b5e20;color:#fff;padding:8px"'
        : ' style="background:#e65100;color:#fff;padding:8px"';
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<h2${banner}>${e(s.cluster)}: ${e(STATUS_LABEL[s.status])}</h2>
${silenced ? `<p style="background:#fff3cd;padding:6px"><b>${e(silenced)}</b></p>` : ""}
<p>${changed ? `Was ${e(STATUS_LABEL[from])}. ` : ""}First detected: ${e(s.statusSince)}. Probe time: ${e(s.observedAt)}. VIP owner: ${e(s.vipOwner ?? "unknown")}.</p>
${open.length ? `<h3>Open incidents</h3><p>Events between probes: they stay until acknowledged (${e(ackHint)}).</p><ul>${open.map((i) => `<li>${newIds.has(i.id) ? "<b>NEW</b> " : ""}<b>${e(i.severity)}</b> <code>${e(i.code)}</code> <small>(id <code>${e(i.id)}</code>, ${e(i.openedAt)})</small>: ${e(i.message)}</li>`).join("")}</ul>` : ""}
${s.events.length ? `<ul>${s.events.map((ev) => `<li>${e(ev.message)}</li>`).join("")}</ul>` : ""}
<table border="1" cellpadding="4" cellspacing="0">
<tr><th>node</th><th>host</th><th>VIP</th><th>keepalived</th><th>MySQL</th><th>replication</th><th>lag</th></tr>
${rows.map((r) => `<tr><td>${e(r.node)}</td><td>${e(r.host)}</td><td>${e(r.vip)}</td><td>${e(r.keepalived)}</td><td>${e(r.mysql)}</td><td>${e(r.replication)}</td><td>${e(r.lag)}</td></tr>`).join("\n")}
</table>
${problems.length ? `<h3>Findings</h3><ul>${problems.map((f) => `<li><b>${e(f.severity)}</b> <code>${e(f.code)}</code>: ${e(f.message)}</li>`).join("")}</ul>` : "<p>No problems found.</p>"}
${actions.length ? `<h3>What to do</h3><ul>${actions.map((a) => `<li><code>${e(a.code)}</code>: ${e(a.action)}</li>`).join("")}</ul>` : ""}
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
    html: `<!doctype html><html><body style="font-family:sans-serif"><h2 style="background:#0d47a1;color:#fff;padding:8px">TEST MAIL: no action needed</h2><p>${escapeHtml(text).replace(/\n/g, "<br>")}</p></body></html>`,
  };
}
