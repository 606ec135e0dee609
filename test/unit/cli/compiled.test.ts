/**
 * The compiled CLI (bin/build-cli.mjs): built into a directory of its own (dist/ is the one the entry
 * point runs, which lab tests may be using), it runs commands whose code sits in lazily loaded chunks, and
 * files found through import.meta.url still point at the sources' neighbours.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const OUT = join(ROOT, "dist", `test-cli-${process.pid}`);
let main: (argv: string[], out?: (s: string) => void, err?: (s: string) => void) => Promise<number>;

beforeAll(async () => {
  const { buildCli } = (await import(join(ROOT, "bin/build-cli.mjs"))) as {
    buildCli: (o: string) => Promise<void>;
  };
  await buildCli(OUT);
  ({ main } = await import(join(OUT, "main.mjs")));
});
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe("the compiled CLI", () => {
  it("prints the package's version", async () => {
    const out: string[] = [];
    expect(await main(["node", "mhp", "--version"], (s) => out.push(s))).toBe(0);
    expect(out).toEqual([JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version]);
  });

  it("loads a command's chunk on demand: a configuration error exits 3 naming the file", async () => {
    const err: string[] = [];
    const code = await main(
      ["node", "mhp", "probe", "-c", "/nonexistent/prober.yaml"],
      () => {},
      (s) => err.push(s),
    );
    expect(code).toBe(3);
    expect(err.join("\n")).toMatch(
      /invalid configuration in \/nonexistent\/prober\.yaml[\s\S]*cannot read the file/,
    );
  });

  it("rewrites import.meta.url per source file: the chunks point at the node-check script and the runtime host", () => {
    const code = readdirSync(OUT)
      .filter((f) => f.endsWith(".mjs"))
      .map((f) => readFileSync(join(OUT, f), "utf8"))
      .join("\n");
    for (const neighbour of ["shared/node-check/script.ts", "rehearsal/lambda.ts", "lab/lab.ts"]) {
      const rel = `../../${neighbour}`;
      expect(code, neighbour).toContain(JSON.stringify(rel));
      expect(existsSync(join(OUT, rel))).toBe(true);
    }
  });
});
