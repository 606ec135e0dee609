/** The ports: small interfaces the pipeline depends on; adapters implement them. */
import type { Alert } from "./domain/alert-policy.ts";
import type { SweepRecord } from "./domain/consistency/sweep.ts";
import type { Ec2Observation } from "./domain/ec2.ts";
import type { HeartbeatWrite } from "./domain/heartbeat.ts";
import type { NodeCheckResult } from "./domain/node.ts";
import type { SqlObservation } from "./domain/sql.ts";
import type { ClusterState, Status } from "./domain/state.ts";
import type { Deadline, EndpointName } from "./domain/types.ts";
import type { NodeCheckParams } from "./node-check/params.ts";

export interface SqlEndpoint {
  name: EndpointName;
  host: string;
  port: number;
}

/** Observes one MySQL endpoint. Never throws for what it observed: failures are in the observation. */
export interface SqlProbe {
  observe(endpoint: SqlEndpoint, deadline: Deadline): Promise<SqlObservation>;
}

/** Writes the heartbeat row through the VIP. Never throws: a failed write is in the result. */
export interface HeartbeatWriter {
  beat(endpoint: SqlEndpoint, writtenAt: number, deadline: Deadline): Promise<HeartbeatWrite>;
}

/**
 * Reads where EC2 routes the VIP (the interface holding it as a secondary IP, or the route tables'
 * /32 route). Never throws: a failed call is in the observation.
 */
export interface VipRouteReader {
  locate(vip: string, deadline: Deadline): Promise<Ec2Observation>;
}

/** Runs the node-check script on one host. Never throws: failures are in the result. */
export interface NodeChecker {
  /** What the check runs on (instance id, namespace, host), for messages. */
  readonly target: string;
  check(params: NodeCheckParams, deadline: Deadline): Promise<NodeCheckResult>;
}

/** One transition of the declared status, kept in the history. */
export interface HistoryItem {
  cluster: string;
  at: string;
  version: number;
  from: Status | null;
  to: Status;
  vipOwner: ClusterState["vipOwner"];
  reasons: string[];
  findingCodes: string[];
  /** "transition" (a declared change), "incident" (an event opened an incident) or "sample" (every probe, when configured). */
  kind: "transition" | "incident" | "sample";
  /** For kind "incident": the incident's id. */
  incidentId?: string;
}

export interface StoredCurrent {
  version: number;
  state: ClusterState;
  /** Alerts not yet accepted by the mail service, oldest first. */
  outbox: Alert[];
  /** History items not yet written, oldest first. */
  historyOutbox: HistoryItem[];
}

/** What one probe commits: the next state, plus the alerts and history items to add to the outboxes. */
export interface CommitInput {
  state: ClusterState;
  addAlerts: Alert[];
  addHistory: HistoryItem[];
  /** The previous outboxes, carried over (nothing unsent is ever dropped). */
  keepOutbox: Alert[];
  keepHistory: HistoryItem[];
}

export type CommitResult = { committed: true; version: number } | { committed: false };

/** The cluster's current state and its history. */
export interface StateStore {
  load(cluster: string): Promise<StoredCurrent | null>;
  /**
   * Writes the next current state if the stored version is still `expectedVersion` (null: no state
   * yet), adding alerts to the outbox and history items to write, in the same conditional write.
   * Returns false when another run committed first: that run owns the transition and its alerts.
   */
  commit(cluster: string, expectedVersion: number | null, next: CommitInput): Promise<CommitResult>;
  /** Writes pending history items and removes them from the current item's outbox. */
  flushHistory(cluster: string, items: HistoryItem[]): Promise<void>;
  /** Removes an alert the mail service accepted from the outbox. */
  markSent(cluster: string, alertId: string): Promise<void>;
  /** History items between two times, oldest first. */
  history(cluster: string, from: Date, to: Date, kinds?: HistoryItem["kind"][]): Promise<HistoryItem[]>;
}

/**
 * Coalesces pushed probes across concurrent runs (Lambda invocations share no memory): a claim holds for
 * a short time, and only the run that wins it probes.
 */
export interface PushGate {
  /** True when this run may probe now; false when another pushed probe holds the claim. */
  claim(cluster: string, holdMs: number): Promise<boolean>;
  /**
   * Counts one push of a node in the current window: true while the node has sent at most `max` in it,
   * false beyond (a flood). Throws when the count cannot be kept: the caller then refuses (fails closed).
   */
  admit(node: string, max: number, windowMs: number): Promise<boolean>;
}

/**
 * Sends an alert. Throws when the mail service did not accept it (the alert stays in the outbox);
 * returns the service's message id when it gives one.
 */
export interface Notifier {
  send(alert: Alert, deadline: Deadline): Promise<string | undefined>;
}

/** Publishes the state as metrics (EMF in Lambda, nothing or a log locally). */
export interface MetricsSink {
  publish(state: ClusterState, timings: { probeMs: number; nodeCheckMs: Record<string, number> }): void;
}

/** The consistency sweep's record of one pair, with its version and the lease of the slice running it. */
export interface StoredSweep {
  version: number;
  record: SweepRecord;
  /** Epoch ms until which a slice holds the sweep (0: none). */
  leaseUntil: number;
}

/**
 * Where the consistency sweep keeps its progress (the state table's "sweep" item). Each save is
 * conditional on the version read: of two slices that overlap, one goes on and the other stops.
 */
export interface SweepStore {
  loadSweep(cluster: string): Promise<StoredSweep | null>;
  /** Writes the record if the stored version is still `expectedVersion` (null: none yet); the new version, or null when another slice wrote first. */
  saveSweep(
    cluster: string,
    expectedVersion: number | null,
    record: SweepRecord,
    leaseUntil: number,
  ): Promise<number | null>;
}
