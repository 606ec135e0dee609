/** The per-cluster CloudWatch dashboard: status, VIP owner, nodes, lag, probe duration, the prober's health. */
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRICS } from "../../shared/metrics.ts";
import type { ClusterMetricFactory } from "./metric-factory.ts";

export interface ClusterDashboardProps {
  readonly cluster: string;
  readonly metrics: ClusterMetricFactory;
  readonly function: lambda.IFunction;
  readonly failureQueue: sqs.IQueue;
}

export class ClusterDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ClusterDashboardProps) {
    super(scope, id);
    const f = props.metrics;
    const m = (name: (typeof METRICS)[keyof typeof METRICS], label: string, statistic = "Maximum") =>
      f.metric(name, statistic, { label });
    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: dashboardNameFor(props.cluster),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${props.cluster}\nClusterStatus: 0 HEALTHY, 1 DEGRADED, 2 UNKNOWN, 3 DOWN, 4 SPLIT_BRAIN. VipOwner: 0 unknown, 1 A, 2 B, 3 both.`,
        width: 24,
        height: 2,
      }),
      new cloudwatch.GraphWidget({
        title: "Cluster status (declared)",
        left: [m(METRICS.clusterStatus, "status"), m(METRICS.splitBrain, "split brain")],
        leftYAxis: { min: 0, max: 4 },
        right: [m(METRICS.openIncidents, "open incidents", "Maximum")],
        rightYAxis: { min: 0 },
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "VIP owner",
        left: [m(METRICS.vipOwner, "owner")],
        leftYAxis: { min: 0, max: 3 },
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "MySQL up",
        left: [m(METRICS.mysqlUpA, "node A", "Minimum"), m(METRICS.mysqlUpB, "node B", "Minimum")],
        leftYAxis: { min: 0, max: 1 },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: "keepalived up",
        left: [m(METRICS.keepalivedUpA, "node A", "Minimum"), m(METRICS.keepalivedUpB, "node B", "Minimum")],
        leftYAxis: { min: 0, max: 1 },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: "Replication lag (s)",
        left: [m(METRICS.replicationLagAtoB, "A→B"), m(METRICS.replicationLagBtoA, "B→A")],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: "Probe and node-check duration (ms)",
        left: [
          m(METRICS.probeDuration, "probe", "p95"),
          m(METRICS.nodeCheckDurationA, "node check A", "p95"),
          m(METRICS.nodeCheckDurationB, "node check B", "p95"),
        ],
        width: 12,
      }),
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
    );
  }
}

/** The dashboard's name for a cluster (the function links it from its mails). */
export function dashboardNameFor(cluster: string): string {
  return `mysql-ha-prober-${cluster}`.replace(/[^A-Za-z0-9_-]/g, "-");
}
