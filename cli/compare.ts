/**
 * The `compare` command's wiring: both nodes opened read-only from the cluster's configuration (TLS,
 * forwarder), the reference chosen, the check run, the repair files written when rows differ.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { forwarderStreamOpener } from "../shared/adapters/forwarder-stream.ts";
import { MysqlCompareNode } from "../shared/adapters/mysql-compare.ts";
import type { Config, LabClusterConfig } from "../shared/config.ts";
import { mysqlPassword } from "../shared/config.ts";
import { loadConfig } from "../shared/config-file.ts";
import { compareNodes, type Progress } from "../shared/consistency-check.ts";
import { type CompareReport, compareExitCode } from "../shared/domain/consistency/model.ts";
import { repairScript } from "../shared/domain/consistency/repair.ts";
import { ConfigError } from "../shared/domain/errors.ts";
import { renderCompare } from "../shared/text/compare-output.ts";
import { tlsFor } from "../shared/wiring.ts";

export interface CompareRun {
  configFile: string;
  cluster?: string;
  schemas: string[];
  tables: string[];
  reference?: "a" | "b";
  chunkTimeMs: number;
  /** Threads_running above which the check pauses (the engine's default when absent). */
  maxLoad?: number;
  repairDir: string;
  /** A checkpoint file: resumed from when it holds an unfinished comparison of the same tables; removed when done. */
  checkpoint?: string;
  log: (line: string) => void;
  oneCluster: (cfg: Config, name?: string) => LabClusterConfig;
}

/** A node of the cluster (or the VIP, `at`) opened read-only as the monitoring user. */
export function openCompareNode(
  c: LabClusterConfig,
  id: "a" | "b",
  at: { host: string; port: number } = c.nodes[id],
): Promise<MysqlCompareNode> {
  return MysqlCompareNode.open({
    id,
    host: at.host,
    port: at.port,
    user: c.mysql.user,
    password: mysqlPassword(c),
    tls: tlsFor(c),
    ...(c.forwarderSocket ? { openStream: forwarderStreamOpener(c.forwarderSocket) } : {}),
  });
}

/** Each node's `SHOW GRANTS` for the monitoring user, or the error that kept it unread (doctor). */
export async function nodeGrants(c: LabClusterConfig): Promise<Record<"a" | "b", string[] | Error>> {
  const one = async (id: "a" | "b") => {
    try {
      const node = await openCompareNode(c, id);
      try {
        return await node.grants();
      } finally {
        await node.close();
      }
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  };
  const [a, b] = await Promise.all([one("a"), one("b")]);
  return { a, b };
}

export async function runCompare(
  r: CompareRun,
): Promise<{ report: CompareReport; text: string; repairFiles: string[]; exitCode: number }> {
  const c = r.oneCluster(loadConfig(r.configFile), r.cluster);
  const schemas = r.schemas.length > 0 ? r.schemas : (c.compare?.schemas ?? []);
  if (schemas.length === 0)
    throw new ConfigError("command line", [
      `--schemas: name the schemas to compare (or set clusters[${c.name}].compare.schemas in the configuration)`,
    ]);
  const open = (id: "a" | "b", at?: { host: string; port: number }) => openCompareNode(c, id, at);
  const a = await open("a");
  const b = await open("b").catch(async (e: unknown) => {
    await a.close();
    throw e;
  });
  const nodes = { a, b };
  try {
    const reference = r.reference ?? (await referenceNode(nodes, () => open("a", c.vip)));
    const other = reference === "a" ? "b" : "a";
    const scope = { cluster: c.name, reference, schemas, tables: r.tables };
    const resume = r.checkpoint ? readCheckpoint(r.checkpoint, scope, r.log) : undefined;
    const outcome = await compareNodes(nodes[reference], nodes[other], {
      cluster: c.name,
      schemas,
      tables: r.tables,
      chunkTimeMs: r.chunkTimeMs,
      ...(r.maxLoad === undefined ? {} : { maxLoad: r.maxLoad }),
      log: r.log,
      ...(resume ? { resume } : {}),
      ...(r.checkpoint ? { onProgress: writeCheckpoint(r.checkpoint, scope) } : {}),
    });
    if (r.checkpoint) rmSync(r.checkpoint, { force: true });
    const repairFiles = outcome.rows.length > 0 ? writeRepair(r.repairDir, c.name, outcome) : [];
    return {
      report: outcome.report,
      text: renderCompare(outcome.report, repairFiles),
      repairFiles,
      exitCode: compareExitCode(outcome.report),
    };
  } finally {
    await Promise.all([nodes.a.close(), nodes.b.close()]);
  }
}

/**
 * The reference is the writer: the one writable node; with both writable (keepalived decides), the node
 * that answers at the VIP. Neither, or no answer at the VIP: the operator names it.
 */
async function referenceNode(
  nodes: Record<"a" | "b", MysqlCompareNode>,
  openVip: () => Promise<MysqlCompareNode>,
): Promise<"a" | "b"> {
  const [a, b] = await Promise.all([nodes.a.writable(), nodes.b.writable()]);
  if (a !== b) return a ? "a" : "b";
  if (a) {
    const vip = await openVip().catch(() => undefined);
    if (vip) {
      const [atVip, idA, idB] = await Promise.all([vip.serverId(), nodes.a.serverId(), nodes.b.serverId()]);
      await vip.close();
      if (atVip === idA || atVip === idB) return atVip === idA ? "a" : "b";
    }
  }
  throw new ConfigError("command line", [
    `--reference: ${a ? "both nodes are writable and the VIP did not say which one it is" : "neither node is writable"}; name the node whose data is the reference (a or b)`,
  ]);
}

type Scope = { cluster: string; reference: "a" | "b"; schemas: string[]; tables: string[] };

/**
 * The checkpoint's progress, when it is an unfinished comparison of the same cluster, reference, schemas and
 * tables; anything else (no file, another comparison, unreadable) starts over, saying why.
 */
function readCheckpoint(file: string, scope: Scope, log: (l: string) => void): Progress | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const saved = JSON.parse(readFileSync(file, "utf8")) as { scope: Scope; progress: Progress };
    if (JSON.stringify(saved.scope) !== JSON.stringify(scope)) {
      log(`checkpoint ${file} is of another comparison (${JSON.stringify(saved.scope)}): starting over`);
      return undefined;
    }
    log(`resuming from ${file}`);
    return saved.progress;
  } catch (e) {
    log(`checkpoint ${file} unreadable (${(e as Error).message}): starting over`);
    return undefined;
  }
}

/** After every chunk: the progress written to a new file, then renamed over the checkpoint (never half written). */
function writeCheckpoint(file: string, scope: Scope): (p: Progress) => void {
  return (progress) => {
    const tmp = `${file}.tmp`;
    // it holds the differing rows' images: the operator's eyes only
    writeFileSync(tmp, JSON.stringify({ scope, progress }), { mode: 0o600 });
    renameSync(tmp, file);
  };
}

/** Both directions' repair files, side by side: which one to apply is the operator's decision. */
function writeRepair(
  dir: string,
  cluster: string,
  outcome: Awaited<ReturnType<typeof compareNodes>>,
): string[] {
  const at = outcome.report.startedAt;
  const folder = resolve(dir, `mysql-ha-prober-repair-${cluster}-${at.replace(/[:.]/g, "-")}`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  return (["a", "b"] as const).map((target) => {
    const source = target === "a" ? "b" : "a";
    const file = join(folder, `make-${target}-like-${source}.sql`);
    writeFileSync(file, repairScript(outcome.defs, outcome.rows, source, target, { cluster, at }), {
      mode: 0o600,
    });
    return file;
  });
}
