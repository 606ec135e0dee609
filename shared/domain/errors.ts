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

/** A validation issue as zod reports it: where, and what is wrong. */
export interface ValidationIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * One line per validation issue, its field first (`clusters[0].nodes.a.host: ...`): the one formatter of
 * every configuration the project reads (the CLI's file, the deployment file, the function's environment
 * and fleet file). `root` names an issue of the whole value.
 */
export function issueLines(issues: readonly ValidationIssue[], root = "(root)"): string[] {
  return issues.map((i) => `${fieldPath(i.path, root)}: ${i.message}`);
}

/** `clusters[0].nodes.a.host` from zod's path; `root` for an empty one. */
export function fieldPath(path: readonly PropertyKey[], root = "(root)"): string {
  if (path.length === 0) return root;
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}

/** Every pair's name used once (the one uniqueness check): a ConfigError naming the first used twice. */
export function checkNamesUnique(source: string, items: readonly { readonly name: string }[]): void {
  const names = new Set<string>();
  for (const { name } of items) {
    if (names.has(name)) throw new ConfigError(source, [`clusters: the name "${name}" is used twice`]);
    names.add(name);
  }
}
