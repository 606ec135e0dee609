/**
 * Small wrappers over the Linux tools the lab drives (ip, mariadb, processes). Every call has a deadline.
 */

import { spawn } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { CommandError, type RunResult, run } from "../shared/util/exec.ts";

export const SHORT = 10_000;

export class LabError extends Error {
  override readonly name = "LabError";
}

export async function ip(args: string[], allowFailure = false): Promise<RunResult> {
  return run("ip", args, { timeoutMs: SHORT, allowFailure });
}

export async function netnsList(): Promise<string[]> {
  const r = await run("ip", ["-j", "netns", "list"], { timeoutMs: SHORT, allowFailure: true });
  if (r.code !== 0 || !r.stdout.trim()) return [];
  return (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name);
}

/** Process ids of every process inside a network namespace. */
export async function netnsPids(ns: string): Promise<number[]> {
  const r = await run("ip", ["netns", "pids", ns], { timeoutMs: SHORT, allowFailure: true });
  if (r.code !== 0) return [];
  return r.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Process state letter from /proc (R, S, T = stopped, Z = zombie...), or undefined when gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number | undefined, name: string): boolean {
  if (!pid) return false;
  const state = processState(pid);
  return state !== undefined && state !== "Z" && processName(pid) === name;
}

export async function pidsByName(ns: string, name: string): Promise<number[]> {
  return (await netnsPids(ns)).filter((pid) => processName(pid) === name);
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Starts a long-running program inside a namespace, detached, output appended to a file. */
export function spawnInNetns(
  ns: string,
  file: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = {},
): number {
  const fd = openSync(logFile, "a");
  const child = spawn("ip", ["netns", "exec", ns, file, ...args], {
    detached: true,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, ...env },
  });
  child.unref();
  if (!child.pid) throw new LabError(`could not start ${file} in ${ns}`);
  // `ip netns exec` execs the program in place: the pid is the program's own.
  return child.pid;
}

export interface SqlOptions {
  socket: string;
  timeoutMs?: number;
  /** Keep this statement out of the binary log (local-only setup). @default false */
  noBinlog?: boolean;
}

/** Runs SQL as root over the node's unix socket and returns rows of the last result set. */
export async function sql(statements: string, opts: SqlOptions): Promise<Record<string, string | null>[]> {
  const text = `${opts.noBinlog ? "SET SESSION sql_log_bin=0;\n" : ""}${statements}`;
  const r = await run(
    "mariadb",
    ["--no-defaults", `--socket=${opts.socket}`, "-uroot", "--batch", "--connect-timeout=3"],
    { timeoutMs: opts.timeoutMs ?? SHORT, input: text },
  );
  return parseBatch(r.stdout);
}

/** Parses `mariadb --batch` output (tab-separated, first line the column names, NULL as "NULL"). */
export function parseBatch(stdout: string): Record<string, string | null>[] {
  const lines = stdout.split("\n").filter((l) => l.length > 0);
  if (lines.length === 0) return [];
  const header = (lines[0] ?? "").split("\t");
  return lines.slice(1).map((line) => {
    const cells = line.split("\t");
    const row: Record<string, string | null> = {};
    header.forEach((h, i) => {
      const v = cells[i] ?? null;
      row[h] = v === "NULL" ? null : v === null ? null : unescapeBatch(v);
    });
    return row;
  });
}

function unescapeBatch(v: string): string {
  return v.replace(/\\([nt0\\])/g, (_, c: string) => ({ n: "\n", t: "\t", "0": "\0", "\\": "\\" })[c] ?? c);
}

export function isCommandError(e: unknown): e is CommandError {
  return e instanceof CommandError;
}
