/**
 * Without a dashboard (`dashboard: false`), the fleet view as Logs Insights saved queries, which cost
 * nothing to keep (a query run is billed by the log data it scans): the pairs not HEALTHY and since
 * when, the least recently probed pairs, and the last probes of every pair.
 */
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { FLEET_QUERIES } from "./fleet-dashboard.ts";

export interface FleetQueriesProps {
  /** The fleet's name: the queries are saved under `mysql-ha-prober/<fleet>/`. */
  readonly fleet: string;
  readonly logGroup: logs.ILogGroup;
}

export class FleetQueries extends Construct {
  readonly queries: logs.CfnQueryDefinition[];

  constructor(scope: Construct, id: string, props: FleetQueriesProps) {
    super(scope, id);
    const save = (name: string, lines: readonly string[]) =>
      new logs.CfnQueryDefinition(this, name.replace(/[^A-Za-z0-9]/g, ""), {
        name: `mysql-ha-prober/${props.fleet}/${name}`,
        queryString: lines.join("\n| "),
        logGroupNames: [props.logGroup.logGroupName],
      });
    this.queries = [
      save("pairs not HEALTHY", FLEET_QUERIES.notHealthy),
      save("least recently probed", FLEET_QUERIES.leastRecentlyProbed),
      save("last probes", [
        'filter message = "probe"',
        FLEET_QUERIES.probeFields,
        "sort @timestamp desc",
        "limit 100",
      ]),
    ];
  }
}
