/** `ack`: see its --help (cli/help.ts). Loads what it needs when it runs. */
import { Command } from "commander";
import { CLUSTER_OPTION_HELP, configOption, type Io, oneCluster, withStore } from "../common.ts";

export function ackCommand(io: Io): Command {
  return new Command("ack")
    .description(
      "acknowledge incidents (events between probes that stay open until acknowledged): by id, or all (exit 0 when something was acknowledged, 1 when nothing matched)",
    )
    .addOption(configOption())
    .option("--cluster <name>", CLUSTER_OPTION_HELP)
    .option("--by <who>", "who acknowledges (kept with the incident)", process.env.USER ?? "operator")
    .argument("<ids...>", 'incident ids (as in the mail and `status`), or "all"')
    .action(async (ids: string[], o) => {
      const [{ loadConfig }, { acknowledgeIncidents }] = await Promise.all([
        import("../../shared/config-file.ts"),
        import("../../shared/acknowledge.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const c = oneCluster(cfg, o.cluster);
      await withStore(o.config, async ({ services }) => {
        const r = await acknowledgeIncidents(
          services.store,
          c.name,
          ids.length === 1 && ids[0] === "all" ? "all" : ids,
          o.by,
        );
        for (const i of r.acknowledged) io.out(`acknowledged ${i.id}: ${i.code}: ${i.message}`);
        for (const id of r.unknown) io.err(`no incident ${id} in cluster ${c.name}`);
        if (r.unknown.length > 0)
          io.err(
            r.open.length
              ? `open incidents: ${r.open.map((i) => `${i.id} (${i.code})`).join(", ")}`
              : "no incident is open",
          );
        if (r.acknowledged.length === 0) io.out("nothing to acknowledge");
        io.setExitCode(r.acknowledged.length > 0 ? 0 : 1);
      });
    });
}
