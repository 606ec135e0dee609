/** The per-cluster CloudWatch dashboard: status over time, VIP owner, nodes, lag, keepalived, probe duration. */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { Construct } from "constructs";
import { CLUSTER_DIMENSION, METRIC_NAMESPACE, METRICS } from "../shared/metrics.ts";

/** Every metric name the dashboard plots: the contract test checks the handler emits each. */
export const DASHBOARD_METRICS = [
  METRICS.clusterStatus,
  METRICS.splitBrain,
  METRICS.vipOwner,
  METRICS.mysqlUpA,
  METRICS.mysqlUpB,
  METRICS.keepalivedUpA,
  METRICS.keepalivedUpB,
  METRICS.replicationLagAtoB,
  METRICS.replicationLagBtoA,
  METRICS.probeDuration,
  METRICS.nodeCheckDurationA,
  METRICS.nodeCheckDurationB,
] as const;

export function buildDashboard(
  scope: Construct,
  id: string,
  cluster: string,
  fn: lambda.IFunction,
): cloudwatch.Dashboard {
  const m = (name: string, label: string, statistic = "Maximum") =>
    new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: name,
      dimensionsMap: { [CLUSTER_DIMENSION]: cluster },
      statistic,
      period: Duration.minutes(1),
      label,
    });
  const d = new cloudwatch.Dashboard(scope, id, {
    dashboardName: `mysql-ha-prober-${cluster}`.replace(/[^A-Za-z0-9_-]/g, "-"),
  });
  d.addWidgets(
    new cloudwatch.TextWidget({
      markdown: `# ${cluster}\nClusterStatus: 0 HEALTHY, 1 DEGRADED, 2 UNKNOWN, 3 DOWN, 4 SPLIT_BRAIN. VipOwner: 0 unknown, 1 A, 2 B, 3 both.`,
      width: 24,
      height: 2,
    }),
    new cloudwatch.GraphWidget({
      title: "Cluster status (declared)",
      left: [m(METRICS.clusterStatus, "status"), m(METRICS.splitBrain, "split brain")],
      leftYAxis: { min: 0, max: 4 },
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
      title: "Prober function errors",
      left: [fn.metricErrors(), fn.metricInvocations()],
      width: 12,
    }),
  );
  return d;
}
