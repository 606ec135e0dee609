/**
 * Operator changes to the stored state (acknowledging incidents, silences): each is a conditional
 * commit of the current state with the change applied, so the deployed function (which reads that
 * state before each probe) honours it. A probe that commits in between wins the race; the change then
 * reloads and tries again.
 */
import type { Silence } from "./domain/silence.ts";
import type { ClusterState } from "./domain/state.ts";
import type { StateStore } from "./ports.ts";

export class StoredStateError extends Error {
  override readonly name = "StoredStateError";
}

/**
 * Applies `change` to the stored state of `cluster`. `change` returns the new state and a result, or
 * null to change nothing. Returns the result.
 */
export async function changeStoredState<R>(
  store: StateStore,
  cluster: string,
  change: (state: ClusterState) => { state: ClusterState; result: R } | { state: null; result: R },
  attempts = 5,
): Promise<R> {
  for (let i = 0; i < attempts; i++) {
    const current = await store.load(cluster);
    if (!current) throw new StoredStateError(`cluster ${cluster}: nothing stored yet (has it been probed?)`);
    const c = change(current.state);
    if (c.state === null) return c.result;
    const r = await store.commit(cluster, current.version, {
      state: c.state,
      addAlerts: [],
      addHistory: [],
      keepOutbox: current.outbox,
      keepHistory: current.historyOutbox,
    });
    if (r.committed) return c.result;
  }
  throw new StoredStateError(`cluster ${cluster}: the state kept changing; try again`);
}

/** Sets (or, with null, lifts) the cluster's silence. Returns the silence now in force. */
export function setSilence(
  store: StateStore,
  cluster: string,
  silence: Silence | null,
): Promise<Silence | null> {
  return changeStoredState(store, cluster, (state) => {
    const { silence: _old, ...rest } = state;
    return { state: silence ? { ...rest, silence } : rest, result: silence };
  });
}

/** Lifts the cluster's silence. Returns the silence lifted, or null when there was none (nothing changed). */
export function liftSilence(store: StateStore, cluster: string): Promise<Silence | null> {
  return changeStoredState(store, cluster, (state) => {
    const { silence, ...rest } = state;
    return silence ? { state: rest, result: silence } : { state: null, result: null };
  });
}
