/**
 * Guards for tests that need the real lab. Locally, a machine that cannot run it (not root, packages
 * missing) skips those tests with the reason; in CI (CI=true) it fails them, never skipping silently.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import type { Lab } from "../../lab/lab.ts";
import { missingPackages } from "../../lab/packages.ts";

/** Every lab a test makes has a name starting with this, so a global teardown can remove leftovers. */
export const TEST_LAB_PREFIX = "mhpt";

export async function labUnavailableReason(): Promise<string | undefined> {
  if (process.platform !== "linux") return "the lab needs Linux";
  if (process.getuid?.() !== 0) return "the lab needs root";
  const missing = await missingPackages();
  if (missing.length > 0) return `missing Debian packages: ${missing.join(" ")} (run .ci/run or lab up once)`;
  return undefined;
}

/** Returns true when lab tests should be skipped here; throws in CI where they must run. */
export async function skipLab(): Promise<boolean> {
  const reason = await labUnavailableReason();
  if (!reason) return false;
  if (process.env.CI === "true") throw new Error(`lab tests cannot run in CI: ${reason}`);
  console.warn(`skipping lab tests: ${reason}`);
  return true;
}

/** One lab for the calling describe block: built anew before its tests, healed after each, removed at the end. */
export function useLab(lab: Lab): void {
  beforeAll(async () => {
    await lab.up({ rebuild: true });
  });
  afterEach(async () => {
    if ((await lab.status()).faults.length > 0) await lab.heal();
  });
  afterAll(async () => {
    await lab.down();
  });
}
