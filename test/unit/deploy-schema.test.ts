/**
 * The deployment file's JSON Schema (docs/deploy.schema.json), for editors: current with the zod schema,
 * and it accepts the example file and refuses what the loader refuses (checked by ajv, a JSON Schema
 * validator as editors use one).
 */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { deploySchemaJson } from "../../infra/deploy-config.ts";

const published = JSON.parse(readFileSync(new URL("../../docs/deploy.schema.json", import.meta.url), "utf8"));
const example = parse(readFileSync(new URL("../../infra/deploy.example.yaml", import.meta.url), "utf8"));
const validate = new Ajv2020({ strict: false, allErrors: true }).compile(published);

describe("docs/deploy.schema.json", () => {
  it("is the zod schema's, as `npm run docs:schema` writes it", () => {
    expect(published).toEqual(JSON.parse(JSON.stringify(deploySchemaJson())));
  });

  it("accepts the example deployment file, whose first line points editors at it", () => {
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
    expect(readFileSync(new URL("../../infra/deploy.example.yaml", import.meta.url), "utf8")).toMatch(
      /^# yaml-language-server: \$schema=\.\.\/docs\/deploy\.schema\.json\n/,
    );
  });

  it("refuses a misspelt key and a wrong type, as the loader does; x- anchors stay free", () => {
    expect(validate({ ...example, deploy: { ...example.deploy, scheduleRateMinute: 5 } })).toBe(false);
    expect(validate({ ...example, deploy: { ...example.deploy, region: 5 } })).toBe(false);
    expect(validate({ ...example, "x-defaults": { nodeCheck: {} } })).toBe(true);
  });
});

describe("docs/configuration.md", () => {
  it("is the reference the schemas generate (npm run docs:config), every field of both files in it", async () => {
    const { configReference } = await import("../../infra/config-reference.ts");
    const text = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
    expect(text).toBe(configReference());
    for (const field of [
      "deploy.vpc.privateSubnetIds",
      "deploy.pushReservedConcurrency",
      "clusters[].mysql.tls.mode",
    ])
      expect(text).toContain(`\`${field}\``);
  });
});
