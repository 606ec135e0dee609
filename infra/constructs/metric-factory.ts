/**
 * The one metric factory of a fleet: every alarm and every dashboard widget asks it for a metric, so
 * they cannot ask for different names, namespaces or dimension sets than the function emits. One pair's
 * series carries exactly {Cluster: <pair>}; the fleet-wide view is a SEARCH over that same set.
 */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { CLUSTER_DIMENSION, METRIC_NAMESPACE, type METRICS } from "../../shared/metrics.ts";

export type ClusterMetricName = (typeof METRICS)[keyof typeof METRICS];

export interface ProberMetricFactoryProps {
  /**
   * The period of every metric unless one is given.
   * @default Duration.minutes(1)
   */
  readonly period?: Duration;
}

export class ProberMetricFactory {
  /** Every metric asked for so far: the contract test compares them with what the function emits. */
  readonly used = new Set<ClusterMetricName>();

  constructor(private readonly props: ProberMetricFactoryProps = {}) {}

  /** One pair's series of `name`. */
  metric(
    cluster: string,
    name: ClusterMetricName,
    statistic: string,
    options: { readonly period?: Duration; readonly label?: string } = {},
  ): cloudwatch.Metric {
    this.used.add(name);
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: name,
      // exactly the set the function emits (shared/adapters/emf-metrics.ts): CloudWatch matches it whole
      dimensionsMap: { [CLUSTER_DIMENSION]: cluster },
      statistic,
      period: this.period(options.period),
      ...(options.label ? { label: options.label } : {}),
    });
  }

  /** Every pair's series of `name`, one line per pair (a SEARCH: pairs added later appear by themselves). */
  everyPair(
    name: ClusterMetricName,
    statistic: string,
    options: { readonly period?: Duration; readonly label?: string } = {},
  ): cloudwatch.MathExpression {
    this.used.add(name);
    const period = this.period(options.period);
    return new cloudwatch.MathExpression({
      expression: `SEARCH('{${METRIC_NAMESPACE},${CLUSTER_DIMENSION}} MetricName="${name}"', '${statistic}', ${period.toSeconds()})`,
      label: options.label ?? "",
      period,
      usingMetrics: {},
    });
  }

  private period(p?: Duration): Duration {
    return p ?? this.props.period ?? Duration.minutes(1);
  }
}
