/** Reads the configuration file (YAML or JSON). Kept apart so the Lambda bundle needs no YAML parser. */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { type Config, ConfigError, parseConfig } from "./config.ts";
import { yamlExcerpt } from "./domain/errors.ts";

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint =
      code === "EACCES"
        ? ": permission denied (it holds passwords, so it is often 0600: run as its owner, or root)"
        : code === "ENOENT"
          ? ": no such file (`lab up` prints the lab's; `cli-config` writes one for a deployed fleet)"
          : `: ${(e as Error).message}`;
    throw new ConfigError(file, [`cannot read the file${hint}`], { cause: e });
  }
  let value: unknown;
  try {
    value = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(
      file,
      [`not valid ${file.endsWith(".json") ? "JSON" : "YAML"}: ${yamlExcerpt(e)}`],
      { cause: e },
    );
  }
  if (isDeploymentFile(value))
    throw new ConfigError(file, [
      'this is a deployment file (it has `deploy:`), for `cdk deploy`; the CLI reads a CLI configuration. To read what the deployed function writes, make the CLI configuration for the deployed fleet: mysql-ha-prober cli-config -d <this file> --out prober.yaml, then -c prober.yaml (docs/deploying.md, "The CLI against the deployed stack")',
    ]);
  return parseConfig(value, file);
}

/** A deployment file (infra/deploy-config.ts) has a top-level `deploy` block; a CLI configuration never does. */
function isDeploymentFile(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "deploy" in value;
}
