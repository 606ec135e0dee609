/** Human output: a compact table per cluster, then the findings. */
import { CATALOG } from "../domain/codes.ts";
import type { Ec2Summary } from "../domain/ec2.ts";
import { type Incident, openIncidents } from "../domain/incidents.ts";
import type { Assessment, ClusterState, Status } from "../domain/state.ts";
import { NODE_IDS } from "../domain/types.ts";
import type { HistoryItem } from "../ports.ts";

export function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function renderState(
  cluster: string,
  s: Pick<Assessment, "status" | "vipOwner" | "nodes" | "findings" | "events" | "ec2"> & {
    incidents?: Incident[];
    reasons?: string[];
  },
  probeMs?: number,
): string {
  const open = openIncidents(s.incidents);
  const rows = [["node", "host", "VIP", "keepalived", "MySQL", "replication in", "lag"]];
  for (const id of NODE_IDS) {
    const n = s.nodes[id];
    const r = n.replication;
    rows.push([
      id.toUpperCase(),
      n.host,
      n.vipBound === null ? "?" : n.vipBound ? "BOUND" : "-",
      n.keepalived ?? "?",
      n.mysql,
      r ? `${id === "a" ? "B→A" : "A→B"} io=${r.io} sql=${r.sql ? "Yes" : "No"}` : "?",
      r?.lagSeconds === null || r?.lagSeconds === undefined ? "?" : `${r.lagSeconds}s`,
    ]);
  }
  const owner = ownerLabel(s.vipOwner);
  const problems = s.findings.filter((f) => f.severity !== "info");
  return [
    `cluster ${cluster}: ${s.status === "SPLIT_BRAIN" ? "*** SPLIT BRAIN ***" : s.status}, VIP owner ${owner}${probeMs !== undefined ? ` (${probeMs} ms)` : ""}`,
    table(rows),
    ...(s.ec2 ? [ec2Line(s.ec2)] : []),
    // UNKNOWN says why it could not tell (the prober's own problem, what to fix) before the findings
    ...(s.status === "UNKNOWN" ? (s.reasons ?? []).map((r) => `why: ${r}`) : []),
    ...s.events.map((e) => `event: ${e.message}`),
    problems.length ? "findings:" : "findings: none",
    ...problems.map((f) => `  [${f.severity}] ${f.code}${f.subject ? ` (${f.subject})` : ""}: ${f.message}`),
    ...(open.length ? [`open incidents (until \`ack\`):`] : []),
    ...open.map((i) => `  ${i.id} [${i.severity}] ${i.code} since ${i.openedAt}: ${i.message}`),
  ].join("\n");
}

/** Where EC2 routes the VIP; on EC2 the ARP view is not applicable, and says so. */
export function ec2Line(e: Ec2Summary): string {
  const routed =
    e.routedTo === null
      ? "unknown (the EC2 API did not answer)"
      : e.routedTo.length === 0
        ? "nowhere"
        : e.routedTo.map((r) => (r === "a" || r === "b" ? `node ${r.toUpperCase()}` : r)).join(" + ");
  const ifs = e.interfaces.length ? ` (${e.interfaces.join(", ")})` : "";
  const since = e.mismatchSince ? `, disagreeing with the holder since ${e.mismatchSince}` : "";
  return `EC2 ${e.mode}: VIP routed to ${routed}${ifs}${since}; ARP view: not applicable`;
}

/** The VIP owner as every command prints it: A, B, BOTH NODES or unknown. */
export function ownerLabel(owner: string | null | undefined): string {
  return owner === "both" ? "BOTH NODES" : owner ? owner.toUpperCase() : "unknown";
}

/** The codes worth listing: the catalog's info codes (VIP_ON_NODE, BOTH_WRITABLE) are not problems. */
function problemCodes(codes: readonly string[]): string {
  const shown = codes.filter((c) => CATALOG[c as keyof typeof CATALOG]?.severity !== "info");
  return shown.length ? shown.join(",") : "none";
}

export function renderHistory(items: HistoryItem[]): string {
  if (items.length === 0) return "no transitions in that period";
  return table([
    ["at", "what", "from", "to", "VIP owner", "findings"],
    ...items.map((h) => [
      h.at,
      h.kind === "incident" ? `incident ${h.incidentId ?? ""}` : h.kind,
      h.kind === "incident" ? "-" : (h.from ?? "-"),
      h.to,
      h.vipOwner ? ownerLabel(h.vipOwner) : "-",
      problemCodes(h.findingCodes),
    ]),
  ]);
}

/** Monitoring-plugin exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
export function exitCodeFor(statuses: Status[]): number {
  const rank = (s: Status) => ({ HEALTHY: 0, DEGRADED: 1, SPLIT_BRAIN: 2, DOWN: 2, UNKNOWN: 3 })[s];
  return statuses.reduce((worst, s) => Math.max(worst, rank(s)), 0);
}

export function summarizeState(s: ClusterState): string {
  return `${s.observedAt} ${s.cluster}: ${s.status}${s.probeStatus !== s.status ? ` (probe says ${s.probeStatus})` : ""}, VIP owner ${ownerLabel(s.vipOwner)}`;
}
