/**
 * The configuration reference, generated from the zod schemas (the deployment file's and the CLI's):
 * every field with its type, whether it is required, its default and its bounds. docs/configuration.md is
 * this text (`npm run docs:config`), kept current by a test.
 */
import * as z from "zod";
import { ConfigSchema } from "../shared/config.ts";
import { DeploySchema } from "./deploy-config.ts";

type Json = Record<string, unknown>;
interface Row {
  path: string;
  type: string;
  required: boolean;
  default: string;
  rule: string;
}

const code = (s: string) => `\`${s.replace(/\|/g, "\\|")}\``;

function typeOf(s: Json): string {
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(" \\| ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  const alts = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (alts) return alts.map((a) => typeOf(a)).join(" or ");
  if (s.type === "array") return `list of ${typeOf((s.items as Json) ?? {})}`;
  return typeof s.type === "string" ? s.type : "any";
}

function ruleOf(s: Json): string {
  const r: string[] = [];
  if (s.format === "email") return "an email address";
  if (s.minimum !== undefined) r.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined && s.maximum !== Number.MAX_SAFE_INTEGER) r.push(`≤ ${s.maximum}`);
  if (s.minLength === 1) r.push("not empty");
  else if (s.minLength !== undefined && s.minLength !== 0) r.push(`at least ${s.minLength} characters`);
  if (s.maxLength !== undefined) r.push(`at most ${s.maxLength} characters`);
  if (s.minItems !== undefined && s.minItems !== 0) r.push(`at least ${s.minItems}`);
  if (typeof s.pattern === "string") r.push(`matches ${code(s.pattern)}`);
  if (s.format && !["starts_with", "includes", "email"].includes(String(s.format))) r.push(String(s.format));
  return r.join(", ");
}

function walk(s: Json, path: string, required: boolean, out: Row[]): void {
  const alts = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  const objects = alts?.filter((a) => a.type === "object" && a.properties);
  if (s.type === "object" && s.properties) {
    if (path) out.push({ path, type: "object", required, default: "", rule: "" });
    const req = new Set((s.required as string[]) ?? []);
    for (const [k, v] of Object.entries(s.properties as Record<string, Json>))
      walk(v, path ? `${path}.${k}` : k, req.has(k), out);
    return;
  }
  if (objects?.length) {
    // a discriminated union (store, mail, runner): each variant's fields under its discriminator
    out.push({ path, type: "one of the variants below", required, default: dflt(s), rule: "" });
    for (const a of objects) {
      const tag = Object.entries(a.properties as Record<string, Json>).find(([, v]) => v.const !== undefined);
      const label = tag ? `${path}[${tag[0]}=${String(tag[1].const)}]` : path;
      walk({ ...a, type: "object" }, label, required, out);
    }
    return;
  }
  if (s.type === "array" && (s.items as Json)?.type === "object") {
    out.push({ path, type: "list", required, default: dflt(s), rule: ruleOf(s) });
    walk(s.items as Json, `${path}[]`, true, out);
    return;
  }
  out.push({ path, type: typeOf(s), required, default: dflt(s), rule: ruleOf(s) });
}

function dflt(s: Json): string {
  return s.default === undefined ? "" : code(JSON.stringify(s.default));
}

function table(schema: z.ZodType): string {
  const rows: Row[] = [];
  walk(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json, "", true, rows);
  return [
    "| field | type | required | default | bounds |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) => `| ${code(r.path)} | ${r.type} | ${r.required ? "yes" : ""} | ${r.default} | ${r.rule} |`,
    ),
  ].join("\n");
}

export function configReference(): string {
  return [
    "# Configuration reference",
    "",
    "Generated from the code's schemas (`npm run docs:config`; a test keeps this file current). Unknown keys",
    "are refused at any depth, with the closest known key. What each field is for: the commented examples in",
    "[deploying.md](deploying.md) (the deployment file) and [operating.md](operating.md) (the CLI's).",
    "",
    "## The deployment file (`cdk deploy -c config=<file>`)",
    "",
    "Its JSON Schema, for editors: [deploy.schema.json](deploy.schema.json).",
    "",
    table(DeploySchema),
    "",
    "## The CLI's configuration (`-c <file>`)",
    "",
    table(ConfigSchema),
    "",
  ].join("\n");
}
