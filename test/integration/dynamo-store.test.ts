/**
 * The DynamoDB store and the SES notifier, each against its real stand-in or a server that misbehaves:
 * the first conditional write, the outbox order (by time, not by the map's order, which DynamoDB does not
 * promise), and the notifier's deadline.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SESClient } from "@aws-sdk/client-ses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, startDynalite } from "../../emulators/aws.ts";
import { DynamoStore } from "../../shared/adapters/dynamo-store.ts";
import { SesNotifier } from "../../shared/adapters/ses-notifier.ts";
import type { Alert } from "../../shared/domain/alert-policy.ts";
import { decide } from "../../shared/domain/alert-policy.ts";
import { assess } from "../../shared/domain/assess.ts";
import { boundState } from "../../shared/domain/state-size.ts";
import { deadlineIn } from "../../shared/domain/types.ts";
import { input, nodesView, sqlView } from "../helpers/cluster.ts";

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo?.stop();
});

const state = decide(
  "c",
  null,
  assess(input(sqlView("a"), nodesView("a"))),
  new Date("2026-11-25T10:00:00Z"),
).state;
const alert = (id: string, createdAt: string): Alert => ({
  id,
  cluster: "c",
  kind: "transition",
  from: "HEALTHY",
  to: "DEGRADED",
  createdAt,
  subject: `s ${id}`,
  text: "t",
  html: "<p>h</p>",
});
const store = () => new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName });
const commit = (
  cluster: string,
  expected: number | null,
  keepOutbox: Alert[] = [],
  addAlerts: Alert[] = [],
) => store().commit(cluster, expected, { state, addAlerts, addHistory: [], keepOutbox, keepHistory: [] });

describe("the DynamoDB store (dynalite)", () => {
  it("the first write is conditional too: two runs that both saw no state, one commits", async () => {
    const results = [await commit("first-race", null), await commit("first-race", null)];
    expect(results).toEqual([{ committed: true, version: 1 }, { committed: false }]);
  });

  it("the outbox comes back oldest first whatever the order it was written in", async () => {
    // Prepare: the newer alert written first into the map, the older one after it
    const newer = alert("aa-newer", "2026-11-25T10:05:00.000Z");
    const older = alert("zz-older", "2026-11-25T10:01:00.000Z");
    await commit("order", null, [], [newer]);
    await commit("order", 1, [newer], [older]);
    // Act
    const loaded = await store().load("order");
    // Assess
    expect(loaded?.outbox.map((a) => a.id)).toEqual(["zz-older", "aa-newer"]);
  });
});

describe("the consistency sweep's item (dynalite)", () => {
  it("conditional on the version read, the first write too: of two slices that read the same version, one writes", async () => {
    // Prepare
    const store = new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName });
    const record = { pass: null, last: null };
    // Act: two first writes, then two writes at version 1
    const first = await Promise.all([
      store.saveSweep("sweep-c", null, record, 10),
      store.saveSweep("sweep-c", null, record, 20),
    ]);
    const second = await Promise.all([
      store.saveSweep("sweep-c", 1, { ...record, lastSlice: { at: "x", outcome: "done" } }, 0),
      store.saveSweep("sweep-c", 1, record, 30),
    ]);
    // Assess
    expect(first.filter((v) => v === 1)).toHaveLength(1);
    expect(first.filter((v) => v === null)).toHaveLength(1);
    expect(second.filter((v) => v === 2)).toHaveLength(1);
    expect((await store.loadSweep("sweep-c"))?.version).toBe(2);
    // the current state item of the same pair is another item: untouched
    expect(await store.load("sweep-c")).toBeNull();
  });
});

describe("the SES notifier's deadline", () => {
  let server: Server;
  let endpoint: string;
  beforeAll(async () => {
    server = createServer(() => {}); // accepts, never answers
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("a mail service that never answers: the send is given up at the deadline (the alert stays queued)", async () => {
    const client = new SESClient({
      endpoint,
      region: "eu-west-1",
      credentials: { accessKeyId: "t", secretAccessKey: "t" },
      maxAttempts: 1,
    });
    const n = new SesNotifier({ client, from: "p@example.com", to: ["o@example.com"] });
    const started = Date.now();
    await expect(n.send(alert("x", "2026-11-25T10:00:00Z"), deadlineIn(400))).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("the stored state stays within DynamoDB's item limit (domain/state-size.ts)", () => {
  it("a state grown past 400 KB is refused by the store as it is, and commits once bounded", async () => {
    // Prepare: two findings whose evidence holds 250 KB each (a server's huge GTID set, copied twice)
    const huge = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-2".repeat(6_000);
    const big = {
      ...state,
      findings: [
        ...state.findings,
        { code: "GTID_DISABLED", severity: "critical", message: "m", evidence: { a: huge }, subject: "a" },
        { code: "GTID_DISABLED", severity: "critical", message: "m", evidence: { b: huge }, subject: "b" },
      ],
    } as typeof state;
    const put = (s: typeof state, cluster: string) =>
      store().commit(cluster, null, {
        state: s,
        addAlerts: [],
        addHistory: [],
        keepOutbox: [],
        keepHistory: [],
      });
    // Act + Assess: as it is, DynamoDB refuses the item (every later commit would too)
    await expect(put(big, "oversized")).rejects.toThrow(/size/i);
    const bounded = boundState(big);
    // only as much as needed is left out: one evidence of the two
    expect(bounded.trimmed).toEqual([expect.stringMatching(/^evidence of GTID_DISABLED@a \(\d+ bytes\)$/)]);
    await expect(put(bounded.state, "bounded")).resolves.toEqual({ committed: true, version: 1 });
    const back = await store().load("bounded");
    expect(back?.state.findings.at(-1)?.evidence).toEqual({ b: huge });
    expect(back?.state.findings.at(-2)?.evidence).toEqual({
      omitted: expect.stringMatching(/left out: the stored state must stay under 300000 bytes/),
    });
  });
});
