/**
 * StateStore on DynamoDB (one table, on demand).
 *
 * Table design: partition key `pk` = "cluster#<name>", sort key `sk`:
 * - "current": the current state (JSON), its `version`, and two maps: `outbox` (the ids and times of
 *   the alerts not yet accepted by SES) and `historyOutbox` (history items not yet written). One
 *   conditional PutItem (`version = :expected`) replaces it, so two overlapping runs cannot both
 *   commit the same transition; only the winner sends the alerts.
 * - "alert#<id>": the body of an alert (subject, text, HTML: several KB), written before the commit
 *   that lists it in the outbox. Kept out of "current" so a long SES outage (a reminder every 15 min
 *   during a split brain) cannot grow that item to DynamoDB's 400 KB limit and stop every commit.
 *   A body no committed outbox lists (a run that lost the race) expires through the TTL.
 * - "h#<ISO time>#<version>": one item per transition ("i#...#<incident id>" per incident opened, and per probe, "s#...", when samples are
 *   on), with a TTL attribute `expiresAt` (epoch seconds).
 * - "sweep": the consistency sweep's record (JSON, bounded: counts and at most 50 keys per table, never
 *   rows), its `version` and `leaseUntil`; replaced by a conditional PutItem (`version = :expected`).
 * Every call has a deadline (the SDK request is aborted when it passes).
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { Alert } from "../domain/alert-policy.ts";
import type { SweepRecord } from "../domain/consistency/sweep.ts";
import type { ClusterState } from "../domain/state.ts";
import type {
  CommitInput,
  CommitResult,
  HistoryItem,
  PushGate,
  StateStore,
  StoredCurrent,
  StoredSweep,
  SweepStore,
} from "../ports.ts";

export interface DynamoStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** How long history items live. @default 90 */
  historyTtlDays?: number;
  /** Deadline of each DynamoDB call. @default 3000 */
  callTimeoutMs?: number;
}

const pk = (cluster: string) => `cluster#${cluster}`;

export class DynamoStore implements StateStore, PushGate, SweepStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly ttlDays: number;
  private readonly callTimeoutMs: number;

  constructor(private readonly o: DynamoStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(o.client, { marshallOptions: { removeUndefinedValues: true } });
    this.ttlDays = o.historyTtlDays ?? 90;
    this.callTimeoutMs = o.callTimeoutMs ?? 3000;
  }

  /** One item of the pair, read strongly consistent (what the last conditional write left). */
  private async item(cluster: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const r = await this.call((signal) =>
      this.doc.send(
        new GetCommand({ TableName: this.o.tableName, Key: { pk: pk(cluster), sk }, ConsistentRead: true }),
        { abortSignal: signal },
      ),
    );
    return r.Item;
  }

  async load(cluster: string): Promise<StoredCurrent | null> {
    const item = await this.item(cluster, "current");
    if (!item) return null;
    const entries = Object.values((item.outbox ?? {}) as Record<string, string>).map(
      (j) => JSON.parse(j) as OutboxEntry | Alert,
    );
    return {
      version: Number(item.version),
      state: JSON.parse(String(item.state)) as ClusterState,
      outbox: sortByTime(await this.alertBodies(cluster, entries), (a) => a.createdAt),
      historyOutbox: sortByTime(
        Object.values((item.historyOutbox ?? {}) as Record<string, string>).map(
          (j) => JSON.parse(j) as HistoryItem,
        ),
        (h) => h.at,
      ),
    };
  }

  async commit(cluster: string, expectedVersion: number | null, next: CommitInput): Promise<CommitResult> {
    const version = (expectedVersion ?? 0) + 1;
    // the bodies first: a commit never lists an alert whose body is not stored
    for (const a of next.addAlerts) await this.putAlertBody(cluster, a);
    const outbox: Record<string, string> = {};
    for (const a of [...next.keepOutbox, ...next.addAlerts])
      outbox[key(a.id)] = JSON.stringify({ id: a.id, createdAt: a.createdAt } satisfies OutboxEntry);
    const historyOutbox: Record<string, string> = {};
    for (const h of [...next.keepHistory, ...next.addHistory.map((h) => ({ ...h, version }))]) {
      historyOutbox[key(historySk(h))] = JSON.stringify(h);
    }
    const written = await this.putAtVersion(
      {
        pk: pk(cluster),
        sk: "current",
        version,
        status: next.state.status,
        observedAt: next.state.observedAt,
        state: JSON.stringify(next.state),
        outbox,
        historyOutbox,
      },
      expectedVersion,
    );
    return written ? { committed: true, version } : { committed: false };
  }

  /**
   * Puts `item` (its `version` set by the caller) if the stored item's version is still `expected` (null: no
   * item yet); false when another writer got there first (ConditionalCheckFailed).
   */
  private async putAtVersion(item: Record<string, unknown>, expected: number | null): Promise<boolean> {
    try {
      await this.call((signal) =>
        this.doc.send(
          new PutCommand({
            TableName: this.o.tableName,
            Item: item,
            ConditionExpression: expected === null ? "attribute_not_exists(pk)" : "version = :expected",
            ...(expected === null ? {} : { ExpressionAttributeValues: { ":expected": expected } }),
          }),
          { abortSignal: signal },
        ),
      );
      return true;
    } catch (e) {
      if (
        e instanceof ConditionalCheckFailedException ||
        (e as Error).name === "ConditionalCheckFailedException"
      )
        return false;
      throw e;
    }
  }

  async flushHistory(cluster: string, items: HistoryItem[]): Promise<void> {
    for (const h of items) {
      const sk = historySk(h);
      await this.call((signal) =>
        this.doc.send(
          new PutCommand({
            TableName: this.o.tableName,
            Item: {
              pk: pk(cluster),
              sk,
              ...h,
              expiresAt: Math.floor(Date.parse(h.at) / 1000) + this.ttlDays * 86_400,
            },
          }),
          { abortSignal: signal },
        ),
      );
      await this.removeFromMap(cluster, "historyOutbox", key(sk));
    }
  }

  /**
   * The "push" item: a conditional PutItem that succeeds only when no claim is held (or the last one
   * expired), so of many pushed invocations in the same moment one probes.
   */
  async claim(cluster: string, holdMs: number): Promise<boolean> {
    const now = Date.now();
    try {
      await this.call((signal) =>
        this.doc.send(
          new PutCommand({
            TableName: this.o.tableName,
            Item: {
              pk: pk(cluster),
              sk: "push",
              until: now + holdMs,
              expiresAt: Math.floor(now / 1000) + 86_400,
            },
            ConditionExpression: "attribute_not_exists(pk) OR #until < :now",
            ExpressionAttributeNames: { "#until": "until" },
            ExpressionAttributeValues: { ":now": now },
          }),
          { abortSignal: signal },
        ),
      );
      return true;
    } catch (e) {
      if ((e as Error).name === "ConditionalCheckFailedException") return false;
      throw e;
    }
  }

  async admit(node: string, max: number, windowMs: number): Promise<boolean> {
    const now = Date.now();
    const window = Math.floor(now / windowMs) * windowMs;
    try {
      await this.call((signal) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.o.tableName,
            Key: { pk: `node#${node}`, sk: `push#${window}` },
            UpdateExpression: "ADD #n :one SET expiresAt = :expires",
            ConditionExpression: "attribute_not_exists(#n) OR #n < :max",
            ExpressionAttributeNames: { "#n": "n" },
            ExpressionAttributeValues: {
              ":one": 1,
              ":max": max,
              ":expires": Math.floor((window + windowMs) / 1000) + 3_600,
            },
          }),
          { abortSignal: signal },
        ),
      );
      return true;
    } catch (e) {
      if ((e as Error).name === "ConditionalCheckFailedException") return false;
      throw e;
    }
  }

  async loadSweep(cluster: string): Promise<StoredSweep | null> {
    const item = await this.item(cluster, "sweep");
    if (!item) return null;
    return {
      version: Number(item.version),
      record: JSON.parse(String(item.record)) as SweepRecord,
      leaseUntil: Number(item.leaseUntil ?? 0),
    };
  }

  async saveSweep(
    cluster: string,
    expectedVersion: number | null,
    record: SweepRecord,
    leaseUntil: number,
  ): Promise<number | null> {
    const version = (expectedVersion ?? 0) + 1;
    const item = { pk: pk(cluster), sk: "sweep", version, leaseUntil, record: JSON.stringify(record) };
    return (await this.putAtVersion(item, expectedVersion)) ? version : null;
  }

  async markSent(cluster: string, alertId: string): Promise<void> {
    await this.removeFromMap(cluster, "outbox", key(alertId));
    await this.call((signal) =>
      this.doc.send(
        new DeleteCommand({ TableName: this.o.tableName, Key: { pk: pk(cluster), sk: alertSk(alertId) } }),
        { abortSignal: signal },
      ),
    );
  }

  private async putAlertBody(cluster: string, a: Alert): Promise<void> {
    await this.call((signal) =>
      this.doc.send(
        new PutCommand({
          TableName: this.o.tableName,
          Item: {
            pk: pk(cluster),
            sk: alertSk(a.id),
            alert: JSON.stringify(a),
            expiresAt: Math.floor(Date.parse(a.createdAt) / 1000) + ALERT_TTL_DAYS * 86_400,
          },
        }),
        { abortSignal: signal },
      ),
    );
  }

  /** The bodies of the listed alerts (one query); entries written whole by an older version are kept as they are. */
  private async alertBodies(cluster: string, entries: (OutboxEntry | Alert)[]): Promise<Alert[]> {
    const whole = entries.filter((e): e is Alert => "subject" in e);
    const wanted = new Set(entries.filter((e) => !("subject" in e)).map((e) => e.id));
    if (wanted.size === 0) return whole;
    const found: Alert[] = [];
    const items = await this.queryAll({
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
      ExpressionAttributeValues: { ":pk": pk(cluster), ":prefix": "alert#" },
      ConsistentRead: true,
    });
    for (const item of items) {
      const a = JSON.parse(String(item.alert)) as Alert;
      if (wanted.has(a.id)) found.push(a);
    }
    return [...whole, ...found];
  }

  async history(
    cluster: string,
    from: Date,
    to: Date,
    kinds: HistoryItem["kind"][] = ["transition", "incident"],
  ): Promise<HistoryItem[]> {
    const out: HistoryItem[] = [];
    for (const kind of kinds) {
      const prefix = `${HISTORY_PREFIX[kind]}#`;
      const items = await this.queryAll({
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
        ExpressionAttributeValues: {
          ":pk": pk(cluster),
          ":from": `${prefix}${from.toISOString()}`,
          ":to": `${prefix}${to.toISOString()}#~`,
        },
      });
      for (const item of items) {
        const { pk: _pk, sk: _sk, expiresAt: _e, ...h } = item;
        out.push(h as unknown as HistoryItem);
      }
    }
    return out.sort((a, b) => a.at.localeCompare(b.at) || a.version - b.version);
  }

  /** Every item of a query, page after page, each page under the call deadline. */
  private async queryAll(
    input: Omit<ConstructorParameters<typeof QueryCommand>[0], "TableName" | "ExclusiveStartKey">,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const r = await this.call((signal) =>
        this.doc.send(
          new QueryCommand({ ...input, TableName: this.o.tableName, ExclusiveStartKey: startKey }),
          {
            abortSignal: signal,
          },
        ),
      );
      items.push(...(r.Items ?? []));
      startKey = r.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  private async removeFromMap(cluster: string, map: "outbox" | "historyOutbox", k: string): Promise<void> {
    await this.call((signal) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.o.tableName,
          Key: { pk: pk(cluster), sk: "current" },
          UpdateExpression: "REMOVE #m.#k",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#m": map, "#k": k },
        }),
        { abortSignal: signal },
      ),
    ).catch((e) => {
      if ((e as Error).name !== "ConditionalCheckFailedException") throw e;
    });
  }

  private async call<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.callTimeoutMs);
    try {
      return await fn(controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What the current item's outbox holds for each unsent alert: its body is the "alert#<id>" item. */
interface OutboxEntry {
  id: string;
  createdAt: string;
}

/** How long an alert body lives: an unsent alert this old is not worth sending any more. */
const ALERT_TTL_DAYS = 30;

const alertSk = (id: string) => `alert#${id}`;

const HISTORY_PREFIX: Record<HistoryItem["kind"], string> = { transition: "h", incident: "i", sample: "s" };

function historySk(h: HistoryItem): string {
  const base = `${HISTORY_PREFIX[h.kind]}#${h.at}#${String(h.version).padStart(12, "0")}`;
  return h.incidentId ? `${base}#${h.incidentId}` : base;
}

/** Map keys must be plain names for expressions: ids are encoded to [A-Za-z0-9_]. */
function key(id: string): string {
  return `k${Buffer.from(id).toString("hex")}`;
}

function sortByTime<T>(items: T[], at: (t: T) => string): T[] {
  return items.sort((a, b) => at(a).localeCompare(at(b)));
}

/** Creates the table (pk/sk strings, on demand) if it does not exist: for local stores and tests. Each call has a deadline. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException } = await import(
    "@aws-sdk/client-dynamodb"
  );
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }), {
      abortSignal: AbortSignal.timeout(3000),
    });
    return;
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException) && (e as Error).name !== "ResourceNotFoundException")
      throw e;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
    { abortSignal: AbortSignal.timeout(5000) },
  );
  for (let i = 0; i < 50; i++) {
    const d = await client.send(new DescribeTableCommand({ TableName: tableName }), {
      abortSignal: AbortSignal.timeout(3000),
    });
    if (d.Table?.TableStatus === "ACTIVE") return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
