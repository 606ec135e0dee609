/** The ports: small interfaces the pipeline depends on; adapters implement them. */
import type { NodeCheckResult } from "./domain/node.ts";
import type { SqlObservation } from "./domain/sql.ts";
import type { Deadline, EndpointName } from "./domain/types.ts";
import type { NodeCheckParams } from "./node-check/params.ts";

export interface SqlEndpoint {
  name: EndpointName;
  host: string;
  port: number;
}

/** Observes one MySQL endpoint. Never throws for what it observed: failures are in the observation. */
export interface SqlProbe {
  observe(endpoint: SqlEndpoint, deadline: Deadline): Promise<SqlObservation>;
}

/** Runs the node-check script on one host. Never throws: failures are in the result. */
export interface NodeChecker {
  /** What the check runs on (instance id, namespace, host), for messages. */
  readonly target: string;
  check(params: NodeCheckParams, deadline: Deadline): Promise<NodeCheckResult>;
}
