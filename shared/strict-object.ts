/**
 * Objects that refuse keys they do not know, with the closest known key suggested: a misspelt setting
 * (`scheduleRateMinute`, `notifyStatefile`) is an error naming it, never silently ignored.
 */
import * as z from "zod";

/** Edit distance between two short strings (keys), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= y.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (x[i - 1] === y[j - 1] ? 0 : 1),
      );
      prev = cur;
    }
  }
  return row[y.length] as number;
}

/** The known key closest to `key`, when it is close enough to be a typo. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(key, k);
    // a typo: a few edits, more for longer keys (password -> passwordEnv is 3 of 11)
    if (d < bestD && d <= Math.max(2, Math.floor(Math.max(key.length, k.length) / 3))) [best, bestD] = [k, d];
  }
  return best;
}

export function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  return keys
    .map((k) => {
      const near = closestKey(k, known);
      return `unknown key "${k}"${near ? ` (did you mean "${near}"?)` : ` (known: ${known.join(", ")})`}`;
    })
    .join("; ");
}

/** z.strictObject whose unknown-key error names the closest known key. */
export function strictObject<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => (iss.code === "unrecognized_keys" ? unknownKeysMessage(iss.keys, known) : undefined),
  });
}
