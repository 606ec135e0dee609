/**
 * The observers of a configured cluster for the CLI: every runner type, the password read at start. The
 * SSM SDK is loaded only for a cluster that has ssm runners (the lab's do not): about 0.1 s of a start.
 */
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { LabClusterConfig } from "../shared/config.ts";
import { heartbeatPassword, mysqlPassword } from "../shared/config.ts";
import { type Observers, observersFor as wire } from "../shared/wiring.ts";

const ssmClients = new Map<string, SSMClient>();

export async function observersFor(c: LabClusterConfig): Promise<Observers> {
  const runners = [c.nodes.a.runner, c.nodes.b.runner, ...c.witnesses.map((w) => w.runner)];
  const passwords = {
    password: mysqlPassword(c),
    ...(c.heartbeat ? { heartbeatPassword: heartbeatPassword(c) } : {}),
  };
  if (!runners.some((r) => r.type === "ssm")) return wire(c, passwords);
  const [{ SSMClient: Client }, { SsmNodeChecker }] = await Promise.all([
    import("@aws-sdk/client-ssm"),
    import("../shared/adapters/ssm-runner.ts"),
  ]);
  /** One SSM client per region, shared by every node of every cluster. */
  const client = (region?: string): SSMClient => {
    const key = region ?? "";
    let existing = ssmClients.get(key);
    if (!existing) {
      existing = new Client({ ...(region ? { region } : {}), retryMode: "adaptive", maxAttempts: 3 });
      ssmClients.set(key, existing);
    }
    return existing;
  };
  return wire(c, {
    ...passwords,
    ssm: (r) =>
      new SsmNodeChecker({
        client: client(r.region),
        documentName: r.documentName,
        instanceId: r.instanceId,
      }),
  });
}

export { targetFromConfig } from "../shared/target.ts";
