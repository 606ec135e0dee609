/** `compare`: see its --help (cli/help.ts). Loads what it needs when it runs. */
import { Command, InvalidArgumentError, Option } from "commander";
import { CLUSTER_OPTION_HELP, configOption, type Io, oneCluster, parseDuration } from "../common.ts";

export function compareCommand(io: Io): Command {
  return new Command("compare")
    .description(
      "compare the two nodes' data, read-only, while the pair takes writes: schema drift, then every table's rows by key; writes the repair SQL (never applies it)",
    )
    .addOption(configOption())
    .option("--cluster <name>", CLUSTER_OPTION_HELP)
    .option(
      "--schemas <list>",
      "the schemas to compare, comma-separated (default: the cluster's compare.schemas)",
    )
    .option("--tables <list>", "only these tables (schema.table, comma-separated)")
    .addOption(
      new Option(
        "--reference <node>",
        "the node whose reads set the replication point (default: the one writable node)",
      ).choices(["a", "b"]),
    )
    .option("--chunk-time <duration>", "server time a chunk read should take", "500ms")
    .option(
      "--max-load <threads>",
      "pause while either node's Threads_running is above this (default 25)",
      parsePositiveInt,
    )
    .option("--repair-dir <dir>", "where the repair SQL goes when rows differ", ".")
    .option(
      "--checkpoint <file>",
      "progress written after every chunk; an interrupted comparison of the same tables resumes from it (removed when done)",
    )
    .option("--json", "print the report as JSON")
    .action(async (o) => {
      const { runCompare } = await import("../compare.ts");
      const result = await runCompare({
        configFile: o.config,
        cluster: o.cluster,
        schemas: o.schemas ? splitList(o.schemas) : [],
        tables: o.tables ? splitList(o.tables) : [],
        reference: o.reference,
        chunkTimeMs: parseDuration(o.chunkTime),
        ...(o.maxLoad === undefined ? {} : { maxLoad: o.maxLoad }),
        repairDir: o.repairDir,
        ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
        log: io.err,
        oneCluster,
      });
      io.out(
        o.json ? JSON.stringify({ ...result.report, repairFiles: result.repairFiles }, null, 2) : result.text,
      );
      io.setExitCode(result.exitCode);
    });
}

function parsePositiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(
      `--max-load: expected a whole number of threads, at least 1 (got "${text}")`,
    );
  return n;
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
