/** `unsilence`: see its --help (cli/help.ts). Loads what it needs when it runs. */
import { Command } from "commander";
import { CLUSTER_OPTION_HELP, configOption, type Io, oneCluster, withStore } from "../common.ts";

export function unsilenceCommand(io: Io): Command {
  return new Command("unsilence")
    .description(
      "end the cluster's silence now (a cluster that is not healthy then gets one mail saying so; exit 0 lifted, 1 there was none)",
    )
    .addOption(configOption())
    .option("--cluster <name>", CLUSTER_OPTION_HELP)
    .action(async (o) => {
      await withStore(o.config, async ({ cfg, services }) => {
        const c = oneCluster(cfg, o.cluster);
        const [{ liftSilence }, { describeSilence }] = await Promise.all([
          import("../../shared/stored-state.ts"),
          import("../../shared/domain/silence.ts"),
        ]);
        const lifted = await liftSilence(services.store, c.name);
        io.out(
          lifted
            ? `${c?.name}: silence lifted (it was: ${describeSilence(lifted)})`
            : `${c?.name}: was not silenced; nothing changed`,
        );
        io.setExitCode(lifted ? 0 : 1);
      });
    });
}
