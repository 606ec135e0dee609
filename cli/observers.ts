/** The observers of a configured cluster for the CLI: every runner type, the password read at start. */
import { createRequire } from "node:module";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { type LabClusterConfig, mysqlPassword } from "../shared/config.ts";
import { type Observers, observersFor as wire } from "../shared/wiring.ts";

const ssmClients = new Map<string, SSMClient>();
/** One SSM client per region, shared by every node of every cluster. */
function ssmClient(region?: string): SSMClient {
  const key = region ?? "";
  let client = ssmClients.get(key);
  if (!client) {
    // loaded only for a cluster that has ssm runners (the lab's do not): about 0.1 s of the CLI's start
    const { SSMClient: Client } = createRequire(import.meta.url)(
      "@aws-sdk/client-ssm",
    ) as typeof import("@aws-sdk/client-ssm");
    client = new Client({ ...(region ? { region } : {}), retryMode: "adaptive", maxAttempts: 3 });
    ssmClients.set(key, client);
  }
  return client;
}

/** The observers of one configured cluster, for the CLI (every runner type, the password at start). */
export function observersFor(c: LabClusterConfig): Observers {
  return wire(c, { password: mysqlPassword(c), ssmClient });
}

export { targetFromConfig } from "../shared/target.ts";
