/**
 * Acknowledging incidents: a conditional commit of the stored state with the incidents marked, so the
 * deployed function (which reads that state before each probe) honours it. A probe that commits in
 * between wins the race; the acknowledgement then reloads and tries again.
 */
import { acknowledge, type Incident } from "./domain/incidents.ts";
import type { StateStore } from "./ports.ts";

export class AcknowledgeError extends Error {
  override readonly name = "AcknowledgeError";
}

export interface Acknowledged {
  acknowledged: Incident[];
  /** Ids that match no incident of the cluster. */
  unknown: string[];
}

export async function acknowledgeIncidents(
  store: StateStore,
  cluster: string,
  ids: readonly string[] | "all",
  by: string,
  now: () => Date = () => new Date(),
  attempts = 5,
): Promise<Acknowledged> {
  for (let i = 0; i < attempts; i++) {
    const current = await store.load(cluster);
    if (!current) throw new AcknowledgeError(`cluster ${cluster}: nothing stored yet (has it been probed?)`);
    const r = acknowledge(current.state.incidents ?? [], ids, by, now());
    if (r.acknowledged.length === 0) return { acknowledged: [], unknown: r.unknown };
    const c = await store.commit(cluster, current.version, {
      state: { ...current.state, incidents: r.incidents },
      addAlerts: [],
      addHistory: [],
      keepOutbox: current.outbox,
      keepHistory: current.historyOutbox,
    });
    if (c.committed) return { acknowledged: r.acknowledged, unknown: r.unknown };
  }
  throw new AcknowledgeError(`cluster ${cluster}: the state kept changing; try again`);
}
