/** `mails`: see its --help (cli/help.ts). Loads what it needs when it runs. */
import { Command } from "commander";
import { ConfigError } from "../../shared/domain/errors.ts";
import { configOption, type Io } from "../common.ts";

export function mailsCommand(io: Io): Command {
  return new Command("mails")
    .description(
      "the mails the embedded mail accepted (kept on disk beside the embedded store: the viewer forgets them when it stops), newest last",
    )
    .addOption(configOption())
    .option("--last <n>", "only the last n", "20")
    .option("--show <n>", "print the whole text of the n-th from the end (1: the newest)")
    .option("--json", "print them as JSON")
    .action(async (o) => {
      const [{ loadConfig }, { mailLogOf, readMailLog }] = await Promise.all([
        import("../../shared/config-file.ts"),
        import("../services.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const log = mailLogOf(cfg);
      if (!log)
        throw new ConfigError("command line", [
          "mails: only the embedded mail (with the embedded store) keeps mails on disk; SES mails are in the recipients' mailboxes",
        ]);
      const all = readMailLog(log);
      const n = Number(o.last);
      const shown = all.slice(-(Number.isInteger(n) && n > 0 ? n : 20));
      if (o.show) {
        const m = all[all.length - Number(o.show)];
        if (!m)
          throw new ConfigError("command line", [`--show: ${o.show} is past the ${all.length} mails kept`]);
        io.out(`${m.at}  ${m.subject}\n\n${m.text}`);
      } else if (o.json) io.out(JSON.stringify(shown, null, 2));
      else
        io.out(
          shown.length ? shown.map((m) => `${m.at}  ${m.subject}`).join("\n") : `no mail kept in ${log} yet`,
        );
    });
}
