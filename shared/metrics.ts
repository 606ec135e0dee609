/**
 * The metrics the prober publishes (one CloudWatch namespace, dimension Cluster). The dashboard and
 * the alarms in infra/ reference these names only; a contract test checks the handler emits each.
 */
import { openIncidents } from "./domain/incidents.ts";
import type { ClusterState, Status } from "./domain/state.ts";

export const METRIC_NAMESPACE = "MysqlHaProber";
export const CLUSTER_DIMENSION = "Cluster";

export const METRICS = {
  /** 0 HEALTHY, 1 DEGRADED, 2 UNKNOWN, 3 DOWN, 4 SPLIT_BRAIN (declared status). */
  clusterStatus: "ClusterStatus",
  /** 1 while the declared status is SPLIT_BRAIN. */
  splitBrain: "SplitBrain",
  /** 1 while the declared status is DOWN. */
  clusterDown: "ClusterDown",
  /** 0 unknown, 1 node A, 2 node B, 3 both. */
  vipOwner: "VipOwner",
  mysqlUpA: "MysqlUpA",
  mysqlUpB: "MysqlUpB",
  keepalivedUpA: "KeepalivedUpA",
  keepalivedUpB: "KeepalivedUpB",
  /** Seconds; published only when known. */
  replicationLagAtoB: "ReplicationLagAtoB",
  replicationLagBtoA: "ReplicationLagBtoA",
  /** 1 per completed probe: the dead man's switch alarms when it is missing. */
  probeCompleted: "ProbeCompleted",
  probeDuration: "ProbeDuration",
  nodeCheckDurationA: "NodeCheckDurationA",
  nodeCheckDurationB: "NodeCheckDurationB",
  /** Incidents open (not acknowledged, not expired): events between probes waiting for an operator. */
  openIncidents: "OpenIncidents",
  /**
   * Pairs with the consistency sweep: rows confirmed different between the nodes plus tables defined
   * differently, as known at this probe (the pass under way, and the last pass for the tables it has not
   * reached yet). Not published without the sweep, nor before its first pass has finished (unless it has
   * already found differences).
   */
  dataDifferences: "DataDifferences",
} as const;

/**
 * The metrics every pair publishes whatever the settings: the two alarms of a pair (DOWN or split brain:
 * Maximum >= 3; the dead man's switch: SampleCount) and the fleet dashboard read ClusterStatus, and the
 * dashboard DataDifferences (published by the pairs with the consistency sweep only). The rest are custom
 * metrics only with detailed metrics on, else log fields of the same EMF record.
 */
export const PAIR_METRICS: ReadonlySet<string> = new Set([METRICS.clusterStatus, METRICS.dataDifferences]);

export const STATUS_CODE: Record<Status, number> = {
  HEALTHY: 0,
  DEGRADED: 1,
  UNKNOWN: 2,
  DOWN: 3,
  SPLIT_BRAIN: 4,
};

export type MetricUnitName = "Count" | "Seconds" | "Milliseconds" | "None";

/** The values to publish for one probe, pure. */
export function metricValues(
  s: ClusterState,
  timings: { probeMs: number; nodeCheckMs: Record<string, number> },
): { name: string; unit: MetricUnitName; value: number }[] {
  const up = (v: boolean) => (v ? 1 : 0);
  const out: { name: string; unit: MetricUnitName; value: number }[] = [
    { name: METRICS.clusterStatus, unit: "None", value: STATUS_CODE[s.status] },
    { name: METRICS.splitBrain, unit: "Count", value: up(s.status === "SPLIT_BRAIN") },
    { name: METRICS.clusterDown, unit: "Count", value: up(s.status === "DOWN") },
    {
      name: METRICS.vipOwner,
      unit: "None",
      value: s.vipOwner === "a" ? 1 : s.vipOwner === "b" ? 2 : s.vipOwner === "both" ? 3 : 0,
    },
    {
      name: METRICS.mysqlUpA,
      unit: "Count",
      value: up(s.nodes.a.mysql === "up" || s.nodes.a.mysql === "alive"),
    },
    {
      name: METRICS.mysqlUpB,
      unit: "Count",
      value: up(s.nodes.b.mysql === "up" || s.nodes.b.mysql === "alive"),
    },
    {
      name: METRICS.keepalivedUpA,
      unit: "Count",
      value: up(s.nodes.a.keepalived !== null && s.nodes.a.keepalived !== "DOWN"),
    },
    {
      name: METRICS.keepalivedUpB,
      unit: "Count",
      value: up(s.nodes.b.keepalived !== null && s.nodes.b.keepalived !== "DOWN"),
    },
    { name: METRICS.probeCompleted, unit: "Count", value: 1 },
    { name: METRICS.openIncidents, unit: "Count", value: openIncidents(s.incidents).length },
    { name: METRICS.probeDuration, unit: "Milliseconds", value: timings.probeMs },
  ];
  // not before the sweep has seen something: no pass finished and nothing found is not "no difference"
  if (s.consistency && (s.consistency.last || s.consistency.differences > 0))
    out.push({ name: METRICS.dataDifferences, unit: "Count", value: s.consistency.differences });
  const lagAB = s.nodes.b.replication?.lagSeconds;
  const lagBA = s.nodes.a.replication?.lagSeconds;
  if (lagAB !== null && lagAB !== undefined)
    out.push({ name: METRICS.replicationLagAtoB, unit: "Seconds", value: lagAB });
  if (lagBA !== null && lagBA !== undefined)
    out.push({ name: METRICS.replicationLagBtoA, unit: "Seconds", value: lagBA });
  if (timings.nodeCheckMs.a !== undefined)
    out.push({ name: METRICS.nodeCheckDurationA, unit: "Milliseconds", value: timings.nodeCheckMs.a });
  if (timings.nodeCheckMs.b !== undefined)
    out.push({ name: METRICS.nodeCheckDurationB, unit: "Milliseconds", value: timings.nodeCheckMs.b });
  return out;
}
