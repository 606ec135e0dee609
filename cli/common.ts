/**
 * What every command shares: its io, the -c and --cluster options, durations, cluster names, and the
 * store opened for a command about the stored state. Each command is a file of cli/commands/; only the
 * definitions load at start (commander), each action imports what it needs, so `--help` and `--version`
 * start like a native tool.
 */
import { Option } from "commander";
import type { Config } from "../shared/config.ts";
import { ConfigError } from "../shared/domain/errors.ts";

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  setExitCode: (code: number) => void;
  /** Resolves when the user asks to stop (Ctrl-C). */
  stopSignal: AbortSignal;
}

/** A duration with its unit (500ms, 5s, 2m, 1h, 7d), more than zero: a bare number is refused, not guessed. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new ConfigError("command line", [`"${text}" is not a duration (e.g. 500ms, 5s, 2m, 1h, 7d)`]);
  if (!m[2])
    throw new ConfigError("command line", [`"${text}" has no unit: write ${m[1]}s (or 500ms, 2m, 1h, 7d)`]);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms"];
  if (ms <= 0) throw new ConfigError("command line", [`"${text}": a duration must be more than zero`]);
  return ms;
}

export function clustersOf(cfg: Config, name?: string) {
  const list = name ? cfg.clusters.filter((c) => c.name === name) : cfg.clusters;
  if (list.length === 0)
    throw new ConfigError("command line", [
      `--cluster: no cluster named "${name}" in the configuration (it has: ${cfg.clusters.map((c) => c.name).join(", ")})`,
    ]);
  return list;
}

/**
 * The one cluster a command about one cluster acts on: the named one, or the configuration's only
 * cluster when it has one; with several and no name, the error lists them.
 */
export function oneCluster(cfg: Config, name?: string) {
  if (name) return clustersOf(cfg, name)[0] as Config["clusters"][number];
  const [only, ...more] = cfg.clusters;
  if (!only || more.length > 0)
    throw new ConfigError("command line", [
      `--cluster: the configuration has ${cfg.clusters.length} clusters (${cfg.clusters.map((c) => c.name).join(", ")}): name one`,
    ]);
  return only;
}

/** The --cluster option of a command about one cluster. */
export const CLUSTER_OPTION_HELP = "the cluster (may be left out when the configuration has only one)";

/** -c, --config: every command that reads a configuration needs it. */
export function configOption(): Option {
  return new Option("-c, --config <file>", "configuration file (YAML or JSON)").makeOptionMandatory();
}

/** --cluster for a command over every cluster: only this one. */
export function clusterFilterOption(): Option {
  return new Option("--cluster <name>", "only this cluster");
}

/** Opens the configured store without starting a mail service. */
export async function openStore(configFile: string) {
  const [{ loadConfig }, { openServices }] = await Promise.all([
    import("../shared/config-file.ts"),
    import("./services.ts"),
  ]);
  const cfg = loadConfig(configFile);
  const services = await openServices({
    ...cfg,
    mail: { type: "ses", from: "unused", to: ["unused@example.com"] },
  });
  return { cfg, services };
}

/**
 * Runs `act` with the configured store open (no mail service started) and closes it whatever happens: the
 * one way a command about the stored state (ack, history, silence, unsilence, status) reaches it.
 */
export async function withStore<T>(
  configFile: string,
  act: (opened: Awaited<ReturnType<typeof openStore>>) => Promise<T>,
): Promise<T> {
  const opened = await openStore(configFile);
  try {
    return await act(opened);
  } finally {
    await opened.services.close();
  }
}
