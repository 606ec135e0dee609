/** Reads the configuration file (YAML or JSON). Kept apart so the Lambda bundle needs no YAML parser. */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { type Config, ConfigError, parseConfig } from "./config.ts";

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(file, [`cannot read the file: ${(e as Error).message}`], { cause: e });
  }
  let value: unknown;
  try {
    value = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(
      file,
      [`not valid ${file.endsWith(".json") ? "JSON" : "YAML"}: ${(e as Error).message.split("\n")[0]}`],
      { cause: e },
    );
  }
  return parseConfig(value, file);
}
