/**
 * The fleet file: every pair the function probes, written by the construct into the function's asset
 * (`fleet.json` beside the handler) so that a thousand pairs do not have to fit in Lambda's 4 KB of
 * environment. Each pair is validated on its own with the deployed cluster schema: a bad entry fails only
 * its own pair's invocations, with an error naming the pair and the field; the others probe on.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import * as z from "zod";
import { type ClusterConfig, ConfigError, DeployedClusterSchema } from "../../shared/config.ts";
import { fieldPath, issueLines } from "../../shared/domain/errors.ts";

export interface Fleet {
  /** The valid pairs, by name. */
  readonly pairs: ReadonlyMap<string, ClusterConfig>;
  /** The pairs whose entry is invalid, by name (or `#<index>` when even the name is unusable). */
  readonly errors: ReadonlyMap<string, ConfigError>;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The fleet in `text` (a JSON array of deployed clusters); `where` names the file in errors. */
export function parseFleet(text: string, where: string): Fleet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(where, ["must be JSON (an array of clusters)"], { cause: e });
  }
  if (!Array.isArray(value) || value.length === 0)
    throw new ConfigError(where, ["must be a non-empty array of clusters"]);
  const pairs = new Map<string, ClusterConfig>();
  const errors = new Map<string, ConfigError>();
  const seen = new Map<string, number>();
  value.forEach((entry, i) => {
    const rawName = (entry as { name?: unknown } | null)?.name;
    const key = typeof rawName === "string" && NAME.test(rawName) ? rawName : `#${i}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const r = DeployedClusterSchema.safeParse(entry);
    if (!r.success) {
      errors.set(key, new ConfigError(`${where}, pair ${key}`, issueLines(r.error.issues, "(pair)")));
      return;
    }
    pairs.set(key, r.data);
  });
  for (const [key, n] of seen) {
    if (n < 2) continue;
    pairs.delete(key);
    errors.set(key, new ConfigError(`${where}, pair ${key}`, [`name: "${key}" is used by ${n} pairs`]));
  }
  return { pairs, errors };
}

/** Reads the fleet file: a relative name is found in the function's directory (LAMBDA_TASK_ROOT). */
export function loadFleet(file: string, taskRoot: string | undefined): Fleet {
  if (!isAbsolute(file) && !taskRoot)
    throw new ConfigError("the function's environment", [
      `FLEET_CONFIG_FILE: "${file}" is relative and LAMBDA_TASK_ROOT is not set`,
    ]);
  const path = isAbsolute(file) ? file : join(taskRoot as string, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError("the function's environment", [`FLEET_CONFIG_FILE: cannot read ${path}`], {
      cause: e,
    });
  }
  return parseFleet(text, path);
}

/** The pair `name` of the fleet, or the error that names why it cannot be probed. */
export function pairOf(fleet: Fleet, name: string): ClusterConfig {
  const pair = fleet.pairs.get(name);
  if (pair) return pair;
  const error = fleet.errors.get(name);
  if (error) throw error;
  throw new ConfigError("the invocation's event", [
    `cluster: "${name}" is not a pair of this function (it probes ${[...fleet.pairs.keys()].slice(0, 5).join(", ")}${fleet.pairs.size > 5 ? ", ..." : ""})`,
  ]);
}

/**
 * What a schedule sends (its input, set by the construct): the pairs it probes, `{ "clusters": [...] }`;
 * `{ "cluster": "<pair>" }` (one pair) is accepted too, for an operator's manual invoke.
 */
export const ScheduledEventSchema = z.union([
  z.object({ clusters: z.array(z.string().regex(NAME, "must be a pair's name")).min(1).max(50) }),
  z.object({ cluster: z.string().regex(NAME, "must be a pair's name") }),
]);

/** The pairs a scheduled invocation asks for; a clear error when the event names none. */
export function scheduledPairsOf(event: unknown): string[] {
  const r = ScheduledEventSchema.safeParse(event);
  if (!r.success)
    throw new ConfigError("the invocation's event", [
      `give { "clusters": ["<pair>", ...] } or { "cluster": "<pair>" }: ${r.error.issues
        .flatMap((i) =>
          "errors" in i ? (i.errors as { path: PropertyKey[]; message: string }[][]).flat() : [i],
        )
        .map((i) => `${fieldPath(i.path, "(event)")}: ${i.message}`)
        .join("; ")}`,
    ]);
  return "clusters" in r.data ? [...new Set(r.data.clusters)] : [r.data.cluster];
}

/** How many SSM node checks one probe of each of `names` starts, by document. */
export function ssmChecksOf(fleet: Fleet, names: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of names) {
    const pair = fleet.pairs.get(name);
    if (!pair) continue;
    const runners = [pair.nodes.a.runner, pair.nodes.b.runner, ...pair.witnesses.map((w) => w.runner)];
    for (const r of runners)
      if (r.type === "ssm") counts.set(r.documentName, (counts.get(r.documentName) ?? 0) + 1);
  }
  return counts;
}

/** The pair and node an instance is, or null when it is no node of the fleet (a witness is none). */
export function pairOfNode(fleet: Fleet, instanceId: string): { pair: string; node: "a" | "b" } | null {
  for (const [name, c] of fleet.pairs)
    for (const node of ["a", "b"] as const) {
      const r = c.nodes[node].runner;
      if (r.type === "ssm" && r.instanceId === instanceId) return { pair: name, node };
    }
  return null;
}
