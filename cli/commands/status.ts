/** `status`: see its --help (cli/help.ts). Loads what it needs when it runs. */
import { Command } from "commander";
import { clustersOf, configOption, type Io, withStore } from "../common.ts";

export function statusCommand(io: Io): Command {
  return new Command("status")
    .description(
      "the stored state, as the deployed function or `watch` last committed it: declared and last probe status, since when, VIP owner, open incidents, unsent mails, silence (exit codes as probe)",
    )
    .addOption(configOption())
    .option("--cluster <name>", "only this cluster")
    .option("--json", "print as JSON")
    .action(async (o) => {
      await withStore(o.config, async ({ cfg, services }) => {
        const [{ renderStatus }, { exitCodeFor }] = await Promise.all([
          import("../../shared/text/status-output.ts"),
          import("../../shared/text/output.ts"),
        ]);
        const stored = await Promise.all(
          clustersOf(cfg, o.cluster).map(async (c) => ({
            cluster: c.name,
            current: await services.store.load(c.name),
          })),
        );
        if (o.json) {
          io.out(
            JSON.stringify(
              stored.map((s) => ({
                cluster: s.cluster,
                version: s.current?.version ?? null,
                state: s.current ? { ...s.current.state, memory: undefined } : null,
                unsentMails: (s.current?.outbox ?? []).map((a) => ({
                  id: a.id,
                  subject: a.subject,
                  createdAt: a.createdAt,
                })),
              })),
              null,
              2,
            ),
          );
        } else {
          io.out(stored.map((s) => renderStatus(s.cluster, s.current, new Date())).join("\n\n"));
        }
        const missing = stored.some((s) => !s.current);
        io.setExitCode(missing ? 3 : exitCodeFor(stored.map((s) => s.current?.state.status ?? "UNKNOWN")));
      });
    });
}
