/** `history`: see its --help (cli/help.ts). Loads what it needs when it runs. */
import { Command } from "commander";
import { clusterFilterOption, clustersOf, configOption, type Io, parseDuration } from "../common.ts";

export function historyCommand(io: Io): Command {
  return new Command("history")
    .description("list the transitions in the store")
    .addOption(configOption())
    .addOption(clusterFilterOption())
    .option("--since <duration>", "how far back", "1h")
    .option("--json", "print as JSON")
    .action(async (o) => {
      const [{ loadConfig }, { renderHistory }, { openServices }] = await Promise.all([
        import("../../shared/config-file.ts"),
        import("../../shared/text/output.ts"),
        import("../services.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const services = await openServices({
        ...cfg,
        mail: { type: "ses", from: "unused", to: ["unused@example.com"] },
      });
      try {
        const to = new Date(Date.now() + 1000);
        const from = new Date(Date.now() - parseDuration(o.since));
        const all = [];
        for (const c of clustersOf(cfg, o.cluster))
          all.push(...(await services.store.history(c.name, from, to)));
        io.out(o.json ? JSON.stringify(all, null, 2) : renderHistory(all));
      } finally {
        await services.close();
      }
    });
}
