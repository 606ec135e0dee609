/** `silence`: see its --help (cli/help.ts). Loads what it needs when it runs. */
import { Command } from "commander";
import {
  CLUSTER_OPTION_HELP,
  configOption,
  type Io,
  oneCluster,
  parseDuration,
  withStore,
} from "../common.ts";

export function silenceCommand(io: Io): Command {
  return new Command("silence")
    .description(
      "planned work: keep probing and recording, but mail nothing (a split brain still is, unless --no-split-brain-mail) until the silence ends; stored, so the deployed function honours it",
    )
    .addOption(configOption())
    .option("--cluster <name>", CLUSTER_OPTION_HELP)
    .requiredOption("--for <duration>", "how long (e.g. 30m, 2h)")
    .requiredOption("--reason <text>", "why (in status and in the mails)")
    .option("--by <who>", "who silences", process.env.USER ?? "operator")
    .option("--no-split-brain-mail", "do not mail even a split brain")
    .action(async (o) => {
      const ms = parseDuration(o.for);
      await withStore(o.config, async ({ cfg, services }) => {
        const c = oneCluster(cfg, o.cluster);
        const { setSilence } = await import("../../shared/stored-state.ts");
        const now = new Date();
        const s = await setSilence(services.store, c.name, {
          since: now.toISOString(),
          until: new Date(now.getTime() + ms).toISOString(),
          reason: String(o.reason),
          by: String(o.by),
          mailSplitBrain: o.splitBrainMail !== false,
        });
        const { describeSilence } = await import("../../shared/domain/silence.ts");
        io.out(`${c?.name}: ${s ? describeSilence(s) : "not silenced"}`);
      });
    });
}
