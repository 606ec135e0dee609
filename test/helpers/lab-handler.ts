/**
 * The Lambda handler as the function builds it, wired to a lab (namespace runners, the lab's forwarder)
 * and to a local DynamoDB and SES. Used by the handler's lab test and by bench/handler-memory.ts.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SESClient } from "@aws-sdk/client-ses";
import { parseEnv } from "../../functions/probe/env.ts";
import { buildHandler } from "../../functions/probe/handler.ts";
import type { Lab } from "../../lab/lab.ts";
import { labConfig, labPorts } from "../../lab/target.ts";
import { DynamoStore } from "../../shared/adapters/dynamo-store.ts";
import { SesNotifier } from "../../shared/adapters/ses-notifier.ts";

export interface LocalAws {
  dynamo: DynamoDBClient;
  tableName: string;
  ses: SESClient;
}

/** `env` adds to or overrides the function's environment. */
export function labHandler(lab: Lab, aws: LocalAws, env: Record<string, string> = {}) {
  return buildHandler(
    parseEnv({
      CLUSTER_CONFIG: JSON.stringify((labConfig(lab) as { clusters: unknown[] }).clusters[0]),
      TABLE_NAME: aws.tableName,
      MAIL_FROM: "prober@example.com",
      MAIL_TO: "ops@example.com",
      ...env,
    }),
    {
      ...labPorts(lab),
      store: new DynamoStore({ client: aws.dynamo, tableName: aws.tableName }),
      notifier: new SesNotifier({ client: aws.ses, from: "prober@example.com", to: ["ops@example.com"] }),
    },
  );
}
