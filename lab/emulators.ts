/**
 * The local mail stand-in (aws-ses-v2-local) as a child process on loopback, started and awaited with a
 * deadline: the CLI's embedded mail, the rehearsal and the tests share it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { waitFor } from "../shared/util/wait.ts";

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** True when aws-ses-v2-local answers on the port (within 500 ms). */
export async function sesLocalUp(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/store`, { signal: AbortSignal.timeout(500) })).ok;
  } catch {
    return false;
  }
}

/** Starts aws-ses-v2-local on 127.0.0.1:port and waits (15 s at most) until it answers. */
export async function spawnSesLocal(port: number, opts: { detached?: boolean } = {}): Promise<ChildProcess> {
  const cli = createRequire(import.meta.url).resolve("aws-ses-v2-local/dist/cli.js");
  const child = spawn(process.execPath, [cli, "--host", "127.0.0.1", "--port", String(port)], {
    stdio: "ignore",
    detached: opts.detached ?? false,
  });
  if (opts.detached) child.unref();
  await waitFor(() => sesLocalUp(port), {
    timeoutMs: 15_000,
    intervalMs: 100,
    what: `aws-ses-v2-local to answer on port ${port}`,
  });
  return child;
}
