/** `history`: see its --help (cli/help.ts). Loads what it needs when it runs. */
import { Command } from "commander";
import {
  clusterFilterOption,
  clustersOf,
  configOption,
  type Io,
  parseDuration,
  withStore,
} from "../common.ts";

export function historyCommand(io: Io): Command {
  return new Command("history")
    .description("list the transitions in the store")
    .addOption(configOption())
    .addOption(clusterFilterOption())
    .option("--since <duration>", "how far back", "1h")
    .option("--json", "print as JSON")
    .action(async (o) => {
      const [{ loadConfig }, { renderHistory }] = await Promise.all([
        import("../../shared/config-file.ts"),
        import("../../shared/text/output.ts"),
      ]);
      const cfg = loadConfig(o.config);
      await withStore(o.config, async ({ services }) => {
        const to = new Date(Date.now() + 1000);
        const from = new Date(Date.now() - parseDuration(o.since));
        const all = [];
        for (const c of clustersOf(cfg, o.cluster))
          all.push(...(await services.store.history(c.name, from, to)));
        io.out(o.json ? JSON.stringify(all, null, 2) : renderHistory(all));
      });
    });
}
