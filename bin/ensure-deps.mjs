#!/usr/bin/env node
// Runs `npm ci` when node_modules is missing or older than package-lock.json, then compiles the CLI
// (bin/build-cli.mjs) when dist/cli is missing or older than a source, so that the README's first
// commands work on a fresh clone and `npx mysql-ha-prober` starts without compiling TypeScript.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const marker = join(root, "node_modules", ".package-lock.json");
const lock = join(root, "package-lock.json");
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  console.error("installing npm dependencies (npm ci)...");
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
}
const { buildCli, cliIsFresh } = await import("./build-cli.mjs");
if (!cliIsFresh()) await buildCli();
