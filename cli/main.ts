/** The `mysql-ha-prober` command. */
import { Command, CommanderError } from "commander";
import pkg from "../package.json" with { type: "json" };
import { ConfigError } from "../shared/domain/errors.ts";
import { COMMANDS } from "./commands/index.ts";
import { decorateHelp } from "./help.ts";

export async function main(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
  err: (s: string) => void = (s) => process.stderr.write(`${s}\n`),
): Promise<number> {
  const program = new Command("mysql-ha-prober")
    .description("health prober for keepalived + MySQL/MariaDB dual-master pairs")
    .version(pkg.version);
  let exitCode = 0;
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once("SIGINT", onSigint);
  process.once("SIGTERM", onSigint);
  const io = { out, err, setExitCode: (n: number) => (exitCode = n), stopSignal: stop.signal };
  for (const make of COMMANDS) program.addCommand(make(io));
  const configure = (c: Command) => {
    c.exitOverride()
      .configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) })
      .showHelpAfterError();
    for (const sub of c.commands) configure(sub);
  };
  configure(program);
  decorateHelp(program);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? 0 : 3;
    }
    err(error instanceof ConfigError ? error.message : `error: ${(error as Error).message}`);
    return 3;
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
  }
}
