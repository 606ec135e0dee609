/** Independent observations of a lab, for assertions: what a third host on the segment sees. */

import type { Lab } from "../../lab/lab.ts";
import { run } from "../../shared/util/exec.ts";

/** MAC addresses that answer ARP for `target`, as seen from the client namespace. */
export async function arpingFromClient(lab: Lab, target: string, count = 3): Promise<string[]> {
  const r = await run(
    "ip",
    ["netns", "exec", lab.plan.client.ns, "arping", "-c", String(count), "-w", "3", target],
    {
      timeoutMs: 10_000,
      allowFailure: true,
    },
  );
  return [
    ...new Set([...r.stdout.matchAll(/bytes from ([0-9a-f:]{17})/g)].map((m) => m[1] as string)),
  ].sort();
}

/** Tries a SQL statement from the client namespace; returns the output or the client's error text. */
export async function trySqlFromClient(
  lab: Lab,
  host: string,
  statement: string,
  connectTimeoutS = 2,
): Promise<{ ok: boolean; text: string }> {
  const r = await run(
    "ip",
    [
      "netns",
      "exec",
      lab.plan.client.ns,
      "mariadb",
      "--no-defaults",
      `--host=${host}`,
      "--user=app",
      "--password=lab-app-pw",
      `--connect-timeout=${connectTimeoutS}`,
      "--batch",
      "--skip-column-names",
      "lab",
      "-e",
      statement,
    ],
    { timeoutMs: 20_000, allowFailure: true },
  );
  return { ok: r.code === 0, text: (r.code === 0 ? r.stdout : r.stderr).trim() };
}
