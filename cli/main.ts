/** The `mysql-ha-prober` command. */
import { Command, CommanderError } from "commander";
import { labCommand } from "./lab-commands.ts";

export async function main(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
  err: (s: string) => void = (s) => process.stderr.write(`${s}\n`),
): Promise<number> {
  const program = new Command("mysql-ha-prober").description(
    "health prober for keepalived + MySQL/MariaDB dual-master pairs",
  );
  program.addCommand(labCommand(out, err));
  const configure = (c: Command) => {
    c.exitOverride()
      .configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) })
      .showHelpAfterError();
    for (const sub of c.commands) configure(sub);
  };
  configure(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? 0 : 3;
    }
    err(`error: ${(error as Error).message}`);
    return 3;
  }
}
