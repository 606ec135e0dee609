/**
 * The consistency sweep's slices for the CLI's loops (`watch`, the demo), as the deployed function runs
 * them after its probes (shared/consistency-sweep.ts). A loop probes one round after another, so a slice
 * runs beside the loop, never in it: the next probe is never late for it. At most one slice per cluster
 * at a time; a probe that ends while one runs starts none.
 */
import type { LabClusterConfig } from "../shared/config.ts";
import type { ClusterState } from "../shared/domain/state.ts";
import type { ProbeTarget } from "../shared/pipeline.ts";
import type { SweepStore } from "../shared/ports.ts";

export interface Sweeper {
  /** After a probe: starts a slice unless one runs. Never throws; returns at once. */
  after(state: ClusterState): void;
  /** Waits for the slice under way, if any (at most its length and a statement's deadline). */
  close(): Promise<void>;
}

/** The sweeper of a cluster with `compare.sweep`; one that does nothing otherwise. */
export function sweeperFor(
  c: LabClusterConfig,
  t: ProbeTarget,
  store: SweepStore,
  out: (line: string) => void,
): Sweeper {
  const sweep = t.sweep;
  if (!sweep) return { after: () => {}, close: async () => {} };
  let running: Promise<void> | undefined;
  const slice = async (state: ClusterState) => {
    const [{ sweepSlice }, { sweepNodesFor }, { mysqlPassword }] = await Promise.all([
      import("../shared/consistency-sweep.ts"),
      import("../shared/wiring.ts"),
      import("../shared/config.ts"),
    ]);
    const s = await sweepSlice(
      t.name,
      sweep,
      state,
      { store, open: sweepNodesFor(c, mysqlPassword(c)) },
      Date.now() + sweep.sliceSeconds * 1000,
    );
    if (s.outcome === "done" || s.outcome === "error")
      out(`  consistency sweep: pass ${s.outcome}${s.why ? `: ${s.why}` : ""}`);
  };
  return {
    after: (state) => {
      if (running) return;
      running = slice(state)
        .catch((e: unknown) => out(`  consistency sweep: ${String((e as Error)?.message ?? e)}`))
        .finally(() => {
          running = undefined;
        });
    },
    close: async () => {
      await running;
    },
  };
}
