/**
 * MetricsSink over Powertools Metrics (CloudWatch EMF in the function's log). The Metrics object is
 * passed in. Every datapoint carries exactly the dimension set {Cluster}: CloudWatch matches an alarm
 * on the exact set, so the default `service` dimension Powertools adds is cleared here.
 *
 * A fleet pays per custom metric: unless `detailed`, only the metrics the alarms and the fleet dashboard
 * read (PAIR_METRICS) are declared as metrics; every other value rides in the same EMF record as a plain
 * field, which Logs Insights reads and CloudWatch does not bill as a metric.
 */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { ClusterState } from "../domain/state.ts";
import { CLUSTER_DIMENSION, metricValues, PAIR_METRICS } from "../metrics.ts";
import type { MetricsSink } from "../ports.ts";

export interface EmfMetricsSinkOptions {
  /**
   * Publish every per-pair value as a metric.
   * @default false (only PAIR_METRICS; the rest as fields)
   */
  readonly detailed?: boolean;
}

export class EmfMetricsSink implements MetricsSink {
  constructor(
    private readonly metrics: Metrics,
    private readonly options: EmfMetricsSinkOptions = {},
  ) {}

  publish(state: ClusterState, timings: { probeMs: number; nodeCheckMs: Record<string, number> }): void {
    this.metrics.clearDefaultDimensions();
    this.metrics.addDimension(CLUSTER_DIMENSION, state.cluster);
    for (const m of metricValues(state, timings)) {
      if (this.options.detailed || PAIR_METRICS.has(m.name))
        this.metrics.addMetric(m.name, m.unit as never, m.value);
      else this.metrics.addMetadata(m.name, m.value as never);
    }
    // One EMF document per probe (the sub-minute mode probes several times per invocation).
    this.metrics.publishStoredMetrics();
  }
}
