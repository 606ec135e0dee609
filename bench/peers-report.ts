/**
 * The peers bench's pure parts (bench/peers.ts runs the drills): what counts as each system's alert, how the
 * first one after an injection is found, and the table. No I/O, so the unit tests run them as they are.
 */
import type { FaultKind } from "../lab/fault-kinds.ts";
import type { NodeId } from "../lab/plan.ts";
import { pct, sec } from "./format.ts";

/** The drills: every lab fault the issue names, on the node where an operator meets it. */
export const PEER_DRILLS: readonly { kind: FaultKind; on: "holder" | "standby" }[] = [
  { kind: "mysql-kill", on: "holder" },
  { kind: "mysql-hang", on: "holder" },
  { kind: "keepalived-kill", on: "standby" },
  { kind: "vrrp-block", on: "standby" },
  { kind: "partition", on: "standby" },
  { kind: "blackhole", on: "standby" },
  { kind: "replication-stop", on: "standby" },
  { kind: "replication-break", on: "standby" },
  { kind: "errant-write", on: "standby" },
  { kind: "read-only", on: "holder" },
  { kind: "global-read-lock", on: "holder" },
  { kind: "mysql-restart", on: "holder" },
  { kind: "keepalived-flap", on: "holder" },
];

export const SYSTEMS = ["ours-2s", "ours-15s", "prometheus", "pt-heartbeat", "seed"] as const;
export type SystemId = (typeof SYSTEMS)[number];

/** pt-heartbeat's alarm: the community rule's lag threshold (MysqlSlaveReplicationLag, > 30 s). */
export const PT_LAG_ALARM_S = 30;

/** What each needs on the nodes and around them (from each tool's documentation). */
export const NEEDS: Record<SystemId, string> = {
  "ours-2s":
    "nothing resident on the nodes: the SSM agent runs the node check as root; a MySQL user with REPLICATION CLIENT/SLAVE MONITOR and PROCESS, a heartbeat user (SELECT/UPDATE on one seeded row); the function, a table, SES",
  "ours-15s": "as above",
  prometheus:
    "a mysqld_exporter per MySQL endpoint (a user with PROCESS, REPLICATION CLIENT, SELECT); nothing for keepalived or the VIP in the community rules (node_exporter's textfile or a keepalived exporter would be extra); a Prometheus server, an Alertmanager, a mail or pager route",
  "pt-heartbeat":
    "Perl and DBD::mysql; an --update daemon (INSERT/UPDATE, and CREATE once, on percona.heartbeat) and a --monitor per replica; something that alerts on the monitor's output",
  seed: "a notify script in keepalived.conf and a cron job on each node, root (arping), a working MTA on each node",
};

/** One alert or mail, when it arrived. */
export interface Signal {
  system: SystemId;
  at: number;
  what: string;
  /** pt-heartbeat only: the node whose monitor said it. */
  node?: NodeId;
}

export interface DrillResult {
  fault: FaultKind;
  node: NodeId;
  rep: number;
  injectedAt: number;
  /** Per system: ms from the injection to its first alert within the window, and what it said; or null. */
  first: Record<SystemId, { ms: number; what: string } | null>;
  /** pt-heartbeat's updater had to be restarted before this drill (it had stopped writing). */
  ptUpdaterRestarted?: boolean;
  /** Nodes whose replication stopped on pt-heartbeat's own table after the drill and was repaired. */
  heartbeatRepaired?: NodeId[];
}

/**
 * Whether a node's replication stopped on a conflict in pt-heartbeat's table only: a duplicate key (1062)
 * or a missing row (1032) on `percona.heartbeat`, what its `REPLACE` through the VIP leaves after writing on
 * both nodes during a split brain. Anything else (an errant write, a broken link) is not this repair's.
 */
export function heartbeatConflict(slaveStatus: Record<string, unknown> | undefined): boolean {
  if (!slaveStatus || slaveStatus.Slave_SQL_Running === "Yes") return false;
  const errno = Number(slaveStatus.Last_SQL_Errno);
  return (
    (errno === 1062 || errno === 1032) &&
    /\bpercona\.heartbeat\b/.test(String(slaveStatus.Last_SQL_Error ?? ""))
  );
}

/** Fills `@NAME@` in a script template; a name without a value is an error, not an empty string. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/@([A-Z]+)@/g, (m, k: string) => {
    const v = values[k];
    if (v === undefined) throw new Error(`template value ${m} is not set`);
    return v;
  });
}

/** The webhook receiver's log (one JSON line per Alertmanager notification): each firing alert is a signal. */
export function webhookSignals(log: string): Signal[] {
  const out: Signal[] = [];
  for (const line of log.split("\n")) {
    if (!line.trim()) continue;
    const { at, body } = JSON.parse(line) as {
      at: number;
      body: { alerts?: { status: string; labels: Record<string, string> }[] } | null;
    };
    for (const a of body?.alerts ?? [])
      if (a.status === "firing")
        out.push({ system: "prometheus", at, what: `${a.labels.alertname} ${a.labels.node ?? ""}`.trim() });
  }
  return out;
}

/** The mail capture's mailbox ("<epoch ms><TAB><subject>" per mail): each mail is a signal of the seed scripts. */
export function mailboxSignals(mailbox: string): Signal[] {
  return mailbox
    .split("\n")
    .map((l) => l.split("\t"))
    .filter(([at, subject]) => at && subject && Number.isFinite(Number(at)))
    .map(([at, subject]) => ({ system: "seed" as const, at: Number(at), what: subject as string }));
}

/** pt-heartbeat --monitor's line ("14.00s [  0.65s,  0.13s,  0.04s ]"): the current lag, or null. */
export function ptMonitorLag(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)s \[/.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * The first signal of `system` within [from, to]. For pt-heartbeat only the monitor of `node` counts (the
 * standby's: the holder's monitor reads a row written locally and always says 0).
 */
export function firstAfter(
  signals: readonly Signal[],
  system: SystemId,
  from: number,
  to: number,
  node?: NodeId,
) {
  const s = [...signals]
    .sort((x, y) => x.at - y.at)
    .find(
      (x) =>
        x.system === system &&
        x.at >= from &&
        x.at <= to &&
        (node === undefined || x.node === undefined || x.node === node),
    );
  return s ? { ms: s.at - from, what: s.what } : null;
}

/**
 * A pt-heartbeat alarm that was there before the injection: its lag exceeded the threshold by more than the
 * time since the injection (a lag grows by one second a second at most). Such a run says nothing about
 * the fault: the heartbeat was already stale (measured: after mysql-hang on the holder the updater stayed
 * blocked on its connection, with no read timeout, and wrote nothing until restarted).
 */
export function preexisting(first: { ms: number; what: string } | null): boolean {
  const m = /^lag (\d+(?:\.\d+)?) s$/.exec(first?.what ?? "");
  return first !== null && m !== null && Number(m[1]) - first.ms / 1000 > PT_LAG_ALARM_S + 1;
}

export interface SystemSummary {
  seen: number;
  /** Runs that count: the drills, less those whose alarm was there before the injection. */
  runs: number;
  /** Drills left out because the system's alarm was already on at the injection (pt-heartbeat). */
  preexisting: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * One row per fault: per system "seen/runs p50/p95" (seconds from the injection to the first alert or
 * mail), "0/2" when it never alerted within the window, "(+1 n/a)" for runs whose alarm was already on.
 */
export function summarize(drills: readonly DrillResult[]) {
  const rows: (string | number)[][] = [["fault", "on", ...SYSTEMS]];
  const summary: ({ fault: FaultKind; on: string } & Record<SystemId, SystemSummary>)[] = [];
  for (const { kind, on } of PEER_DRILLS) {
    const rs = drills.filter((d) => d.fault === kind);
    if (rs.length === 0) continue;
    const per = Object.fromEntries(
      SYSTEMS.map((s) => {
        const counted = rs.filter((r) => !preexisting(r.first[s]));
        const ms = counted.map((r) => r.first[s]?.ms).filter((x): x is number => x !== undefined);
        const summary: SystemSummary = {
          seen: ms.length,
          runs: counted.length,
          preexisting: rs.length - counted.length,
          p50Ms: pct(ms, 50),
          p95Ms: pct(ms, 95),
        };
        return [s, summary];
      }),
    ) as Record<SystemId, SystemSummary>;
    summary.push({ fault: kind, on, ...per });
    rows.push([
      kind,
      on,
      ...SYSTEMS.map((s) => {
        const x = per[s];
        const na = x.preexisting ? ` (+${x.preexisting} n/a)` : "";
        return `${x.seen}/${x.runs}${x.seen ? ` ${sec(x.p50Ms)}/${sec(x.p95Ms)}` : ""}${na}`;
      }),
    ]);
  }
  return { rows, summary };
}

/** What `bench/results/peers.json` holds that the report renders. */
export interface PeersResults {
  drills: DrillResult[];
  falseAlerts: Record<string, string[]>;
  lag: { trueS: number; sbm: number | null; ptHeartbeat: number | null; ours: number | null }[];
  failed: { fault: FaultKind; rep: number; error: string }[];
}

export const SYSTEM_NAMES: Record<SystemId, string> = {
  "ours-2s": "this prober, 2 s + push",
  "ours-15s": "this prober, 15 s + push",
  prometheus: "Prometheus + Alertmanager",
  "pt-heartbeat": "pt-heartbeat",
  seed: "seed scripts",
};

const mdTable = (rows: readonly (readonly (string | number)[])[]): string =>
  rows
    .map((r, i) =>
      [`| ${r.join(" | ")} |`, ...(i === 0 ? [`| ${r.map(() => "---").join(" | ")} |`] : [])].join("\n"),
    )
    .join("\n");

/**
 * The report's Markdown, as BENCHMARKS.md section 11 carries it: the table per fault ("seen/runs: p50 /
 * p95" seconds, a miss in bold, runs whose alarm was already on as n/a), what each system said first, the
 * false alerts and the lag samples. Rendered from the saved results, so the document and the run agree.
 */
export function markdown(r: PeersResults): string {
  const { summary } = summarize(r.drills);
  const perFault = mdTable([
    ["fault (on)", ...SYSTEMS.map((s) => SYSTEM_NAMES[s])],
    ...summary.map((row) => [
      `${row.fault} (${row.on})`,
      ...SYSTEMS.map((s) => {
        const x = row[s];
        const na = x.preexisting ? ` (+${x.preexisting} n/a)` : "";
        return x.seen
          ? `${x.seen}/${x.runs}: ${sec(x.p50Ms)} / ${sec(x.p95Ms)}${na}`
          : `**0/${x.runs}**${na}`;
      }),
    ]),
  ]);
  const said = (fault: FaultKind, s: SystemId) =>
    [
      ...new Set(
        r.drills
          .filter((d) => d.fault === fault && !preexisting(d.first[s]))
          .map((d) => d.first[s]?.what)
          .filter((w): w is string => w !== undefined)
          // a mail subject names the drill's cluster: what it said is the rest
          .map((w) => w.replace(/^\[mysql-ha\] \S+: /, "")),
      ),
    ].join("; ") || "-";
  const saidSystems = ["ours-2s", "prometheus", "pt-heartbeat", "seed"] as const;
  const whatSaid = mdTable([
    ["fault", "this prober (2 s)", "Prometheus", "pt-heartbeat", "seed scripts"],
    ...summary.map((row) => [row.fault, ...saidSystems.map((s) => said(row.fault, s))]),
  ]);
  const falseAlerts = SYSTEMS.map((s) => `${SYSTEM_NAMES[s]} ${r.falseAlerts[s]?.length ?? 0}`).join("; ");
  const lag = mdTable([
    ["true delay", "Seconds_Behind_Master", "pt-heartbeat", "this prober (2 s)"],
    ...r.lag.map((l) => [l.trueS, l.sbm ?? "NULL", l.ptHeartbeat ?? "-", l.ours ?? "-"]),
  ]);
  const repaired = r.drills.filter((d) => d.heartbeatRepaired?.length);
  const restarted = r.drills.filter((d) => d.ptUpdaterRestarted);
  return [
    `Drills: ${r.drills.length} run to the end, ${r.failed.length} not (${r.failed.map((f) => `${f.fault} rep ${f.rep + 1}`).join(", ") || "none"}).`,
    `pt-heartbeat's updater restarted before ${restarted.length} drills (${restarted.map((d) => d.fault).join(", ") || "none"}); its table repaired after ${repaired.length} (${repaired.map((d) => `${d.fault}: ${d.heartbeatRepaired?.join(", ")}`).join("; ") || "none"}).`,
    "",
    perFault,
    "",
    "What each said first (distinct texts over the runs):",
    "",
    whatSaid,
    "",
    `**False alerts** (no fault): ${falseAlerts}.`,
    "",
    lag,
  ].join("\n");
}
