/**
 * The README and docs/ stay in step with the code and with each other: the finding catalog, the node-check
 * parameters, the deployment file's fields; the README short, starting with its two commands; no link to a
 * file that is not there.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DeploySchema } from "../../infra/deploy-config.ts";
import { CATALOG, catalogMarkdown } from "../../shared/domain/codes.ts";
import { scriptParams } from "../../shared/node-check/script.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (p: string) => readFileSync(join(root, p), "utf8");
const readme = read("README.md");
const docFiles = readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md"));
const docs = Object.fromEntries(docFiles.map((f) => [f, read(`docs/${f}`)]));
const all = [readme, ...Object.values(docs)].join("\n");

describe("README and docs/", () => {
  it("docs/findings.md holds the finding catalog exactly as the code defines it (npm run docs:catalog)", () => {
    const m = /<!-- catalog:start -->\n([\s\S]*?)\n<!-- catalog:end -->/.exec(docs["findings.md"] ?? "");
    expect(m?.[1]).toBe(catalogMarkdown());
    for (const code of Object.keys(CATALOG)) expect(docs["findings.md"]).toContain(`\`${code}\``);
  });

  it("documents every node-check parameter", () => {
    for (const p of scriptParams()) expect(all).toContain(`\`${p.name}\``);
  });

  it("docs/deploying.md documents every field of the deployment file", () => {
    const deploy = DeploySchema.shape.deploy;
    for (const k of [...Object.keys(deploy.shape), ...Object.keys(deploy.shape.vpc.shape)])
      expect(docs["deploying.md"], k).toMatch(new RegExp(`^\\s*#?\\s*${k}:`, "m"));
  });

  it("the README starts with the demo command and the test command, and stays short", () => {
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    expect(firstBlock).toMatch(/^npm run demo\b/m);
    expect(firstBlock).toMatch(/^npm test\b/m);
    expect(readme.split("\n").length).toBeLessThan(250);
    // the deploy steps on the first screen
    expect(readme.split("\n").slice(0, 50).join("\n")).toMatch(/npx cdk deploy -c config=deploy\.yaml/);
  });

  it("every relative link in the README and docs/ points at a file that exists", () => {
    const files = [["README.md", readme], ...Object.entries(docs).map(([f, t]) => [`docs/${f}`, t])];
    for (const [file, text] of files)
      for (const m of (text as string).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1] as string;
        if (/^[a-z]+:/.test(target)) continue;
        expect(existsSync(resolve(dirname(join(root, file as string)), target)), `${file} -> ${target}`).toBe(
          true,
        );
      }
  });

  it("the layout table has a row for every folder of the repository, and every file it names exists", () => {
    const section = readme.slice(readme.indexOf("## Layout"));
    const rows = [...section.matchAll(/^\| `([^`]+)\/` \| (.*) \|$/gm)].map((m) => ({
      folder: m[1] as string,
      text: m[2] as string,
    }));
    // the repository's folders: what git tracks (not the build outputs .gitignore leaves out)
    const ignored = new Set(["node_modules", "cdk.out", "dist", "coverage", "reports"]);
    const folders = readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith(".") && !ignored.has(d.name))
      .map((d) => d.name)
      .sort();
    expect(rows.map((r) => r.folder).sort()).toEqual(folders);
    // every file or folder a row names (`x.ts`, `x/`, `a/b.ts`) is in that folder, at any depth
    const under = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? [`${dir}/${d.name}/`, ...under(`${dir}/${d.name}`)] : [`${dir}/${d.name}`],
      );
    for (const { folder, text } of rows) {
      const present = under(folder);
      for (const [, name] of text.matchAll(/`([\w.-]+(?:\/[\w.-]+)*\/?)`/g)) {
        if (!/\.[a-z]+$|\/$/.test(name as string) || (name as string).startsWith("npm")) continue;
        expect(
          present.some((p) => p.endsWith(`/${name}`)),
          `README layout: ${folder}/ names ${name}, which is not there`,
        ).toBe(true);
      }
    }
  });
});
