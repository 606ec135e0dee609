/**
 * GTID arithmetic, pure.
 *
 * MySQL: a GTID set is `uuid[:tag]:interval[:interval...]` elements separated by commas (the server
 * prints a newline after each comma). Tagged GTIDs (MySQL 8.3+, `uuid:tag:1-5`) are supported: the
 * key of a transaction source is `uuid` or `uuid:tag`.
 *
 * MariaDB: a GTID position is a comma-separated list of `domain-server-seq`, one per domain.
 */
import { InputError } from "./errors.ts";

export type Interval = readonly [start: number, end: number];

/** A normalized MySQL GTID set: source key -> sorted, merged, inclusive intervals. */
/**
 * What a server's GTID text may hold before it is read at all: a hostile or broken server must not make
 * the probe (or the state item) unbounded. 8,000 intervals are some 42 KB; these are several times that.
 * Over a cap the field is unknown, named with the reason (`sql.ts` read()).
 */
export const GTID_TEXT_LIMIT = 256 * 1024;
export const GTID_INTERVAL_LIMIT = 40_000;

export class GtidSet {
  private constructor(private readonly map: ReadonlyMap<string, readonly Interval[]>) {}

  static readonly EMPTY = new GtidSet(new Map());

  static parse(text: string, field = "gtid set"): GtidSet {
    const map = new Map<string, Interval[]>();
    if (text.length > GTID_TEXT_LIMIT)
      throw new InputError(field, `longer than ${GTID_TEXT_LIMIT} characters (${text.length}): not read`);
    const cleaned = text.replace(/\s+/g, "");
    if (cleaned === "") return GtidSet.EMPTY;
    let intervals = 0;
    for (const element of cleaned.split(",")) {
      if (element === "") throw new InputError(field, "empty element in GTID set", text);
      const parts = element.split(":");
      const uuid = (parts[0] ?? "").toLowerCase();
      if (!UUID.test(uuid)) throw new InputError(field, `"${parts[0]}" is not a server UUID`, text);
      if (parts.length < 2) throw new InputError(field, `no transaction interval after ${uuid}`, text);
      let key = uuid;
      let sawInterval = false;
      for (const token of parts.slice(1)) {
        const iv = INTERVAL.exec(token);
        if (iv) {
          const start = Number(iv[1]);
          const end = iv[2] === undefined ? start : Number(iv[2]);
          if (start < 1 || end < start || !Number.isSafeInteger(end)) {
            throw new InputError(field, `invalid interval "${token}"`, text);
          }
          if (++intervals > GTID_INTERVAL_LIMIT)
            throw new InputError(field, `more than ${GTID_INTERVAL_LIMIT} intervals: not read`);
          const list = map.get(key) ?? [];
          list.push([start, end]);
          map.set(key, list);
          sawInterval = true;
        } else if (TAG.test(token)) {
          key = `${uuid}:${token.toLowerCase()}`;
          sawInterval = false;
        } else {
          throw new InputError(field, `"${token}" is neither an interval nor a GTID tag`, text);
        }
      }
      if (!sawInterval) throw new InputError(field, `tag without interval in "${element}"`, text);
    }
    return new GtidSet(normalize(map));
  }

  static fromMap(entries: Iterable<[string, Interval[]]>): GtidSet {
    return new GtidSet(normalize(new Map(entries)));
  }

  get isEmpty(): boolean {
    return this.map.size === 0;
  }

  keys(): string[] {
    return [...this.map.keys()].sort();
  }

  intervals(key: string): readonly Interval[] {
    return this.map.get(key.toLowerCase()) ?? [];
  }

  /** Number of transactions in the set. */
  count(): number {
    let n = 0;
    for (const list of this.map.values()) for (const [s, e] of list) n += e - s + 1;
    return n;
  }

  union(other: GtidSet): GtidSet {
    const m = new Map<string, Interval[]>();
    for (const src of [this, other]) {
      for (const [k, list] of src.map) m.set(k, [...(m.get(k) ?? []), ...list]);
    }
    return new GtidSet(normalize(m));
  }

  /** Transactions in this set that are not in `other`. */
  subtract(other: GtidSet): GtidSet {
    const m = new Map<string, Interval[]>();
    for (const [k, list] of this.map) {
      const remaining = subtractSorted(list, other.map.get(k) ?? []);
      if (remaining.length > 0) m.set(k, remaining);
    }
    // already sorted, disjoint and merged: no normalize pass needed
    return new GtidSet(m);
  }

  /** True when every transaction of `other` is in this set. */
  contains(other: GtidSet): boolean {
    return other.subtract(this).isEmpty;
  }

  equals(other: GtidSet): boolean {
    return this.toString() === other.toString();
  }

  /** Only the transactions whose source UUID is `uuid` (tagged or not). */
  restrictToUuid(uuid: string): GtidSet {
    const u = uuid.toLowerCase();
    return new GtidSet(new Map([...this.map].filter(([k]) => k === u || k.startsWith(`${u}:`))));
  }

  /** Canonical text: keys sorted, untagged first, intervals merged; the same as MySQL prints, one line. */
  toString(): string {
    const byUuid = new Map<string, string[]>();
    for (const k of this.keys()) {
      const [uuid, tag] = k.split(":") as [string, string | undefined];
      const ivs = (this.map.get(k) ?? []).map(([s, e]) => (s === e ? `${s}` : `${s}-${e}`)).join(":");
      const list = byUuid.get(uuid) ?? [];
      list.push(tag ? `${tag}:${ivs}` : ivs);
      byUuid.set(uuid, list);
    }
    return [...byUuid].map(([uuid, parts]) => `${uuid}:${parts.join(":")}`).join(",");
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INTERVAL = /^(\d+)(?:-(\d+))?$/;
const TAG = /^[a-zA-Z_][a-zA-Z0-9_]{0,31}$/;

/**
 * a minus b, both sorted, disjoint and merged (normalized): one pass over both, O(|a| + |b|). A server's
 * gtid_executed can hold thousands of intervals (a hostile or broken one, many more); the pairwise form
 * this replaces took 16 s for 8,000 intervals, synchronously, blocking every pair of the invocation.
 */
export function subtractSorted(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let j = 0;
  for (const [start, end] of a) {
    let s = start;
    // b's intervals that end before this one starts are behind us for good (a is sorted)
    while (j < b.length && (b[j] as Interval)[1] < s) j++;
    for (let k = j; k < b.length && s <= end; k++) {
      const [bs, be] = b[k] as Interval;
      if (bs > end) break;
      if (bs > s) out.push([s, bs - 1]);
      s = Math.max(s, be + 1);
    }
    if (s <= end) out.push([s, end]);
  }
  return out;
}

function normalize(map: Map<string, Interval[]>): Map<string, Interval[]> {
  const out = new Map<string, Interval[]>();
  for (const k of [...map.keys()].sort()) {
    const sorted = [...(map.get(k) ?? [])].sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [s, e] of sorted) {
      const last = merged[merged.length - 1];
      if (last && s <= last[1] + 1) last[1] = Math.max(last[1], e);
      else merged.push([s, e]);
    }
    if (merged.length > 0) out.set(k, merged);
  }
  return out;
}

// ------------------------------------------------------------------ MariaDB

export interface MariadbGtid {
  domain: number;
  server: number;
  seq: number;
}

/** A MariaDB GTID position: at most one GTID per domain. */
export class MariadbPosition {
  private constructor(readonly gtids: readonly MariadbGtid[]) {}

  static readonly EMPTY = new MariadbPosition([]);

  static parse(text: string, field = "gtid position"): MariadbPosition {
    if (text.length > GTID_TEXT_LIMIT)
      throw new InputError(field, `longer than ${GTID_TEXT_LIMIT} characters (${text.length}): not read`);
    const cleaned = text.replace(/\s+/g, "");
    if (cleaned === "") return MariadbPosition.EMPTY;
    const byDomain = new Map<number, MariadbGtid>();
    for (const element of cleaned.split(",")) {
      const m = /^(\d+)-(\d+)-(\d+)$/.exec(element);
      if (!m) throw new InputError(field, `"${element}" is not a MariaDB GTID (domain-server-seq)`, text);
      const g = { domain: Number(m[1]), server: Number(m[2]), seq: Number(m[3]) };
      if (![g.domain, g.server, g.seq].every(Number.isSafeInteger)) {
        throw new InputError(field, `"${element}" has a number out of range`, text);
      }
      if (byDomain.has(g.domain)) throw new InputError(field, `domain ${g.domain} appears twice`, text);
      byDomain.set(g.domain, g);
    }
    return new MariadbPosition([...byDomain.values()].sort((a, b) => a.domain - b.domain));
  }

  get isEmpty(): boolean {
    return this.gtids.length === 0;
  }

  domain(d: number): MariadbGtid | undefined {
    return this.gtids.find((g) => g.domain === d);
  }

  /** The GTIDs of this position that `server` wrote (the last one per domain). */
  fromServer(server: number): MariadbGtid[] {
    return this.gtids.filter((g) => g.server === server);
  }

  /** True when, in every domain of `other`, this position is at or past its sequence number. */
  contains(other: MariadbPosition): boolean {
    return other.gtids.every((g) => (this.domain(g.domain)?.seq ?? -1) >= g.seq);
  }

  /** Domains where this position is ahead of `other` (or that `other` lacks). */
  aheadOf(other: MariadbPosition): MariadbGtid[] {
    return this.gtids.filter((g) => g.seq > (other.domain(g.domain)?.seq ?? -1));
  }

  /** Per domain, the furthest of the two positions. */
  union(other: MariadbPosition): MariadbPosition {
    const m = new Map<number, MariadbGtid>();
    for (const g of [...this.gtids, ...other.gtids]) {
      const cur = m.get(g.domain);
      if (!cur || g.seq > cur.seq) m.set(g.domain, g);
    }
    return new MariadbPosition([...m.values()].sort((a, b) => a.domain - b.domain));
  }

  toString(): string {
    return this.gtids.map((g) => `${g.domain}-${g.server}-${g.seq}`).join(",");
  }
}

/**
 * Parses a MariaDB GTID list in which a domain may appear once per server, as in
 * `@@gtid_binlog_state` (the last GTID of every (domain, server) pair).
 */
export function parseMariadbGtidList(text: string, field = "gtid list"): MariadbGtid[] {
  if (text.length > GTID_TEXT_LIMIT)
    throw new InputError(field, `longer than ${GTID_TEXT_LIMIT} characters (${text.length}): not read`);
  const cleaned = text.replace(/\s+/g, "");
  if (cleaned === "") return [];
  return cleaned.split(",").map((element) => {
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(element);
    if (!m) throw new InputError(field, `"${element}" is not a MariaDB GTID (domain-server-seq)`, text);
    return { domain: Number(m[1]), server: Number(m[2]), seq: Number(m[3]) };
  });
}

export function formatMariadbGtids(list: readonly MariadbGtid[]): string {
  return list.map((g) => `${g.domain}-${g.server}-${g.seq}`).join(",");
}
