/**
 * The deployed consistency sweep: what a slice does next (domain/consistency/sweep.ts) and the slices
 * themselves (consistency-sweep.ts) over two in-memory nodes and a sweep store with the state table's
 * conditional-write semantics.
 */
import { describe, expect, it } from "vitest";
import type { CompareNode } from "../../shared/consistency-check.ts";
import { type SweepDeps, sweepSlice } from "../../shared/consistency-sweep.ts";
import {
  boundRecord,
  divergenceFindings,
  owedFor,
  RECORD_MAX_BYTES,
  type SweepRecord,
  type SweepSettings,
  sliceAction,
  stillOwed,
} from "../../shared/domain/consistency/sweep.ts";
import type { ClusterState } from "../../shared/domain/state.ts";
import type { StoredSweep, SweepStore } from "../../shared/ports.ts";
import { idOf, Replica, Writer } from "../helpers/compare-nodes.ts";
import { MemorySweepStore } from "../helpers/fake-ports.ts";

const SETTINGS: SweepSettings = {
  schemas: ["shop"],
  sliceSeconds: 10,
  restMinutes: 60,
  chunkTimeMs: 250,
  maxLoad: 25,
};
const NOW = new Date("2026-12-07T10:00:00Z");

/** A HEALTHY pair, A holding the VIP, B replicating from A. */
function state(over: Partial<ClusterState> = {}): ClusterState {
  const node = (id: "a" | "b") => ({
    id,
    host: id,
    mysql: "up" as const,
    vipBound: id === "a",
    vipInterface: "eth0",
    vipPrefix: 24,
    keepalived: id === "a" ? "MASTER" : "BACKUP",
    replication: { io: "Yes", sql: true, lagSeconds: 0 },
  });
  return {
    cluster: "lab",
    observedAt: NOW.toISOString(),
    status: "HEALTHY",
    probeStatus: "HEALTHY",
    statusSince: NOW.toISOString(),
    reasons: [],
    vipOwner: "a",
    nodes: { a: node("a"), b: node("b") },
    findings: [],
    events: [],
    pending: null,
    lastAlertAt: null,
    memory: {} as ClusterState["memory"],
    ...over,
  } as ClusterState;
}

/** 20,000 rows on A, applied on B, B's own errant writes on 42 and 15,000; a chunk read takes 5 ms and reports 0.1 ms of server time per row. */
function pair() {
  const a = new Writer();
  for (let id = 1; id <= 20_000; id++) a.write({ id, v: `v${id}` });
  const b = new Replica(a);
  b.catchUp(a.log.length);
  b.errant({ id: 42, v: "x" }, { id: 15_000, v: "y" });
  let chunks = 0;
  const slow = <N extends CompareNode>(n: N): N => {
    const hash = n.chunkHash.bind(n);
    n.chunkHash = async (...args) => {
      chunks++;
      await new Promise((r) => setTimeout(r, 5));
      const h = await hash(...args);
      return { ...h, ms: h.rows / 10 };
    };
    return n;
  };
  return { a: slow(a), b: slow(b), chunks: () => chunks };
}

function deps(store: SweepStore, nodes: { a: CompareNode; b: CompareNode }): SweepDeps {
  return {
    store,
    open: async () => ({ reference: nodes.a, other: nodes.b, close: async () => {} }),
    now: () => NOW,
  };
}

describe("what a slice does next", () => {
  it("waits while the pair is not HEALTHY or DEGRADED, while no single node holds the VIP, and while the other node does not replicate", () => {
    expect(sliceAction(null, state({ status: "SPLIT_BRAIN" }), SETTINGS, NOW)).toMatchObject({ do: "wait" });
    expect(sliceAction(null, state({ vipOwner: "both" }), SETTINGS, NOW)).toMatchObject({ do: "wait" });
    const stopped = state();
    stopped.nodes.b.replication = { io: "Yes", sql: false, lagSeconds: null };
    expect(sliceAction(null, stopped, SETTINGS, NOW)).toEqual({
      do: "wait",
      why: "node B does not replicate from node A now (IO Yes, SQL false)",
    });
    expect(sliceAction(null, state(), SETTINGS, NOW)).toEqual({
      do: "start",
      reason: "first",
      reference: "a",
    });
  });

  it("rests after a pass, then starts the next; the writer is the reference", () => {
    const last = { finishedAt: "2026-12-07T09:30:00Z" } as SweepRecord["last"];
    const record = { pass: null, last } as SweepRecord;
    expect(sliceAction(record, state(), SETTINGS, NOW)).toMatchObject({ do: "wait" });
    const later = new Date("2026-12-07T10:31:00Z");
    expect(sliceAction(record, state({ vipOwner: "b" }), SETTINGS, later)).toEqual({
      do: "start",
      reason: "schedule",
      reference: "b",
    });
  });

  it("a split brain in which both nodes took writes ends: a pass is owed at once (the rest and the pass under way give way), until one has started", () => {
    const sb = { since: "2026-12-07T09:50:00Z", writes: { a: "uuid-a:5-9", b: "uuid-b:1-3" } };
    const ended = state({ splitBrain: sb });
    const owed = owedFor(null, ended);
    expect(owed).toEqual({ splitBrainSince: sb.since, endedAt: NOW.toISOString() });
    // one node only took writes: nothing diverged, nothing owed
    expect(
      owedFor(null, state({ splitBrain: { ...sb, writes: { a: "uuid-a:5-9", b: null } } })),
    ).toBeUndefined();
    // still split: not yet
    expect(owedFor(null, state({ status: "SPLIT_BRAIN", splitBrain: sb }))).toBeUndefined();
    // kept by the next states (which no longer carry the split brain)
    const next = state({ consistencyOwed: owed });
    expect(owedFor(next, state())).toEqual(owed);
    const resting = { pass: { startedAt: "x", tables: {} }, last: null } as unknown as SweepRecord;
    expect(sliceAction(resting, next, SETTINGS, NOW)).toEqual({
      do: "start",
      reason: "after-split-brain",
      reference: "a",
      splitBrainSince: sb.since,
    });
    const started = { pass: { splitBrainSince: sb.since, tables: {} }, last: null } as unknown as SweepRecord;
    expect(stillOwed(owed, started)).toBeUndefined();
    expect(sliceAction(started, next, SETTINGS, NOW)).toEqual({ do: "continue", reference: "a" });
  });
});

describe("slices", () => {
  it("a node busier than maxLoad: the slice reads no chunk, waits until its end, logs sweep-paused", async () => {
    // Prepare: B at 30 Threads_running, the sweep's limit 25
    const { a, b, chunks } = pair();
    b.running = 30;
    const store = new MemorySweepStore();
    const logged: string[] = [];
    const d = { ...deps(store, { a, b }), log: (event: string) => void logged.push(event) };
    // Act
    const started = Date.now();
    const r = await sweepSlice("lab", SETTINGS, state(), d, started + 300);
    // Assess
    expect(r.outcome).toBe("progress");
    expect(chunks()).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(logged).toContain("sweep-paused");
    // a slice that reads, with no node busy, pauses for nothing and says so nowhere
    b.running = 1;
    logged.length = 0;
    const done = await sweepSlice("lab", SETTINGS, state(), d, Date.now() + 5000);
    expect(done.outcome).toBe("done");
    expect(logged).not.toContain("sweep-paused");
  });

  it("a pass in slices: each stops at its time, its progress saved after every chunk; the pass ends with the rows B holds differently", async () => {
    // Prepare
    const { a, b, chunks } = pair();
    const store = new MemorySweepStore();
    // Act: slices of 40 ms until the pass is done (a slice's start alone, the in-memory key range of
    // 20,000 rows, takes up to 30 ms on a busy machine)
    const outcomes: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await sweepSlice("lab", SETTINGS, state(), deps(store, { a, b }), Date.now() + 40);
      outcomes.push(r.outcome);
      if (r.outcome === "done") break;
    }
    // Assess
    expect(outcomes.length).toBeGreaterThan(2);
    expect(outcomes.at(-1)).toBe("done");
    const record = store.item?.record;
    expect(record?.pass).toBeNull();
    expect(record?.last).toMatchObject({
      reason: "first",
      rows: 20_000,
      differing: 2,
      tablesDiffering: { "shop.t": 2 },
    });
    expect(record?.last?.differences.map((d) => `${d.kind}:${idOf(d.key)}`)).toEqual([
      "different:42",
      "different:15000",
    ]);
    // every chunk saved (its read counted once per node, the narrowing's reads besides)
    expect(store.saves).toBeGreaterThanOrEqual(chunks() / 2);
    // the lease is given back at the end
    expect(store.item?.leaseUntil).toBe(0);
  });

  it("a slice killed mid-pass: the next one resumes from the last saved chunk, and the pass finds the same rows", async () => {
    const { a, b } = pair();
    const store = new MemorySweepStore();
    store.crashAtSave = 4; // the claim, two chunks saved, then killed
    await expect(
      sweepSlice("lab", SETTINGS, state(), deps(store, { a, b }), Date.now() + 60_000),
    ).resolves.toMatchObject({
      outcome: "error",
    });
    const saved = store.item?.record.pass?.tables["shop.t"];
    expect(saved?.chunks).toBe(2);
    store.crashAtSave = Number.POSITIVE_INFINITY;
    // the killed slice's lease was never given back: the next slice waits for it to lapse
    store.item = { ...(store.item as StoredSweep), leaseUntil: 0 };
    const r = await sweepSlice("lab", SETTINGS, state(), deps(store, { a, b }), Date.now() + 60_000);
    expect(r.outcome).toBe("done");
    expect(store.item?.record.last?.differences.map((d) => idOf(d.key))).toEqual([42, 15_000]);
  });

  it("a chunk that differs in many rows: no statement after the slice's hard end; the chunk is retried smaller until the pass is done", async () => {
    // Prepare: 2,000 rows, B different on ids 1-300; a statement reading rows' images takes 1 ms per row
    const a = new Writer();
    for (let id = 1; id <= 2000; id++) a.write({ id, v: `v${id}` });
    const b = new Replica(a);
    b.catchUp(a.log.length);
    for (let id = 1; id <= 300; id++) b.errant({ id, v: "x" });
    const late: number[] = [];
    let abortAt = 0;
    for (const n of [a, b] as CompareNode[]) {
      const images = n.rowImages.bind(n);
      n.rowImages = async (t, keys) => {
        if (Date.now() > abortAt) late.push(Date.now() - abortAt);
        await new Promise((r) => setTimeout(r, keys.length));
        return images(t, keys);
      };
    }
    const store = new MemorySweepStore();
    // Act: slices of 50 ms, hard end 150 ms after the start
    const outcomes: string[] = [];
    for (let i = 0; i < 300; i++) {
      const started = Date.now();
      abortAt = started + 150;
      const r = await sweepSlice("lab", SETTINGS, state(), deps(store, { a, b }), started + 50, abortAt);
      outcomes.push(r.outcome);
      if (r.outcome === "done") break;
    }
    // Assess
    expect(late).toEqual([]);
    expect(outcomes).not.toContain("error");
    expect(outcomes.at(-1)).toBe("done");
    expect(store.item?.record.last).toMatchObject({ rows: 2000, differing: 300 });
  });

  it("two slices at once: the one that finds the lease held does nothing; one that lost the write stops", async () => {
    const { a, b } = pair();
    const store = new MemorySweepStore();
    store.item = { version: 7, record: { pass: null, last: null }, leaseUntil: Date.now() + 60_000 };
    expect(
      await sweepSlice("lab", SETTINGS, state(), deps(store, { a, b }), Date.now() + 1000),
    ).toMatchObject({
      outcome: "held",
    });
    // another slice writes between this one's read and its claim
    store.item.leaseUntil = 0;
    const racing: SweepStore = {
      loadSweep: async () => {
        const read = await store.loadSweep();
        store.item = { ...(store.item as StoredSweep), version: 8 };
        return read;
      },
      saveSweep: (...args) => store.saveSweep(...args),
    };
    expect(
      await sweepSlice("lab", SETTINGS, state(), deps(racing, { a, b }), Date.now() + 1000),
    ).toMatchObject({
      outcome: "lost",
      chunks: 0,
    });
  });
});

describe("DATA_DIVERGENCE", () => {
  const record = (keys: number[]): SweepRecord => ({
    pass: null,
    last: {
      startedAt: "2026-12-07T09:00:00Z",
      finishedAt: "2026-12-07T09:05:00Z",
      reason: "after-split-brain",
      rows: 300,
      tables: 1,
      differing: keys.length,
      tablesDiffering: { "shop.t": keys.length },
      differences: keys.map((k) => ({
        table: "shop.t",
        kind: "different" as const,
        key: [Buffer.from(String(k)).toString("hex")],
      })),
      drift: [],
      skipped: [],
      unconfirmed: 0,
    },
  });

  it("names the rows, the tables and how to get the repair SQL; one key per set of differences", () => {
    const [f] = divergenceFindings(record([42, 250]), "lab");
    expect(f?.code).toBe("DATA_DIVERGENCE");
    expect(f?.message).toContain("2 row(s) differ between the nodes in 1 table(s): shop.t (2)");
    expect(f?.message).toContain("mysql-ha-prober compare --cluster lab --tables shop.t --repair-dir <dir>");
    expect(f?.evidence.keys).toEqual(["shop.t [42] different", "shop.t [250] different"]);
    expect(divergenceFindings(record([42, 250]), "lab")[0]?.key).toBe(f?.key);
    expect(divergenceFindings(record([42]), "lab")[0]?.key).not.toBe(f?.key);
    expect(divergenceFindings(record([]), "lab")).toEqual([]);
  });

  it("the pass under way reports its rows at once; the last pass's rows count until the pass has done their table", () => {
    const r = record([42]);
    r.pass = {
      startedAt: "2026-12-07T10:00:00Z",
      reason: "schedule",
      tables: {
        "shop.t": {
          done: false,
          lower: null,
          size: 10,
          rows: 10,
          chunks: 1,
          differing: 1,
          differences: [{ table: "shop.t", kind: "missing-on-b", key: ["37"] }],
          unconfirmed: 0,
        },
      },
      drift: [],
      skipped: [],
    };
    expect(divergenceFindings(r, "lab")[0]?.evidence.differing).toBe(2);
    (r.pass.tables["shop.t"] as { done: boolean }).done = true;
    expect(divergenceFindings(r, "lab")[0]?.evidence.differing).toBe(1);
  });
});

describe("the record in the state table", () => {
  it("stays under the item limit: keys cut per table (counts whole), a key too long to read counted only", () => {
    // Prepare: 40 tables, each with 50 differences kept under 400-character keys (about 1 MB of JSON)
    const key = (t: number, i: number) => [
      `${"ab".repeat(190)}${String(t).padStart(4, "0")}${String(i).padStart(4, "0")}`,
    ];
    const tables = Object.fromEntries(
      Array.from({ length: 40 }, (_, t) => [
        `shop.t${t}`,
        {
          done: true,
          lower: null,
          size: 1000,
          rows: 1000,
          chunks: 1,
          differing: 500,
          differences: Array.from({ length: 50 }, (_, i) => ({
            table: `shop.t${t}`,
            kind: "different" as const,
            key: key(t, i),
          })),
          unconfirmed: 0,
        },
      ]),
    );
    const record: SweepRecord = {
      pass: { startedAt: NOW.toISOString(), reason: "schedule", tables, drift: [], skipped: [] },
      last: null,
    };
    expect(JSON.stringify(record).length).toBeGreaterThan(RECORD_MAX_BYTES);
    // Act
    const bounded = boundRecord(record);
    // Assess
    expect(Buffer.byteLength(JSON.stringify(bounded))).toBeLessThanOrEqual(RECORD_MAX_BYTES);
    expect(Object.values(bounded?.pass?.tables ?? {}).every((t) => t.differing === 500)).toBe(true);
    expect(bounded?.pass?.tables["shop.t0"]?.differences.length).toBe(10);
    expect(divergenceFindings(bounded, "lab")[0]?.evidence.differing).toBe(20_000);
    // a key of 600 characters: counted, not kept
    const long = structuredClone(record);
    long.pass = {
      ...(long.pass as NonNullable<SweepRecord["pass"]>),
      tables: {
        "shop.x": {
          ...(tables["shop.t0"] as NonNullable<(typeof tables)[string]>),
          differences: [{ table: "shop.x", kind: "different", key: ["a".repeat(600)] }],
        },
      },
    };
    expect(boundRecord(long)?.pass?.tables["shop.x"]?.differences).toEqual([]);
  });
});
