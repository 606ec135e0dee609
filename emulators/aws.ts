/**
 * The local AWS services the project starts itself, on loopback only, each awaited with a deadline: dynalite
 * for DynamoDB (in process) and aws-ses-v2-local for SES (a child process, so a test can stop and restart it).
 * The one place they are started: the CLI's embedded store and mail, the rehearsal, the benches and the tests.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SESClient } from "@aws-sdk/client-ses";
import { ensureTable } from "../shared/adapters/dynamo-store.ts";
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

const credentials = { accessKeyId: "local", secretAccessKey: "local" };

export interface LocalDynamo {
  client: DynamoDBClient;
  /** http://127.0.0.1:<port>, for another process */
  endpoint: string;
  tableName: string;
  stop(): Promise<void>;
}

/** A dynalite server: where it listens, and how to stop it. */
export interface DynaliteServer {
  /** http://127.0.0.1:<port>; for a unix socket, the socket's path */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on a free loopback port, or on `socket` (a unix socket: only its directory's owner reaches
 * it), in memory or in the data directory `path`. Tables are created at once (no CREATING state to wait out).
 */
export async function serveDynalite(opts: { socket?: string; path?: string } = {}): Promise<DynaliteServer> {
  // imported on use: the CLI's commands that never start it do not load it
  const { default: dynalite } = await import("dynalite");
  const server = dynalite({
    ...(opts.path ? { path: opts.path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (opts.socket) server.listen(opts.socket, () => resolve());
    else server.listen(0, "127.0.0.1", () => resolve());
  });
  const endpoint = opts.socket ?? `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { endpoint, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** dynalite in memory with the store's table created, and a client for it (the tests, the benches). */
export async function startDynalite(tableName = "mhp-test"): Promise<LocalDynamo> {
  const server = await serveDynalite();
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: "local", credentials });
  await ensureTable(client, tableName);
  return {
    client,
    endpoint: server.endpoint,
    tableName,
    stop: async () => {
      client.destroy();
      await server.close();
    },
  };
}

export interface SentMail {
  subject: string;
  to: string[];
  from: string;
  text: string;
  html: string;
  at: string;
}

export interface LocalSes {
  port: number;
  client: SESClient;
  stop(): Promise<void>;
  start(): Promise<void>;
  mails(): Promise<SentMail[]>;
}

export async function startSesLocal(): Promise<LocalSes> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const base = `http://127.0.0.1:${port}`;
  const start = async () => {
    child = await spawnSesLocal(port);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await exited;
  };
  await start();
  const client = new SESClient({ endpoint: base, region: "local", credentials, maxAttempts: 1 });
  return {
    port,
    client,
    start,
    stop,
    mails: () => fetchMails(port),
  };
}

/** The mails an aws-ses-v2-local on this port holds (the lab's embedded mail viewer, or a test's own). */
export async function fetchMails(port: number): Promise<SentMail[]> {
  const r = await fetch(`http://127.0.0.1:${port}/store`, { signal: AbortSignal.timeout(2000) });
  const body = (await r.json()) as {
    emails: {
      subject: string;
      destination: { to: string[] };
      from: string;
      body: { text?: string; html?: string };
      at: number;
    }[];
  };
  return body.emails.map((e) => ({
    subject: e.subject,
    to: e.destination.to,
    from: e.from,
    text: e.body.text ?? "",
    html: e.body.html ?? "",
    at: new Date(e.at * 1000).toISOString(),
  }));
}
