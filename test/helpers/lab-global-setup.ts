/**
 * Before and after the lab test run: remove every test lab (name prefix mhpt) that is still there,
 * whatever happened to the tests, so no namespace, mariadbd or keepalived outlives the run.
 */
import { readdirSync } from "node:fs";
import { Lab } from "../../lab/lab.ts";
import { ensurePackages } from "../../lab/packages.ts";
import { DEFAULT_LAB_ROOT } from "../../lab/plan.ts";
import { netnsList } from "../../lab/system.ts";
import { TEST_LAB_PREFIX } from "./lab-env.ts";

async function removeTestLabs(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const names = new Set<string>();
  for (const ns of await netnsList()) {
    const m = /^(mhpt[a-z0-9]*)-[abc]$/.exec(ns);
    if (m?.[1]) names.add(m[1]);
  }
  try {
    for (const d of readdirSync(DEFAULT_LAB_ROOT)) if (d.startsWith(TEST_LAB_PREFIX)) names.add(d);
  } catch {
    // no lab root yet
  }
  for (const name of names) await new Lab({ name }).down();
}

export async function setup(): Promise<() => Promise<void>> {
  // Tests set up what they need: as root on Linux, install the lab's Debian packages if missing.
  if (process.platform === "linux" && process.getuid?.() === 0) await ensurePackages(console.error);
  await removeTestLabs();
  return removeTestLabs;
}
