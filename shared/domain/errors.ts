/**
 * Raised when input from outside (configuration, a SQL result, a command's output) is not what the
 * code expects. `field` names the offending field, so the message says exactly what was wrong.
 */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly value?: unknown,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${problem}${value === undefined ? "" : ` (got ${preview(value)})`}`, options);
  }
}

function preview(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Raised for an invalid configuration; `issues` lists every "path: problem". */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly source: string,
    readonly issues: string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid configuration in ${source}:\n${issues.map((i) => `  - ${i}`).join("\n")}`, options);
  }
}

/**
 * A YAML or JSON parser's message with its excerpt (the line and the caret under the column), indented
 * to sit under a ConfigError's issue; at most 6 lines, never the parser's stack.
 */
export function yamlExcerpt(e: unknown): string {
  const lines = String((e as Error)?.message ?? e)
    .split("\n")
    .filter((l, i) => i === 0 || l.trim() !== "")
    .slice(0, 6);
  return lines.map((l, i) => (i === 0 ? l : `      ${l}`)).join("\n");
}
