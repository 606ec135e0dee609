/**
 * The fleet's one dashboard: every pair's declared status at a glance (a SEARCH over ClusterStatus, and
 * the pairs not HEALTHY with the time their status began, from the probe log), the least recently probed
 * pairs, one pair in detail (the `pair` variable: its status and its last probes), and the prober's own
 * health (invocations, errors, throttles, duration, concurrency, the failure queue).
 */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRICS } from "../../shared/metrics.ts";
import type { ProberMetricFactory } from "./metric-factory.ts";

/**
 * The fleet's Logs Insights queries over the probe log, one line per command: the dashboard's tables, and
 * the queries saved in Logs Insights when there is no dashboard (FleetQueries).
 */
export const FLEET_QUERIES = {
  notHealthy: [
    'filter message = "probe"',
    "stats latest(status) as declared, latest(statusSince) as since, latest(probeStatus) as lastProbe, max(@timestamp) as probedAt by cluster",
    'filter declared != "HEALTHY"',
    "sort since asc",
  ],
  leastRecentlyProbed: [
    'filter message = "probe"',
    "stats max(@timestamp) as probedAt by cluster",
    "sort probedAt asc",
    "limit 10",
  ],
  /** The columns of the saved "last probes" query. */
  probeFields:
    "fields @timestamp, cluster, status, probeStatus, vipOwner, findings.0, findings.1, committed, mailsSent, probeMs",
} as const;

/** Replaced in the dashboard's JSON by the pair chosen with the `pair` variable. */
export const SELECTED_PAIR = "SELECTED_PAIR";

export interface FleetDashboardProps {
  readonly dashboardName: string;
  /** The pairs' names (the `pair` variable's choices, in this order; the first one is shown first). */
  readonly pairs: readonly string[];
  readonly metrics: ProberMetricFactory;
  readonly function: lambda.IFunction;
  readonly logGroup: logs.ILogGroup;
  readonly failureQueue: sqs.IQueue;
  /**
   * Graph the selected pair's detailed metrics (VIP owner, MySQL and keepalived up, lag, durations).
   * @default false (the function then publishes them as log fields, shown in the pair's probe table)
   */
  readonly detailedMetrics?: boolean;
  /**
   * Some pair has the consistency sweep: graph every such pair's DataDifferences (rows confirmed
   * different plus tables defined differently).
   * @default false
   */
  readonly consistencySweep?: boolean;
}

/** The selected pair's metric `name`, with its label and statistic. */
type PairMetric = (
  name: (typeof METRICS)[keyof typeof METRICS],
  label: string,
  statistic?: string,
) => cloudwatch.Metric;

export class FleetDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: FleetDashboardProps) {
    super(scope, id);
    const pair: PairMetric = (name, label, statistic = "Maximum") =>
      props.metrics.metric(SELECTED_PAIR, name, statistic, { label });
    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: props.dashboardName,
      variables: [
        new cloudwatch.DashboardVariable({
          id: "pair",
          label: "pair",
          type: cloudwatch.VariableType.PATTERN,
          inputType: cloudwatch.VariableInputType.SELECT,
          value: SELECTED_PAIR,
          values: cloudwatch.Values.fromValues(...props.pairs.map((value) => ({ value }))),
          defaultValue: cloudwatch.DefaultValue.value(props.pairs[0] ?? SELECTED_PAIR),
        }),
      ],
    });
    this.dashboard.addWidgets(
      ...this.fleetWidgets(props),
      ...this.pairWidgets(props, pair),
      ...(props.consistencySweep ? [this.consistencyWidget(props)] : []),
      ...(props.detailedMetrics ? this.detailWidgets(pair) : []),
      ...this.proberWidgets(props),
    );
  }

  /** The whole fleet: every pair's status, the pairs not HEALTHY, the least recently probed. */
  private fleetWidgets(props: FleetDashboardProps): cloudwatch.IWidget[] {
    const f = props.metrics;
    const logGroupNames = [props.logGroup.logGroupName];
    return [
      new cloudwatch.TextWidget({
        markdown: `# mysql-ha-prober: ${props.pairs.length} pair${props.pairs.length === 1 ? "" : "s"}\nClusterStatus: 0 HEALTHY, 1 DEGRADED, 2 UNKNOWN, 3 DOWN, 4 SPLIT_BRAIN. Choose a pair with the **pair** variable above for its detail.`,
        width: 24,
        height: 2,
      }),
      new cloudwatch.GraphWidget({
        title: "Every pair's status (declared)",
        left: [f.everyPair(METRICS.clusterStatus, "Maximum")],
        leftYAxis: { min: 0, max: 4 },
        legendPosition: cloudwatch.LegendPosition.RIGHT,
        width: 24,
      }),
      new cloudwatch.LogQueryWidget({
        title: "Pairs not HEALTHY: status and since when (latest probe of each pair)",
        logGroupNames,
        queryLines: [...FLEET_QUERIES.notHealthy],
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        width: 16,
        height: 6,
      }),
      new cloudwatch.LogQueryWidget({
        title: "Least recently probed pairs (a silent pair has its own dead man's switch)",
        logGroupNames,
        queryLines: [...FLEET_QUERIES.leastRecentlyProbed],
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        width: 8,
        height: 6,
      }),
    ];
  }

  /** The pair chosen with the `pair` variable: its status and its last probes. */
  private pairWidgets(props: FleetDashboardProps, pair: PairMetric): cloudwatch.IWidget[] {
    const logGroupNames = [props.logGroup.logGroupName];
    return [
      new cloudwatch.TextWidget({ markdown: `## The selected pair: ${SELECTED_PAIR}`, width: 24, height: 1 }),
      new cloudwatch.GraphWidget({
        title: `${SELECTED_PAIR}: status (declared)`,
        left: [pair(METRICS.clusterStatus, "status")],
        leftYAxis: { min: 0, max: 4 },
        width: 8,
      }),
      new cloudwatch.LogQueryWidget({
        title: `${SELECTED_PAIR}: last probes`,
        logGroupNames,
        queryLines: [
          `filter message = "probe" and cluster = "${SELECTED_PAIR}"`,
          "fields @timestamp, status, probeStatus, vipOwner, findings.0, findings.1, committed, mailsSent, probeMs",
          "sort @timestamp desc",
          "limit 30",
        ],
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        width: 16,
        height: 6,
      }),
    ];
  }

  /** The consistency sweep: every swept pair's rows differing between its nodes. */
  private consistencyWidget(props: FleetDashboardProps): cloudwatch.IWidget {
    return new cloudwatch.GraphWidget({
      title: "Data differing between the nodes (consistency sweep: rows + tables defined differently)",
      left: [props.metrics.everyPair(METRICS.dataDifferences, "Maximum")],
      leftYAxis: { min: 0 },
      legendPosition: cloudwatch.LegendPosition.RIGHT,
      width: 24,
    });
  }

  /** The prober itself: invocations, errors, throttles, the failure queue, duration and concurrency. */
  private proberWidgets(props: FleetDashboardProps): cloudwatch.IWidget[] {
    return [
      new cloudwatch.GraphWidget({
        title: "The prober: invocations, errors, throttles, failure queue",
        left: [
          props.function.metricInvocations(),
          props.function.metricErrors(),
          props.function.metricThrottles(),
          props.failureQueue.metricApproximateNumberOfMessagesVisible({ statistic: "Maximum" }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "The prober: duration and concurrency",
        left: [props.function.metricDuration({ statistic: "p95", period: Duration.minutes(1) })],
        right: [
          new cloudwatch.Metric({
            namespace: "AWS/Lambda",
            metricName: "ConcurrentExecutions",
            dimensionsMap: { FunctionName: props.function.functionName },
            statistic: "Maximum",
            period: Duration.minutes(1),
          }),
        ],
        width: 12,
      }),
    ];
  }

  private detailWidgets(pair: PairMetric): cloudwatch.IWidget[] {
    return [
      new cloudwatch.GraphWidget({
        title: `${SELECTED_PAIR}: VIP owner (1 A, 2 B, 3 both)`,
        left: [pair(METRICS.vipOwner, "owner")],
        leftYAxis: { min: 0, max: 3 },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: `${SELECTED_PAIR}: MySQL and keepalived up`,
        left: [
          pair(METRICS.mysqlUpA, "MySQL A", "Minimum"),
          pair(METRICS.mysqlUpB, "MySQL B", "Minimum"),
          pair(METRICS.keepalivedUpA, "keepalived A", "Minimum"),
          pair(METRICS.keepalivedUpB, "keepalived B", "Minimum"),
        ],
        leftYAxis: { min: 0, max: 1 },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: `${SELECTED_PAIR}: replication lag (s)`,
        left: [pair(METRICS.replicationLagAtoB, "A→B"), pair(METRICS.replicationLagBtoA, "B→A")],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: `${SELECTED_PAIR}: probe and node-check duration (ms), open incidents`,
        left: [
          pair(METRICS.probeDuration, "probe", "p95"),
          pair(METRICS.nodeCheckDurationA, "node check A", "p95"),
          pair(METRICS.nodeCheckDurationB, "node check B", "p95"),
        ],
        right: [pair(METRICS.openIncidents, "open incidents")],
        width: 24,
      }),
    ];
  }
}
