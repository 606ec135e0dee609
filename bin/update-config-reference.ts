// Writes docs/configuration.md from the configuration schemas: `npm run docs:config`.
import { writeFileSync } from "node:fs";
import { configReference } from "../infra/config-reference.ts";

writeFileSync(new URL("../docs/configuration.md", import.meta.url), configReference());
