#!/usr/bin/env node
// Entry point for `npx mysql-ha-prober`: runs the TypeScript CLI through tsx, no build step needed.
import { register } from "tsx/esm/api";

// The AWS SDK warns on every start that its 2027 releases need Node >= 22; say it once, briefly.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name === "NodeVersionSupportWarning") return;
  process.stderr.write(`${w.name}: ${w.message}\n`);
});

register();
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv);
