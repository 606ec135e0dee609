/** `test-mail`: see its --help (cli/help.ts). Loads what it needs when it runs. */
import { Command } from "commander";
import { clustersOf, configOption, type Io } from "../common.ts";
import { mailHint } from "../mail-hint.ts";

export function testMailCommand(io: Io): Command {
  return new Command("test-mail")
    .description(
      "send a clearly marked test mail through the configured mail channel and print what the mail service answered (exit 0 accepted, 1 refused)",
    )
    .addOption(configOption())
    .option("--cluster <name>", "name it in the mail")
    .action(async (o) => {
      const [{ loadConfig }, { openServices }, { testMailAlert }, { deadlineIn }] = await Promise.all([
        import("../../shared/config-file.ts"),
        import("../services.ts"),
        import("../../shared/domain/mail.ts"),
        import("../../shared/domain/types.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const [c] = clustersOf(cfg, o.cluster);
      const services = await openServices(cfg);
      const channel =
        cfg.mail.type === "ses"
          ? `SES${cfg.mail.region ? ` (${cfg.mail.region})` : ""} from ${cfg.mail.from} to ${cfg.mail.to.join(", ")}`
          : `the embedded mail viewer ${services.mailViewerUrl} from ${cfg.mail.from} to ${cfg.mail.to.join(", ")}`;
      try {
        const id = await services.notifier.send(
          testMailAlert(c?.name ?? "mysql-ha-prober", new Date()),
          deadlineIn(10_000),
        );
        io.out(`accepted by ${channel}: message id ${id ?? "(none given)"}`);
        const { mailLogOf } = await import("../services.ts");
        const log = mailLogOf(cfg);
        if (log)
          io.out(
            `the viewer stops with this command (unless a \`watch\` serves it); the mail is kept in ${log}: \`mails -c ${o.config}\` lists what the embedded mail accepted`,
          );
        io.setExitCode(0);
      } catch (e) {
        const err = e as Error & { name?: string };
        io.err(`refused by ${channel}: ${err.name ?? "Error"}: ${err.message}`);
        io.err(mailHint(err));
        io.setExitCode(1);
      } finally {
        await services.close();
      }
    });
}
