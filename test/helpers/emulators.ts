/**
 * Local stand-ins started by the tests themselves, on loopback only: dynalite for DynamoDB (in
 * process) and aws-ses-v2-local for SES (a child process, so a test can stop and restart it).
 */
import type { ChildProcess } from "node:child_process";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SESClient } from "@aws-sdk/client-ses";
import dynalite from "dynalite";
import { freePort, spawnSesLocal } from "../../lab/emulators.ts";
import { ensureTable } from "../../shared/adapters/dynamo-store.ts";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };

export interface LocalDynamo {
  client: DynamoDBClient;
  /** http://127.0.0.1:<port>, for another process */
  endpoint: string;
  tableName: string;
  stop(): Promise<void>;
}

export async function startDynalite(tableName = "mhp-test"): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: "local", credentials });
  await ensureTable(client, tableName);
  return {
    client,
    endpoint: `http://127.0.0.1:${port}`,
    tableName,
    stop: () =>
      new Promise((r) => {
        client.destroy();
        server.close(() => r());
      }),
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
