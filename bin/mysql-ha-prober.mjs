#!/usr/bin/env node
// Entry point for `npx mysql-ha-prober`: the compiled CLI (dist/cli, built by bin/build-cli.mjs at
// install) when it is newer than every source file, else the TypeScript sources through tsx.
import { COMPILED_MAIN, cliIsFresh } from "./cli-fresh.mjs";

// The AWS SDK warns on every start that its 2027 releases need Node >= 22; say it once, briefly.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name === "NodeVersionSupportWarning") return;
  process.stderr.write(`${w.name}: ${w.message}\n`);
});

let main;
if (process.env.MHP_CLI_FROM_SOURCE !== "1" && cliIsFresh()) {
  ({ main } = await import(COMPILED_MAIN));
} else {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import("../cli/main.ts"));
}
process.exitCode = await main(process.argv);
