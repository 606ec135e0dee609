/** `doctor`: see its --help (cli/help.ts). Loads what it needs when it runs. */
import { Command } from "commander";
import { clustersOf, configOption, type Io, parseDuration } from "../common.ts";

export function doctorCommand(io: Io): Command {
  return new Command("doctor")
    .description(
      "check every prerequisite through the configured runners (node check, arping, keepalived's pid file and TMPDIR, the notify script, mysqld, the monitoring user's grants, replication both ways with GTID auto-position, the heartbeat), one line each with the fix; exit 0 only when all pass",
    )
    .addOption(configOption())
    .option("--cluster <name>", "only this cluster")
    .option("--json", "print the checks as JSON")
    .option("--timeout <duration>", "deadline of the probe", "15s")
    .action(async (o) => {
      const [
        { loadConfig },
        { deadlineIn },
        { observeAndAssess },
        { targetFromConfig },
        { cliObservers },
        { doctorChecks, renderChecks, compareGrantChecks },
        { nodeGrants },
      ] = await Promise.all([
        import("../../shared/config-file.ts"),
        import("../../shared/domain/types.ts"),
        import("../../shared/pipeline.ts"),
        import("../../shared/target.ts"),
        import("../observers.ts"),
        import("../../shared/doctor.ts"),
        import("../compare.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const results = await Promise.all(
        clustersOf(cfg, o.cluster).map(async (c) => {
          const target = targetFromConfig(c);
          const r = await observeAndAssess(
            target,
            await cliObservers(c),
            deadlineIn(parseDuration(o.timeout)),
            null,
            new Date(),
          );
          return {
            cluster: c.name,
            checks: [
              ...doctorChecks({
                target,
                observed: r.observed,
                assessment: r.assessment,
                monitorUser: c.mysql.user,
                ...(c.heartbeat
                  ? { heartbeatUser: c.heartbeat.user, heartbeatTable: c.heartbeat.table }
                  : {}),
              }),
              // the consistency check's grants, for a cluster that names the schemas it compares
              ...(c.compare ? compareGrantChecks(await nodeGrants(c), c.compare.schemas, c.mysql.user) : []),
            ],
          };
        }),
      );
      io.out(
        o.json
          ? JSON.stringify(results, null, 2)
          : results.map((r) => renderChecks(r.cluster, r.checks)).join("\n\n"),
      );
      io.setExitCode(results.every((r) => r.checks.every((c) => c.ok)) ? 0 : 1);
    });
}
