/**
 * The one place that builds the pipeline's observers from a cluster's configuration: the SQL probe,
 * the node checkers of both nodes and of the witnesses. The function, the CLI, the lab and the bench
 * all call it; they differ only in the password source and the SSM client they pass in.
 */

import { readFileSync } from "node:fs";
import { forwarderStreamOpener } from "./adapters/forwarder-stream.ts";
import { MysqlCompareNode } from "./adapters/mysql-compare.ts";
import { MysqlHeartbeat } from "./adapters/mysql-heartbeat.ts";
import { MysqlProbe, type TlsOptions } from "./adapters/mysql-probe.ts";
import { NetnsNodeChecker } from "./adapters/netns-runner.ts";
import { SshNodeChecker } from "./adapters/ssh-runner.ts";
import type { LabClusterConfig, RunnerConfig } from "./config.ts";
import type { SweepNodes } from "./consistency-sweep.ts";
import type { NodeId } from "./domain/types.ts";
import type { PipelineDeps } from "./pipeline.ts";
import type { NodeChecker, VipRouteReader } from "./ports.ts";

export type Observers = Pick<PipelineDeps, "sql" | "heartbeat" | "ec2" | "nodeCheckers" | "witnessCheckers">;

export interface WiringOptions {
  /** The monitoring password, or how to read it at each probe (the function's secret). */
  readonly password: string | (() => Promise<string>);
  /**
   * The heartbeat user's password (when the cluster has a heartbeat).
   * @default none: a cluster with a heartbeat is then an error naming it
   */
  readonly heartbeatPassword?: string | (() => Promise<string>);
  /**
   * Builds the checker of an `ssm` runner (the function passes its one traced client; the CLI loads the
   * SSM SDK only when a cluster has such a runner).
   * @default none: an ssm runner is then an error naming it
   */
  readonly ssm?: (r: Extract<RunnerConfig, { type: "ssm" }>) => NodeChecker;
  /**
   * Builds the EC2 view's reader of a cluster with `ec2` on (the function passes its one traced
   * client; the CLI loads the EC2 SDK only when a cluster has the view on).
   * @default none: a cluster with the EC2 view on is then an error naming it
   */
  readonly ec2?: (c: LabClusterConfig) => VipRouteReader;
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
      if (!o.ssm) throw new Error(`${where}: no SSM client here for the ssm runner`);
      return o.ssm(r);
  }
}

/** The TLS options of a cluster: the CA from `ca`, or read once from `caFile`. */
export function tlsFor(c: LabClusterConfig): TlsOptions {
  const t = c.mysql.tls;
  const ca = t.ca ?? (t.caFile ? readFileSync(t.caFile, "utf8") : undefined);
  return { mode: t.mode, ...(ca ? { ca } : {}) };
}

export function observersFor(c: LabClusterConfig, o: WiringOptions): Observers {
  const stream = c.forwarderSocket ? { openStream: forwarderStreamOpener(c.forwarderSocket) } : {};
  const tls = tlsFor(c);
  const hb = c.heartbeat;
  if (hb && o.heartbeatPassword === undefined)
    throw new Error(`cluster ${c.name}: heartbeat is on but no heartbeat password source is wired`);
  if (c.ec2 && !o.ec2) throw new Error(`cluster ${c.name}: the EC2 view is on but no EC2 client is wired`);
  return {
    ...(c.ec2 && o.ec2 ? { ec2: o.ec2(c) } : {}),
    ...(hb
      ? {
          heartbeat: new MysqlHeartbeat({
            user: hb.user,
            password: o.heartbeatPassword as string | (() => Promise<string>),
            table: hb.table,
            timeoutMs: hb.timeoutMs,
            tls,
            ...stream,
          }),
        }
      : {}),
    sql: new MysqlProbe({
      user: c.mysql.user,
      password: o.password,
      connectTimeoutMs: c.mysql.connectTimeoutMs,
      queryTimeoutMs: c.mysql.queryTimeoutMs,
      totalTimeoutMs: c.mysql.totalTimeoutMs,
      ...(hb ? { heartbeatTable: hb.table } : {}),
      tls,
      ...stream,
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

/**
 * Both nodes of a cluster opened for a slice of the consistency sweep: read-only sessions as the
 * monitoring user, TLS as configured, through the lab's forwarder when the configuration has one; the
 * reference (the writer) first. One that fails to open closes the other.
 */
export function sweepNodesFor(
  c: LabClusterConfig,
  password: string | (() => Promise<string>),
): (reference: NodeId) => Promise<SweepNodes> {
  const tls = tlsFor(c);
  const stream = c.forwarderSocket ? { openStream: forwarderStreamOpener(c.forwarderSocket) } : {};
  const open = async (id: NodeId) =>
    MysqlCompareNode.open({
      id,
      host: c.nodes[id].host,
      port: c.nodes[id].port,
      user: c.mysql.user,
      password: typeof password === "string" ? password : await password(),
      tls,
      ...stream,
    });
  return async (reference) => {
    const [ref, oth] = await Promise.allSettled([open(reference), open(reference === "a" ? "b" : "a")]);
    if (ref.status === "rejected" || oth.status === "rejected") {
      for (const r of [ref, oth]) if (r.status === "fulfilled") await r.value.close().catch(() => {});
      throw ref.status === "rejected" ? ref.reason : (oth as PromiseRejectedResult).reason;
    }
    return {
      reference: ref.value,
      other: oth.value,
      close: async () => {
        await Promise.all([ref.value.close(), oth.value.close()]);
      },
    };
  };
}
