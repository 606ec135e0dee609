/** The ports: small interfaces the pipeline depends on; adapters implement them. */
import type { SqlObservation } from "./domain/sql.ts";
import type { Deadline, EndpointName } from "./domain/types.ts";

export interface SqlEndpoint {
  name: EndpointName;
  host: string;
  port: number;
}

/** Observes one MySQL endpoint. Never throws for what it observed: failures are in the observation. */
export interface SqlProbe {
  observe(endpoint: SqlEndpoint, deadline: Deadline): Promise<SqlObservation>;
}
