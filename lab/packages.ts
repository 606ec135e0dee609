/** Checks for, and installs, the Debian packages the lab needs. */
import { existsSync, unlinkSync, writeFileSync } from "node:fs";
import { run } from "../shared/util/exec.ts";
import { LabError } from "./system.ts";

/** Program the lab runs -> the Debian package that ships it. */
export const REQUIRED_PROGRAMS: Record<string, string> = {
  mariadbd: "mariadb-server",
  "mariadb-install-db": "mariadb-server",
  mariadb: "mariadb-client",
  "mariadb-admin": "mariadb-client",
  keepalived: "keepalived",
  arping: "arping",
  ip: "iproute2",
  bridge: "iproute2",
  iptables: "iptables",
  nft: "nftables",
  timeout: "coreutils",
  openssl: "openssl",
};

export async function which(program: string): Promise<string | undefined> {
  for (const dir of ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]) {
    if (existsSync(`${dir}/${program}`)) return `${dir}/${program}`;
  }
  return undefined;
}

/** The Debian packages that ship the programs not found (the lab's, unless `programs` says others). */
export async function missingPackages(
  programs: Record<string, string> = REQUIRED_PROGRAMS,
): Promise<string[]> {
  const missing = new Set<string>();
  for (const [program, pkg] of Object.entries(programs)) {
    if (!(await which(program))) missing.add(pkg);
  }
  return [...missing].sort();
}

export function assertRoot(): void {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new LabError(
      "the lab needs root (it creates network namespaces and runs mariadbd and keepalived): run it with sudo",
    );
  }
}

/**
 * Installs what is missing with apt-get (the lab's programs, or `programs`: the peers bench's). Services are kept from starting in the root namespace
 * while installing (a policy-rc.d that denies them), since the lab runs its own servers.
 */
export async function ensurePackages(
  log: (line: string) => void = () => {},
  programs: Record<string, string> = REQUIRED_PROGRAMS,
): Promise<string[]> {
  const missing = await missingPackages(programs);
  if (missing.length === 0) return [];
  assertRoot();
  log(`installing Debian packages: ${missing.join(" ")}`);
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    await run("apt-get", ["update", "-qq"], { timeoutMs: 300_000, env });
    await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
      timeoutMs: 600_000,
      env,
    });
  } finally {
    if (ownPolicy) unlinkSync(policy);
  }
  const still = await missingPackages(programs);
  if (still.length > 0)
    throw new LabError(`packages still missing after apt-get install: ${still.join(" ")}`);
  return missing;
}
