// Whether the compiled CLI (dist/cli, bin/build-cli.mjs) is newer than every source it is built from.
// Standard library only: the entry point asks this at every start (a few ms for ~140 files).
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const COMPILED_DIR = join(ROOT, "dist", "cli");
export const COMPILED_MAIN = join(COMPILED_DIR, "main.mjs");

export function newestSource() {
  let newest = statSync(join(ROOT, "package.json")).mtimeMs;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (/\.(ts|mjs|sh)$/.test(e.name)) newest = Math.max(newest, statSync(join(dir, e.name)).mtimeMs);
    }
  };
  for (const d of ["cli", "lab", "shared", "infra", "functions"]) walk(join(ROOT, d));
  return newest;
}

export function cliIsFresh() {
  return existsSync(COMPILED_MAIN) && statSync(COMPILED_MAIN).mtimeMs >= newestSource();
}
