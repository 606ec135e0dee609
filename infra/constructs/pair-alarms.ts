/**
 * The two alarms one pair brings, both on its ClusterStatus series, mailed through the fleet's topic:
 * DOWN or SPLIT_BRAIN (kept in ALARM while the prober is silent, so a dying prober never reads as
 * "resolved"), and the pair's dead man's switch (no completed probe of this pair).
 */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { METRICS, STATUS_CODE } from "../../shared/metrics.ts";
import type { ProberMetricFactory } from "./metric-factory.ts";

export interface PairAlarmsProps {
  readonly cluster: string;
  /**
   * The fleet's name: in the alarm names when it is not the default, so two fleets of one account and
   * region with a pair of the same name do not share (and overwrite) its alarms.
   * @default "fleet" (names without it, as deployments before named fleets have them)
   */
  readonly fleet?: string;
  readonly metrics: ProberMetricFactory;
  /** Where ALARM and OK are mailed (the fleet's alarm topic). */
  readonly topic: sns.ITopic;
  /** How often the pair's schedule runs: the dead man's switch counts in these periods. */
  readonly scheduleRate: Duration;
  /**
   * Minutes without a completed probe of this pair before its dead man's switch fires.
   * @default the larger of 5 minutes and 3 schedule periods
   */
  readonly deadMansSwitchMinutes?: number;
}

export type PairAlarmName = "downOrSplitBrain" | "deadMansSwitch";

/** The fleet name that keeps the alarm names of deployments made before fleets were named. */
export const DEFAULT_FLEET = "fleet";

/**
 * The alarm's name: mysql-ha-prober-<pair>-<what> in the default fleet, mysql-ha-prober-<fleet>-<pair>-<what>
 * in a named one (the SNS mail and the console say which fleet, pair and what).
 */
export function pairAlarmName(
  cluster: string,
  what: "DownOrSplitBrain" | "DeadMansSwitch",
  fleet = DEFAULT_FLEET,
): string {
  return fleet === DEFAULT_FLEET
    ? `mysql-ha-prober-${cluster}-${what}`
    : `mysql-ha-prober-${fleet}-${cluster}-${what}`;
}

export class PairAlarms extends Construct {
  readonly alarms: Record<PairAlarmName, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: PairAlarmsProps) {
    super(scope, id);
    const c = props.cluster;
    const action = new cwActions.SnsAction(props.topic);
    const alarm = (alarmId: "DownOrSplitBrain" | "DeadMansSwitch", p: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        alarmName: pairAlarmName(c, alarmId, props.fleet),
        ...p,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      return a;
    };
    const rateMinutes = Math.max(1, Math.round(props.scheduleRate.toMinutes({ integral: false })));
    const deadMinutes = props.deadMansSwitchMinutes ?? Math.max(5, 3 * rateMinutes);
    this.alarms = {
      downOrSplitBrain: alarm("DownOrSplitBrain", {
        alarmDescription: `${c}: DOWN (nothing serves the VIP) or SPLIT BRAIN (the VIP on both nodes): the prober's mail says which and what to do. ClusterStatus 3 is DOWN, 4 SPLIT_BRAIN. Stays in ALARM while the prober is silent.`,
        metric: props.metrics.metric(c, METRICS.clusterStatus, "Maximum"),
        threshold: STATUS_CODE.DOWN,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        // the prober dying mid-incident must not read as "resolved"
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
      deadMansSwitch: alarm("DeadMansSwitch", {
        alarmDescription: `${c}: no completed probe of this pair for ${deadMinutes} minutes: its schedule, the prober or its access to the pair is broken (see the prober's log group and failure queue).`,
        metric: props.metrics.metric(c, METRICS.clusterStatus, "SampleCount", {
          period: Duration.minutes(rateMinutes),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: Math.max(1, Math.ceil(deadMinutes / rateMinutes)),
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    };
  }
}
