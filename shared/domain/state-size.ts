/**
 * The stored state stays under DynamoDB's item limit (400 KB, the outboxes included): a state that grew
 * past it (a server's long error texts, a huge GTID set, many findings) would make every commit of the
 * pair fail, and the pair would stop being watched. Before that, the least needed parts are left out, each
 * named: findings' evidence (largest first), then long reasons, then the remembered own transactions
 * (the next probe's write detection for that node is then unknown, never "no writes"). Pure.
 */
import { memoryOf } from "./memory.ts";
import type { ClusterState } from "./state.ts";
import { NODE_IDS } from "./types.ts";

/** Bytes of the state's JSON; the rest of the item (outboxes, keys) has the other 100 KB. */
export const STATE_BYTES_LIMIT = 300_000;

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

export interface BoundedState {
  state: ClusterState;
  /** What was left out, for the log; empty when the state was within the limit. */
  trimmed: string[];
}

export function boundState(state: ClusterState, limit = STATE_BYTES_LIMIT): BoundedState {
  if (bytes(state) <= limit) return { state, trimmed: [] };
  const trimmed: string[] = [];
  const s: ClusterState = structuredClone(state);
  const over = () => bytes(s) > limit;
  const bySize = s.findings.map((f, i) => ({ i, size: bytes(f.evidence) })).sort((a, b) => b.size - a.size);
  for (const { i, size } of bySize) {
    if (!over() || size < 200) break;
    const f = s.findings[i];
    if (!f) continue;
    f.evidence = {
      omitted: `evidence of ${size} bytes left out: the stored state must stay under ${limit} bytes`,
    };
    trimmed.push(`evidence of ${f.code}${f.subject ? `@${f.subject}` : ""} (${size} bytes)`);
  }
  if (over()) {
    s.reasons = s.reasons.map((r) => (r.length > 500 ? `${r.slice(0, 500)}… (cut)` : r));
    for (const f of s.findings) if (f.message.length > 500) f.message = `${f.message.slice(0, 500)}… (cut)`;
    trimmed.push("long reasons and messages cut to 500 characters");
  }
  if (over()) {
    const memory = memoryOf(s);
    for (const id of NODE_IDS) {
      if (memory.sql.own[id] === null) continue;
      memory.sql.own[id] = null;
      trimmed.push(
        `node ${id.toUpperCase()}'s remembered own transactions (its next write check is unknown)`,
      );
    }
    s.memory = { ...s.memory, sql: memory.sql };
  }
  return { state: s, trimmed };
}
