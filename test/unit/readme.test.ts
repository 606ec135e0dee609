/** The README stays in step with the code: the finding catalog and the node-check parameters. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DeploySchema } from "../../infra/deploy-config.ts";
import { CATALOG, catalogMarkdown } from "../../shared/domain/codes.ts";
import { scriptParams } from "../../shared/node-check/script.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("holds the finding catalog exactly as the code defines it (npm run docs:catalog)", () => {
    const m = /<!-- catalog:start -->\n([\s\S]*?)\n<!-- catalog:end -->/.exec(readme);
    expect(m?.[1]).toBe(catalogMarkdown());
    for (const code of Object.keys(CATALOG)) expect(readme).toContain(`\`${code}\``);
  });

  it("documents every node-check parameter", () => {
    for (const p of scriptParams()) expect(readme).toContain(`\`${p.name}\``);
  });

  it("documents every field of the deployment file", () => {
    const deploy = DeploySchema.shape.deploy;
    for (const k of [...Object.keys(deploy.shape), ...Object.keys(deploy.shape.vpc.shape)])
      expect(readme, k).toMatch(new RegExp(`^\\s*#?\\s*${k}:`, "m"));
  });

  it("starts with the demo command and the test command", () => {
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    expect(firstBlock).toMatch(/^npm run demo\b/m);
    expect(firstBlock).toMatch(/^npm test\b/m);
  });
});
