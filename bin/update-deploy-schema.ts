// Writes docs/deploy.schema.json, the JSON Schema of the deployment file, from its zod schema
// (infra/deploy-config.ts): `npm run docs:schema`. Editors with the YAML language server complete and
// check a deployment file that starts with `# yaml-language-server: $schema=<path to it>`.
import { writeFileSync } from "node:fs";
import { deploySchemaJson } from "../infra/deploy-config.ts";

writeFileSync(
  new URL("../docs/deploy.schema.json", import.meta.url),
  `${JSON.stringify(deploySchemaJson(), null, 2)}\n`,
);
