/** Acknowledging incidents, through a conditional commit of the stored state (see stored-state.ts). */
import { acknowledge, type Incident } from "./domain/incidents.ts";
import type { StateStore } from "./ports.ts";
import { changeStoredState } from "./stored-state.ts";

export interface Acknowledged {
  acknowledged: Incident[];
  /** Ids that match no incident of the cluster. */
  unknown: string[];
  /** The incidents still open afterwards (to name them when an id matched nothing). */
  open: Incident[];
}

export function acknowledgeIncidents(
  store: StateStore,
  cluster: string,
  ids: readonly string[] | "all",
  by: string,
  now: () => Date = () => new Date(),
): Promise<Acknowledged> {
  return changeStoredState(store, cluster, (state) => {
    const r = acknowledge(state.incidents ?? [], ids, by, now());
    const result = {
      acknowledged: r.acknowledged,
      unknown: r.unknown,
      open: r.incidents.filter((i) => !i.acknowledged),
    };
    return r.acknowledged.length > 0
      ? { state: { ...state, incidents: r.incidents }, result }
      : { state: null, result };
  });
}
