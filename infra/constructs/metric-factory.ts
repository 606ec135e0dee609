/**
 * The one metric factory of a cluster: every alarm and every dashboard widget asks it for a metric, so
 * they cannot ask for different names, namespaces or dimension sets than the function emits.
 */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { CLUSTER_DIMENSION, METRIC_NAMESPACE, type METRICS } from "../../shared/metrics.ts";

export type ClusterMetricName = (typeof METRICS)[keyof typeof METRICS];

export interface ClusterMetricFactoryProps {
  /** The cluster's name: the value of the `Cluster` dimension. */
  readonly cluster: string;
  /**
   * The period of every metric unless one is given.
   * @default Duration.minutes(1)
   */
  readonly period?: Duration;
}

export class ClusterMetricFactory {
  /** Every metric asked for so far: the contract test compares them with what the function emits. */
  readonly used = new Set<ClusterMetricName>();

  constructor(private readonly props: ClusterMetricFactoryProps) {}

  metric(
    name: ClusterMetricName,
    statistic: string,
    options: { readonly period?: Duration; readonly label?: string } = {},
  ): cloudwatch.Metric {
    this.used.add(name);
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: name,
      // exactly the set the function emits (shared/adapters/emf-metrics.ts): CloudWatch matches it whole
      dimensionsMap: { [CLUSTER_DIMENSION]: this.props.cluster },
      statistic,
      period: options.period ?? this.props.period ?? Duration.minutes(1),
      ...(options.label ? { label: options.label } : {}),
    });
  }
}
