/**
 * The store and the mail of the CLI's configuration: DynamoDB, or embedded dynalite with an on-disk data
 * directory; SES, or embedded aws-ses-v2-local with its web viewer; all on loopback when embedded. The
 * observers are in observers.ts (`probe` needs no store).
 */
import type { ChildProcess } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { SESClient } from "@aws-sdk/client-ses";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { serveDynalite, sesLocalUp, spawnSesLocal } from "../emulators/aws.ts";
import { DynamoStore, ensureTable } from "../shared/adapters/dynamo-store.ts";
import { SesNotifier } from "../shared/adapters/ses-notifier.ts";
import type { Config } from "../shared/config.ts";
import type { Notifier, StateStore, SweepStore } from "../shared/ports.ts";
import {
  assertOwnListener,
  privateDir,
  removeStaleSocket,
  storeSocket,
  unixSocketAgent,
} from "./local-access.ts";

export interface Services {
  /** The state table: the pairs' states, and the consistency sweep's records. */
  store: StateStore & SweepStore;
  notifier: Notifier;
  /** Where to read the mail, when it is the embedded viewer. */
  mailViewerUrl?: string;
  close(): Promise<void>;
}

const LOCAL = { accessKeyId: "local", secretAccessKey: "local" };

export async function openServices(cfg: Config, opts: { keepRunning?: boolean } = {}): Promise<Services> {
  const closers: (() => Promise<void>)[] = [];
  let store: StateStore & SweepStore;
  if (cfg.store.type === "embedded") {
    // One process owns the data directory and serves it on a fixed loopback port: a `watch` that runs
    // keeps serving it, so `ack`, `history` and a second `watch` use that one instead of the locked files.
    // It is served on a unix socket in its private (0700) data directory: only this user reaches it.
    const local = cfg.store;
    privateDir(local.dataDir);
    const socket = storeSocket(local.dataDir);
    const client = embeddedStoreClient(local.dataDir);
    if (!(await answers(client))) {
      removeStaleSocket(socket);
      const server = await serveDynalite({ socket, path: local.dataDir });
      chmodSync(socket, 0o600);
      closers.push(() => server.close());
    }
    await ensureTable(client, local.tableName);
    store = new DynamoStore({ client, tableName: local.tableName });
    closers.push(async () => client.destroy());
  } else {
    const client = new DynamoDBClient({
      ...(cfg.store.region ? { region: cfg.store.region } : {}),
      ...(cfg.store.endpoint ? { endpoint: cfg.store.endpoint } : {}),
    });
    store = new DynamoStore({ client, tableName: cfg.store.tableName });
    closers.push(async () => client.destroy());
  }
  let notifier: Notifier;
  let mailViewerUrl: string | undefined;
  if (cfg.mail.type === "embedded") {
    const url = `http://127.0.0.1:${cfg.mail.port}`;
    const child = await ensureSesLocal(cfg.mail.port, opts.keepRunning ?? false);
    if (child && !opts.keepRunning) closers.push(async () => void child.kill("SIGTERM"));
    mailViewerUrl = `${url}/`;
    const ses = new SesNotifier({
      client: new SESClient({ endpoint: url, region: "local", credentials: LOCAL, maxAttempts: 1 }),
      from: cfg.mail.from,
      to: cfg.mail.to,
    });
    // the viewer keeps mails in memory and stops with the command that started it: each accepted
    // mail is also kept on disk, beside the embedded store, for `mails`
    const log = mailLogOf(cfg);
    notifier = log ? loggingNotifier(ses, log) : ses;
  } else {
    notifier = new SesNotifier({
      client: new SESClient({
        ...(cfg.mail.region ? { region: cfg.mail.region } : {}),
        ...(cfg.mail.endpoint ? { endpoint: cfg.mail.endpoint } : {}),
      }),
      from: cfg.mail.from,
      to: cfg.mail.to,
    });
  }
  return {
    store,
    notifier,
    ...(mailViewerUrl ? { mailViewerUrl } : {}),
    close: async () => {
      for (const c of closers.reverse()) await c().catch(() => {});
    },
  };
}

/** Does a DynamoDB endpoint (another process's embedded store) answer there? */
async function answers(client: DynamoDBClient): Promise<boolean> {
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/** The embedded store's client: every request over the unix socket in its data directory, with deadlines. */
export function embeddedStoreClient(dataDir: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: "http://localhost",
    region: "local",
    credentials: LOCAL,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: unixSocketAgent(storeSocket(dataDir)),
      connectionTimeout: 1000,
      requestTimeout: 5000,
    }),
  });
}

/**
 * Starts aws-ses-v2-local on 127.0.0.1:port unless one of this user's already answers there; a port held
 * by another user's process is an error naming it (it could swallow every alert).
 */
async function ensureSesLocal(port: number, detached: boolean): Promise<ChildProcess | undefined> {
  assertOwnListener(port, "mail.port");
  if (await sesLocalUp(port)) return undefined;
  return spawnSesLocal(port, { detached });
}

/** Where the embedded mail keeps what it accepted: beside the embedded store (null without one). */
export function mailLogOf(cfg: Config): string | null {
  return cfg.mail.type === "embedded" && cfg.store.type === "embedded"
    ? join(cfg.store.dataDir, "mails.jsonl")
    : null;
}

export interface LoggedMail {
  at: string;
  id: string | undefined;
  cluster: string;
  subject: string;
  text: string;
}

/** A notifier that appends each mail it got accepted to a JSON-lines file (0600). */
export function loggingNotifier(inner: Notifier, file: string): Notifier {
  return {
    async send(alert, deadline) {
      const id = await inner.send(alert, deadline);
      const line: LoggedMail = {
        at: new Date().toISOString(),
        id,
        cluster: alert.cluster,
        subject: alert.subject,
        text: alert.text,
      };
      appendFileSync(file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
      return id;
    },
  };
}

/** The mails kept by loggingNotifier, oldest first; none when the file does not exist yet. */
export function readMailLog(file: string): LoggedMail[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as LoggedMail);
}
