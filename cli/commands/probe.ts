/** `probe`: see its --help (cli/help.ts). Loads what it needs when it runs. */
import { Command } from "commander";
import { clusterFilterOption, clustersOf, configOption, type Io, parseDuration } from "../common.ts";

export function probeCommand(io: Io): Command {
  return new Command("probe")
    .description(
      "probe each cluster once and print its state (exit 0 HEALTHY, 1 DEGRADED, 2 SPLIT_BRAIN or DOWN, 3 UNKNOWN or a configuration error)",
    )
    .addOption(configOption())
    .addOption(clusterFilterOption())
    .option("--json", "print the states as JSON")
    .option("--timeout <duration>", "deadline of the whole probe", "8s")
    .action(async (o) => {
      const [
        { loadConfig },
        { deadlineIn },
        { observeAndAssess },
        { exitCodeFor, renderState },
        { targetFromConfig },
        { cliObservers },
      ] = await Promise.all([
        import("../../shared/config-file.ts"),
        import("../../shared/domain/types.ts"),
        import("../../shared/pipeline.ts"),
        import("../../shared/text/output.ts"),
        import("../../shared/target.ts"),
        import("../observers.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const results = await Promise.all(
        clustersOf(cfg, o.cluster).map(async (c) => {
          const started = Date.now();
          const { assessment } = await observeAndAssess(
            targetFromConfig(c),
            await cliObservers(c),
            deadlineIn(parseDuration(o.timeout)),
            null,
            new Date(),
          );
          return { cluster: c.name, assessment, ms: Date.now() - started };
        }),
      );
      if (o.json) {
        io.out(
          JSON.stringify(
            results.map((r) => ({
              cluster: r.cluster,
              observedAt: new Date().toISOString(),
              probeMs: r.ms,
              ...r.assessment,
              memory: undefined,
            })),
            null,
            2,
          ),
        );
      } else {
        io.out(results.map((r) => renderState(r.cluster, r.assessment, r.ms)).join("\n\n"));
      }
      io.setExitCode(exitCodeFor(results.map((r) => r.assessment.status)));
    });
}
