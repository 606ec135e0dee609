/**
 * The one place that builds the pipeline's observers from a cluster's configuration: the SQL probe,
 * the node checkers of both nodes and of the witnesses. The function, the CLI, the lab and the bench
 * all call it; they differ only in the password source and the SSM client they pass in.
 */
import type { SSMClient } from "@aws-sdk/client-ssm";
import { forwarderStreamOpener } from "./adapters/forwarder-stream.ts";
import { MysqlProbe } from "./adapters/mysql-probe.ts";
import { NetnsNodeChecker } from "./adapters/netns-runner.ts";
import { SshNodeChecker } from "./adapters/ssh-runner.ts";
import { SsmNodeChecker } from "./adapters/ssm-runner.ts";
import type { LabClusterConfig, RunnerConfig } from "./config.ts";
import type { PipelineDeps } from "./pipeline.ts";
import type { NodeChecker } from "./ports.ts";

export type Observers = Pick<PipelineDeps, "sql" | "nodeCheckers" | "witnessCheckers">;

export interface WiringOptions {
  /** The monitoring password, or how to read it at each probe (the function's secret). */
  readonly password: string | (() => Promise<string>);
  /** The SSM client for a runner's region (passed in, so one client serves every node). */
  readonly ssmClient: (region?: string) => SSMClient;
  /**
   * The runner types this process may use (the function: `ssm` only).
   * @default every type
   */
  readonly runners?: readonly RunnerConfig["type"][];
}

export function nodeCheckerFor(r: RunnerConfig, o: WiringOptions, where: string): NodeChecker {
  if (o.runners && !o.runners.includes(r.type))
    throw new Error(`${where}: the ${r.type} runner is not available here (use ${o.runners.join(" or ")})`);
  switch (r.type) {
    case "netns":
      return new NetnsNodeChecker(r.namespace);
    case "ssh":
      return new SshNodeChecker(r);
    case "ssm":
      return new SsmNodeChecker({
        client: o.ssmClient(r.region),
        documentName: r.documentName,
        instanceId: r.instanceId,
      });
  }
}

export function observersFor(c: LabClusterConfig, o: WiringOptions): Observers {
  return {
    sql: new MysqlProbe({
      user: c.mysql.user,
      password: o.password,
      connectTimeoutMs: c.mysql.connectTimeoutMs,
      queryTimeoutMs: c.mysql.queryTimeoutMs,
      totalTimeoutMs: c.mysql.totalTimeoutMs,
      ...(c.forwarderSocket ? { openStream: forwarderStreamOpener(c.forwarderSocket) } : {}),
    }),
    nodeCheckers: {
      a: nodeCheckerFor(c.nodes.a.runner, o, `cluster ${c.name}: node a`),
      b: nodeCheckerFor(c.nodes.b.runner, o, `cluster ${c.name}: node b`),
    },
    witnessCheckers: Object.fromEntries(
      c.witnesses.map((w) => [w.name, nodeCheckerFor(w.runner, o, `cluster ${c.name}: witness ${w.name}`)]),
    ),
  };
}
