/**
 * The Lambda handler as the function builds it, with the environment the construct gives it for this
 * lab's deployment file (nodes as SSM managed nodes, the password in a secret), its observers replaced
 * by the lab's (namespace runners, the forwarder) and its store and mail by local ones. Used by the
 * handler's lab test and by bench/handler-memory.ts; the rehearsal runs the synthesized asset instead.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SESClient } from "@aws-sdk/client-ses";
import { parseEnv } from "../functions/probe/env.ts";
import { parseFleet } from "../functions/probe/fleet.ts";
import { buildHandler } from "../functions/probe/handler.ts";
import { DynamoStore } from "../shared/adapters/dynamo-store.ts";
import { SesNotifier } from "../shared/adapters/ses-notifier.ts";
import type { Lab } from "./lab.ts";
import { labDeployment, labPorts } from "./lab-config.ts";

export interface LocalAws {
  dynamo: DynamoDBClient;
  tableName: string;
  ses: SESClient;
}

/** `env` adds to or overrides the function's environment. */
export function labHandler(lab: Lab, aws: LocalAws, env: Record<string, string> = {}) {
  const d = labDeployment(lab) as {
    clusters: unknown[];
    deploy: { passwordSecretArn: string; heartbeatPasswordSecretArn: string };
  };
  return buildHandler(
    parseEnv({
      TABLE_NAME: aws.tableName,
      MAIL_FROM: "prober@example.com",
      MAIL_TO: "ops@example.com",
      PASSWORD_SECRET_ARN: d.deploy.passwordSecretArn,
      HEARTBEAT_PASSWORD_SECRET_ARN: d.deploy.heartbeatPasswordSecretArn,
      ...env,
    }),
    {
      ...labPorts(lab),
      store: new DynamoStore({ client: aws.dynamo, tableName: aws.tableName }),
      notifier: new SesNotifier({ client: aws.ses, from: "prober@example.com", to: ["ops@example.com"] }),
    },
    // the lab's pair as the fleet file carries it
    { fleet: parseFleet(JSON.stringify(d.clusters), "the lab's deployment") },
  );
}

/** What the lab pair's schedule sends. */
export function scheduledEvent(lab: Lab): { clusters: string[] } {
  return { clusters: [(labDeployment(lab) as { clusters: { name: string }[] }).clusters[0]?.name as string] };
}
