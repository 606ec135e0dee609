/**
 * One probe of one cluster, end to end: load the previous state, observe (three SQL endpoints, two
 * node checks, any witnesses) in parallel under one deadline, assess, decide, commit with a
 * conditional write, then write history, send the outbox (oldest first) and publish metrics.
 * The Lambda handler and the CLI both call this; they differ only in the ports they pass.
 */

import {
  type Alert,
  type AlertPolicy,
  DEFAULT_ALERT_POLICY,
  type Decision,
  decide,
} from "./domain/alert-policy.ts";
import { assess } from "./domain/assess.ts";
import {
  consistencySummary,
  divergenceFindings,
  owedFor,
  type SweepRecord,
  type SweepSettings,
  stillOwed,
} from "./domain/consistency/sweep.ts";
import type { Ec2NodeMap, Ec2Observation } from "./domain/ec2.ts";
import { type HeartbeatWrite, heartbeatHeldBy } from "./domain/heartbeat.ts";
import type { Incident } from "./domain/incidents.ts";
import type { MailContext } from "./domain/mail.ts";
import { memoryOf } from "./domain/memory.ts";
import type { NodeCheckResult } from "./domain/node.ts";
import type { PairNodeConfig, SqlThresholds } from "./domain/rules/replication.ts";
import type { SqlObservation } from "./domain/sql.ts";
import type { Assessment, ClusterState } from "./domain/state.ts";
import { boundState } from "./domain/state-size.ts";
import { type Deadline, NODE_IDS, type NodeId, remainingMs } from "./domain/types.ts";
import type { NodeCheckParams } from "./node-check/params.ts";
import type {
  HeartbeatWriter,
  HistoryItem,
  MetricsSink,
  NodeChecker,
  Notifier,
  SqlProbe,
  StateStore,
  SweepStore,
  VipRouteReader,
} from "./ports.ts";

export interface ProbeTarget {
  name: string;
  vip: { host: string; port: number };
  nodes: Record<NodeId, PairNodeConfig & { port: number; nodeCheck: Omit<NodeCheckParams, "Since"> }>;
  witnesses?: { name: string; nodeCheck: Omit<NodeCheckParams, "Since"> }[];
  thresholds?: SqlThresholds;
  policy?: AlertPolicy;
  /** Keep every probe in the history too, not only transitions. @default false */
  historySamples?: boolean;
  /** The VRRP instance that carries the VIP. @default the instance whose virtual IPs include it */
  vrrpInstance?: string;
  /** What the mail names besides the cluster: account, region, links (the function fills them). */
  mail?: MailContext;
  /** The EC2 view of the VIP: how EC2's ids map to the nodes, and the grace for a reassignment. */
  ec2?: { map: Ec2NodeMap; graceMs: number };
  /** The consistency sweep (run after the probes by their caller): each probe reads its record. */
  sweep?: SweepSettings;
}

export interface PipelineDeps {
  sql: SqlProbe;
  /** Writes the heartbeat through the VIP each probe; absent: the heartbeat is off. */
  heartbeat?: HeartbeatWriter;
  /** Reads where EC2 routes the VIP (clusters with the EC2 view on). */
  ec2?: VipRouteReader;
  nodeCheckers: Record<NodeId, NodeChecker>;
  /** By witness name. */
  witnessCheckers?: Record<string, NodeChecker>;
  store: StateStore;
  /** The consistency sweep's records (targets with a sweep): read by each probe. */
  sweepStore?: SweepStore;
  notifier: Notifier;
  metrics?: MetricsSink;
  now?: () => Date;
  log?: (event: string, detail: Record<string, unknown>) => void;
  /**
   * Each pair's node `Since` (the nodes' lastEpoch) from the state this process loaded at its previous
   * probe. With an entry, the node checks start at once, beside the store read, instead of after it: the
   * checks of an invocation's pairs then start together and share one SSM command (ssm-batch.ts). The
   * value is never newer than the store's (states only move forward), so a node reports at most a few
   * transitions more, which the assessment filters by the loaded state as always.
   * @default undefined (node checks wait for the store read)
   */
  sinceHints?: Map<string, Record<NodeId, number | null>>;
  /**
   * Each pair's recent heartbeat GTIDs, as this process wrote them, kept whether or not the commit went
   * through: heartbeats written while the store was down are the prober's own, and must not read as a
   * node taking writes once it is back (they never reached the stored memory).
   * @default undefined (the stored memory only)
   */
  heartbeatHints?: Map<string, string[]>;
}

export interface ProbeOutcome {
  state: ClusterState;
  /** false: another run committed this version first; it owns the transition and its mail. */
  committed: boolean;
  transition: { from: string | null; to: string } | null;
  /** Incidents this probe opened (events between probes; mailed with this probe's alert). */
  opened: Incident[];
  /** A mail was due but the cluster's silence held it back. */
  silenced: boolean;
  sent: Alert[];
  unsent: { alert: Alert; error: string }[];
  timings: { probeMs: number; observeMs: number; nodeCheckMs: Record<string, number> };
}

/** One probe's raw observations. */
export interface Observed {
  sql: Record<"vip" | NodeId, SqlObservation>;
  nodes: Record<NodeId, NodeCheckResult>;
  heartbeat?: HeartbeatWrite;
  ec2?: Ec2Observation;
}

/** Time kept after observing for the store and the mail. */
export const RESERVE_MS = 2500;

/**
 * The store could not be read or written. The metrics of the probe were published before it was
 * raised: the alarms (a channel apart from the store and the mail) still see a split brain or an outage.
 */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(
    readonly during: "load" | "commit",
    readonly cluster: string,
    options: { cause: unknown },
  ) {
    super(
      `${cluster}: the state store failed during ${during}: ${String((options.cause as Error)?.message ?? options.cause)}`,
      options,
    );
  }
}

export async function probeCluster(
  t: ProbeTarget,
  deps: PipelineDeps,
  deadline: Deadline,
): Promise<ProbeOutcome> {
  const started = Date.now();
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? (() => {});
  const hint = deps.sinceHints?.get(t.name);
  const loading = loadState(t.name, deps, log);
  const stateOf = (r: Awaited<typeof loading>) => r.loaded?.state ?? null;
  // with a hint the observation starts beside the store read; without one, after it
  const previous = hint ? loading.then(stateOf) : stateOf(await loading);
  const sweepLoading = loadSweepRecord(t, deps, log);

  const observeDeadline: Deadline = { at: Math.max(Date.now() + 1, deadline.at - RESERVE_MS) };
  const at = now();
  const { assessment, observeMs, nodeCheckMs } = await observeAndAssess(
    t,
    deps,
    observeDeadline,
    previous,
    at,
    {
      ...(hint ? { since: hint } : {}),
      ...(deps.heartbeatHints?.get(t.name) ? { heartbeatGtids: deps.heartbeatHints.get(t.name) } : {}),
    },
  );
  // before the commit, which may fail: the next probe of this process still knows these writes
  const ownGtids = assessment.memory.sql.heartbeatGtids;
  if (deps.heartbeatHints && ownGtids?.length) deps.heartbeatHints.set(t.name, [...ownGtids]);
  const { loaded: prev, error: loadError } = await loading;
  const sweep = await sweepLoading;
  if (sweep !== undefined) assessment.findings.push(...divergenceFindings(sweep, t.name));
  const d = decide(t.name, prev?.state ?? null, assessment, at, t.policy ?? DEFAULT_ALERT_POLICY, {
    vip: t.vip.host,
    ...t.mail,
  });
  if (t.sweep) withConsistency(d.state, prev?.state ?? null, sweep);
  // Metrics first: they feed the alarms, which must not depend on the store or the mail.
  deps.metrics?.publish(d.state, { probeMs: Date.now() - started, nodeCheckMs });
  if (loadError !== undefined) throw new StoreUnavailableError("load", t.name, { cause: loadError });

  const addHistory = historyOf(t, d);

  // ---- commit: only the run that wins the conditional write goes on. The stored state is bounded
  // (domain/state-size.ts): an oversized item would fail every commit of the pair from now on.
  const stored = boundState(d.state);
  if (stored.trimmed.length) log("state-trimmed", { cluster: t.name, trimmed: stored.trimmed });
  const c = await deps.store
    .commit(t.name, prev?.version ?? null, {
      state: stored.state,
      addAlerts: d.alert ? [d.alert] : [],
      addHistory,
      keepOutbox: prev?.outbox ?? [],
      keepHistory: prev?.historyOutbox ?? [],
    })
    .catch((e: unknown) => {
      throw new StoreUnavailableError("commit", t.name, { cause: e });
    });
  const timings = { probeMs: 0, observeMs, nodeCheckMs };
  if (!c.committed) {
    log("lost-race", { cluster: t.name, version: prev?.version ?? null });
    timings.probeMs = Date.now() - started;
    return {
      state: d.state,
      committed: false,
      transition: null,
      opened: [],
      silenced: false,
      sent: [],
      unsent: [],
      timings,
    };
  }
  if (d.transition) log("transition", { cluster: t.name, from: d.transition.from, to: d.transition.to });

  // ---- history, then the outbox, oldest first; whatever fails stays for the next run
  const pendingHistory = [
    ...(prev?.historyOutbox ?? []),
    ...addHistory.map((h) => ({ ...h, version: c.version })),
  ];
  if (pendingHistory.length > 0) {
    await deps.store
      .flushHistory(t.name, pendingHistory)
      .catch((e) => log("history-write-failed", { error: String(e) }));
  }
  const outbox = [...(prev?.outbox ?? []), ...(d.alert ? [d.alert] : [])];
  const { sent, unsent } = await sendOutbox(t.name, outbox, deps, deadline, log);
  timings.probeMs = Date.now() - started;
  if (d.silenced)
    log("mail-silenced", { cluster: t.name, status: d.state.status, until: d.state.silence?.until });
  return {
    state: d.state,
    committed: true,
    transition: d.transition,
    opened: d.opened,
    silenced: d.silenced,
    sent,
    unsent,
    timings,
  };
}

/**
 * Observes the cluster (3 SQL endpoints, 2 node checks, witnesses) in parallel under one deadline and
 * assesses it against the previous state. No store, no mail: `probe` uses this alone.
 */
export async function observeAndAssess(
  t: ProbeTarget,
  deps: Pick<PipelineDeps, "sql" | "heartbeat" | "ec2" | "nodeCheckers" | "witnessCheckers">,
  deadline: Deadline,
  /** The stored state; a promise: observing starts before it is read (then `since` is needed). */
  previous: ClusterState | null | Promise<ClusterState | null>,
  at: Date,
  /** The nodes' Since to use instead of the previous state's (PipelineDeps.sinceHints); heartbeat GTIDs
   * this process wrote that the stored memory may lack (PipelineDeps.heartbeatHints). */
  options: { since?: Record<NodeId, number | null>; heartbeatGtids?: readonly string[] } = {},
): Promise<{
  assessment: Assessment;
  observeMs: number;
  nodeCheckMs: Record<string, number>;
  /** What was observed, as is (for `doctor`). */
  observed: Observed;
}> {
  // without a hint, the previous state is needed before the node checks start
  const known = options.since ? null : await previous;
  const since = (id: NodeId) =>
    (options.since ? options.since[id] : known?.memory?.nodes?.lastEpoch?.[id]) ?? undefined;
  const started = Date.now();
  // The heartbeat is written first and the SQL reads follow it (they read its row back on both nodes);
  // the node checks, which take longer, run alongside from the start.
  // No write while a node was last seen without the heartbeat row: the update would replicate to it and
  // stop its replication (HEARTBEAT_ROW_MISSING); the reads go on and say when the row is back.
  const writer = deps.heartbeat;
  const heartbeat = writer
    ? Promise.resolve(previous).then((p) =>
        heartbeatHeldBy(memoryOf(p).sql).length > 0
          ? undefined
          : writer.beat({ name: "vip", ...t.vip }, Date.now(), deadline),
      )
    : undefined;
  const afterHeartbeat = <T>(f: () => Promise<T>) => (heartbeat ? heartbeat.then(f) : f());
  if (t.ec2 && !deps.ec2) throw new Error(`${t.name}: the EC2 view is on but no EC2 reader is wired`);
  const ec2 = t.ec2 ? deps.ec2?.locate(t.vip.host, deadline) : undefined;
  const [vip, a, b, hb, ec2Seen, nodeA, nodeB, ...witnessResults] = await Promise.all([
    afterHeartbeat(() => deps.sql.observe({ name: "vip", ...t.vip }, deadline)),
    afterHeartbeat(() =>
      deps.sql.observe({ name: "a", host: t.nodes.a.host, port: t.nodes.a.port }, deadline),
    ),
    afterHeartbeat(() =>
      deps.sql.observe({ name: "b", host: t.nodes.b.host, port: t.nodes.b.port }, deadline),
    ),
    heartbeat,
    ec2,
    ...NODE_IDS.map((id) => {
      const s = since(id);
      return deps.nodeCheckers[id].check(
        { ...t.nodes[id].nodeCheck, ...(s !== undefined ? { Since: Math.floor(s) } : {}) },
        deadline,
      );
    }),
    ...(t.witnesses ?? []).map((w) => {
      const checker = deps.witnessCheckers?.[w.name];
      return checker
        ? checker.check(w.nodeCheck, deadline)
        : Promise.resolve<NodeCheckResult>({
            ok: false,
            reason: "runner-error",
            detail: `no runner for witness ${w.name}`,
            durationMs: 0,
          });
    }),
  ]);
  const observeMs = Date.now() - started;
  const previousState = await previous;
  const nodeResults = { a: nodeA as NodeCheckResult, b: nodeB as NodeCheckResult };
  const assessment = assess({
    sql: { vip, a, b },
    ...(hb ? { heartbeat: hb as HeartbeatWrite } : {}),
    ...(t.ec2 && ec2Seen
      ? { ec2: { observation: ec2Seen as Ec2Observation, map: t.ec2.map, graceMs: t.ec2.graceMs } }
      : {}),
    nodes: {
      ...(t.vrrpInstance ? { vrrpInstance: t.vrrpInstance } : {}),
      ...nodeResults,
      witnesses: (t.witnesses ?? []).map((w, i) => ({
        name: w.name,
        result: witnessResults[i] as NodeCheckResult,
      })),
    },
    pair: { a: t.nodes.a, b: t.nodes.b },
    thresholds: t.thresholds,
    previous: withHeartbeatGtids(previousState, options.heartbeatGtids),
    now: at,
  });
  return {
    assessment,
    observeMs,
    nodeCheckMs: Object.fromEntries(NODE_IDS.map((id) => [id, nodeResults[id].durationMs])),
    observed: {
      sql: { vip, a, b },
      nodes: nodeResults,
      ...(hb ? { heartbeat: hb as HeartbeatWrite } : {}),
      ...(ec2Seen ? { ec2: ec2Seen as Ec2Observation } : {}),
    },
  };
}

/** The stored state with the heartbeat GTIDs this process knows of merged into its memory (last 20). */
function withHeartbeatGtids(
  state: ClusterState | null,
  extra: readonly string[] | undefined,
): ClusterState | null {
  if (!state || !extra?.length) return state;
  const known = state.memory?.sql?.heartbeatGtids ?? [];
  const merged = [...known, ...extra.filter((g) => !known.includes(g))].slice(-20);
  return {
    ...state,
    memory: { ...state.memory, sql: { ...state.memory?.sql, heartbeatGtids: merged } },
  } as ClusterState;
}

/**
 * The outbox, oldest first, each marked sent once the mail service took it; after the first refusal (or
 * with no time left) the rest stays for the next run, in order.
 */
async function sendOutbox(
  cluster: string,
  outbox: Alert[],
  deps: Pick<PipelineDeps, "notifier" | "store">,
  deadline: Deadline,
  log: (event: string, detail: Record<string, unknown>) => void,
): Promise<{ sent: Alert[]; unsent: { alert: Alert; error: string }[] }> {
  const sent: Alert[] = [];
  const unsent: { alert: Alert; error: string }[] = [];
  for (const alert of outbox) {
    if (unsent.length > 0 || remainingMs(deadline) <= 0) {
      unsent.push({ alert, error: unsent.length > 0 ? "an earlier alert is still unsent" : "no time left" });
      continue;
    }
    try {
      await deps.notifier.send(alert, deadline);
      sent.push(alert);
      await deps.store
        .markSent(cluster, alert.id)
        .catch((e) => log("mark-sent-failed", { alert: alert.id, error: String(e) }));
    } catch (e) {
      unsent.push({ alert, error: (e as Error).message });
      log("send-failed", { alert: alert.id, error: (e as Error).message });
    }
  }
  return { sent, unsent };
}

/** What this probe adds to the history: its transition, each incident it opened, and a sample if asked. */
function historyOf(t: ProbeTarget, d: Decision): HistoryItem[] {
  const historyItem = (kind: HistoryItem["kind"]): HistoryItem => ({
    cluster: t.name,
    at: d.state.observedAt,
    version: 0, // set by the store to the committed version
    from: kind === "transition" ? (d.transition?.from as HistoryItem["from"]) : d.state.status,
    to: d.state.status,
    vipOwner: d.state.vipOwner,
    reasons: d.state.reasons.slice(0, 10),
    findingCodes: [...new Set(d.state.findings.map((f) => f.code))],
    kind,
  });
  return [
    ...(d.transition ? [historyItem("transition")] : []),
    // each incident opened: what happened between the probes, in the history for good
    ...d.opened.map((i) => ({
      ...historyItem("incident"),
      incidentId: i.id,
      reasons: [`${i.code} (${i.id}): ${i.message}`],
      findingCodes: [i.code],
    })),
    ...(t.historySamples ? [historyItem("sample")] : []),
  ];
}

/**
 * The sweep's record (targets with a sweep), never a rejection: undefined when not read (no sweep, or
 * the read failed: then no DATA_DIVERGENCE this probe, and the state keeps the last summary).
 */
function loadSweepRecord(
  t: ProbeTarget,
  deps: Pick<PipelineDeps, "sweepStore">,
  log: (event: string, detail: Record<string, unknown>) => void,
): Promise<SweepRecord | null | undefined> {
  if (!t.sweep || !deps.sweepStore) return Promise.resolve(undefined);
  return deps.sweepStore.loadSweep(t.name).then(
    (s) => s?.record ?? null,
    (error: unknown) => {
      log("sweep-load-failed", { cluster: t.name, error: String(error) });
      return undefined;
    },
  );
}

/** The sweep's summary (the last one when unread) and the pass owed after a split brain, in the state. */
function withConsistency(
  state: ClusterState,
  prev: ClusterState | null,
  sweep: SweepRecord | null | undefined,
): void {
  const summary = sweep === undefined ? prev?.consistency : consistencySummary(sweep);
  if (summary) state.consistency = summary;
  const owed = stillOwed(owedFor(prev, state), sweep ?? null);
  if (owed) state.consistencyOwed = owed;
}

/**
 * The stored state, never a rejection: a failed read is `{ loaded: null, error }` so the probe observes all
 * the same (its verdict reaches the metrics, and so the alarms, without the store). Keeps the Since hint.
 */
function loadState(
  cluster: string,
  deps: Pick<PipelineDeps, "store" | "sinceHints">,
  log: (event: string, detail: Record<string, unknown>) => void,
) {
  return deps.store.load(cluster).then(
    (loaded) => {
      const lastEpoch = loaded?.state?.memory?.nodes?.lastEpoch;
      if (deps.sinceHints && lastEpoch) deps.sinceHints.set(cluster, { ...lastEpoch });
      return { loaded, error: undefined as unknown };
    },
    (error: unknown) => {
      log("store-load-failed", { cluster, error: String(error) });
      return { loaded: null, error };
    },
  );
}
