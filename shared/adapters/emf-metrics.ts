/**
 * MetricsSink over Powertools Metrics (CloudWatch EMF in the function's log). The Metrics object is
 * passed in. Every datapoint carries exactly the dimension set {Cluster}: CloudWatch matches an alarm
 * on the exact set, so the default `service` dimension Powertools adds is cleared here.
 */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { ClusterState } from "../domain/state.ts";
import { CLUSTER_DIMENSION, metricValues } from "../metrics.ts";
import type { MetricsSink } from "../ports.ts";

export class EmfMetricsSink implements MetricsSink {
  constructor(private readonly metrics: Metrics) {}

  publish(state: ClusterState, timings: { probeMs: number; nodeCheckMs: Record<string, number> }): void {
    this.metrics.clearDefaultDimensions();
    this.metrics.addDimension(CLUSTER_DIMENSION, state.cluster);
    for (const m of metricValues(state, timings)) {
      this.metrics.addMetric(m.name, m.unit as never, m.value);
    }
    // One EMF document per probe (the sub-minute mode probes several times per invocation).
    this.metrics.publishStoredMetrics();
  }
}
