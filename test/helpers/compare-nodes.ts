/**
 * Two in-memory nodes for the consistency check's tests, with replication between them: the other node
 * applies the writer's writes only up to the position it was asked to wait for, so a check that read it
 * without waiting would see writes in flight as differences.
 */
import type { CompareNode } from "../../shared/consistency-check.ts";
import type { RowImage, TableDef } from "../../shared/domain/consistency/model.ts";
import type { Key } from "../../shared/domain/consistency/row-sql.ts";

export const T: TableDef = {
  schema: "shop",
  name: "t",
  columns: [
    { name: "id", type: "int", nullable: false, charset: null, collation: null },
    { name: "v", type: "varchar(9)", nullable: true, charset: "utf8mb4", collation: "utf8mb4_bin" },
  ],
  key: ["id"],
  keyName: "PRIMARY",
};
export const hex = (s: string) => Buffer.from(s).toString("hex").toUpperCase();
export const idOf = (k: Key) => Number(Buffer.from(k[0] as string, "hex").toString());
export type Op = { id: number; v: string | null; deleted?: boolean };

/** The read methods both in-memory nodes share: over their rows() as they stand. */
abstract class MemoryNode {
  abstract rows(): Map<number, RowImage>;
  async tables(): Promise<TableDef[]> {
    return [T];
  }
  /** Threads_running, as a test sets it. */
  running = 1;
  async load() {
    return this.running;
  }
  async upperBound(_t: TableDef, lower: Key | null, n: number, within?: Key | null) {
    return upper(this.rows(), lower, n, within ?? null);
  }
  async keyRange() {
    const ids = [...this.rows().keys()];
    return ids.length
      ? { lo: [hex(String(Math.min(...ids)))], hi: [hex(String(Math.max(...ids)))] }
      : { lo: null, hi: null };
  }
  async chunkHash(_t: TableDef, lower: Key | null, up: Key | null) {
    return hashOf(this.rows(), lower, up);
  }
  async rowHashes(_t: TableDef, lower: Key | null, up: Key | null) {
    return hashesOf(this.rows(), lower, up);
  }
  async rowImage(_t: TableDef, key: Key): Promise<RowImage | null> {
    return this.rows().get(idOf(key)) ?? null;
  }
  async rowImages(t: TableDef, keys: readonly Key[]) {
    const images: (RowImage | null)[] = [];
    for (const key of keys) images.push(await this.rowImage(t, key));
    return images;
  }
  async rowCounts(_t: TableDef, max: number) {
    const images = [...this.rows().values()];
    if (images.length > max) return null;
    const counts = new Map<string, number>();
    for (const i of images) counts.set(JSON.stringify(i), (counts.get(JSON.stringify(i)) ?? 0) + 1);
    return counts;
  }
  async rowsByHash(_t: TableDef, hashes: readonly string[]) {
    return new Map(
      [...this.rows().values()]
        .map((i) => [JSON.stringify(i), i] as const)
        .filter(([h]) => hashes.includes(h)),
    );
  }
}

/** The writer: its rows and the log of its writes (the position is the log's length). */
export class Writer extends MemoryNode implements CompareNode {
  readonly id = "a" as const;
  log: Op[] = [];
  /** Called on every row read: lets a test write while the check reads (a hot row). */
  onRowRead: (id: number) => void = () => {};
  write(op: Op) {
    this.log.push(op);
  }
  rows(upTo = this.log.length): Map<number, RowImage> {
    const m = new Map<number, RowImage>();
    for (const op of this.log.slice(0, upTo))
      op.deleted
        ? m.delete(op.id)
        : m.set(op.id, { id: hex(String(op.id)), v: op.v === null ? null : hex(op.v) });
    return m;
  }
  async position() {
    return String(this.log.length);
  }
  async waitFor() {
    return true;
  }
  override async rowImage(_t: TableDef, key: Key) {
    this.onRowRead(idOf(key));
    return this.rows().get(idOf(key)) ?? null;
  }
}

/** The other node: the writer's writes in the order it applied them, its own errant writes among them. */
export class Replica extends MemoryNode implements CompareNode {
  readonly id = "b" as const;
  applied = 0;
  private sequence: Op[] = [];
  stuck = false;
  constructor(private readonly writer: Writer) {
    super();
  }
  /** A write on this node alone (sql_log_bin=0): it replicates nowhere. */
  errant(...ops: Op[]) {
    this.sequence.push(...ops);
  }
  catchUp(position: number) {
    this.sequence.push(...this.writer.log.slice(this.applied, position));
    this.applied = Math.max(this.applied, position);
  }
  rows(): Map<number, RowImage> {
    const m = new Map<number, RowImage>();
    for (const op of this.sequence)
      op.deleted
        ? m.delete(op.id)
        : m.set(op.id, { id: hex(String(op.id)), v: op.v === null ? null : hex(op.v) });
    return m;
  }
  async position() {
    return String(this.applied);
  }
  async waitFor(position: string) {
    if (this.stuck) return false;
    this.catchUp(Number(position));
    return true;
  }
}

const inChunk = (id: number, lower: Key | null, up: Key | null) =>
  (lower === null || id > idOf(lower)) && (up === null || id <= idOf(up));
function upper(rows: Map<number, RowImage>, lower: Key | null, n: number, within: Key | null): Key | null {
  const ids = [...rows.keys()].filter((id) => inChunk(id, lower, within)).sort((x, y) => x - y);
  const id = ids[n - 1];
  return id === undefined ? null : [hex(String(id))];
}
function hashOf(rows: Map<number, RowImage>, lower: Key | null, up: Key | null) {
  const inside = [...rows].filter(([id]) => inChunk(id, lower, up)).sort(([x], [y]) => x - y);
  return { rows: inside.length, hash: JSON.stringify(inside), ms: 1 };
}
function hashesOf(rows: Map<number, RowImage>, lower: Key | null, up: Key | null) {
  return new Map(
    [...rows]
      .filter(([id]) => inChunk(id, lower, up))
      .map(([id, r]) => [String(id), { key: [hex(String(id))] as Key, hash: JSON.stringify(r) }]),
  );
}
