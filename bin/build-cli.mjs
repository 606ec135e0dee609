#!/usr/bin/env node
// Compiles the CLI (cli/main.ts and everything it imports from this repository) into dist/cli/ with
// esbuild, so `npx mysql-ha-prober` starts without compiling TypeScript. The npm packages stay external
// (loaded from node_modules as usual); dynamic imports become chunks, loaded only by the commands that
// need them. The TypeScript sources stay the only thing developers edit: bin/mysql-ha-prober.mjs falls
// back to them (through tsx) whenever dist/ is older than a source file.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

import { COMPILED_DIR, cliIsFresh, ROOT as root } from "./cli-fresh.mjs";

export { cliIsFresh };

const OUT = COMPILED_DIR;

/**
 * Files that find their neighbours through import.meta.url (the node-check script, the runtime host,
 * the forwarder...) keep finding them: in each source file, import.meta.url outside a string literal
 * becomes that file's own URL, computed at run time relative to the chunk that holds it.
 */
const ownUrl = (outdir) => ({
  name: "own-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes("/node_modules/")) return undefined;
      const source = readFileSync(args.path, "utf8");
      const rel = relative(outdir, args.path);
      const contents = source
        .split("\n")
        .map((line) =>
          line.replace(/\bimport\.meta\.url\b/g, (m, offset) => {
            const before = line.slice(0, offset);
            const inString = ["'", '"', "`"].some((q) => (before.split(q).length - 1) % 2 === 1);
            return inString ? m : `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
          }),
        )
        .join("\n");
      return { contents, loader: "ts" };
    });
  },
});

/** Builds into `outdir` (inside the repository, so the npm packages resolve from node_modules). */
export async function buildCli(outdir = OUT) {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { main: join(root, "cli/main.ts") },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    outExtension: { ".js": ".mjs" },
    // chunks beside main.mjs: the relative URLs above are computed from this one directory
    chunkNames: "[name]-[hash]",
    plugins: [ownUrl(outdir)],
    logLevel: "error",
  });
  writeFileSync(join(outdir, "built-at"), new Date().toISOString());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  await buildCli();
  console.error(`built the CLI into ${relative(root, OUT)} in ${Date.now() - started} ms`);
}
