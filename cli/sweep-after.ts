/**
 * The consistency sweep's slice after a probe, for the CLI's loops (`watch`, the demo): as the deployed
 * function runs it after its probe (shared/consistency-sweep.ts), within the round.
 */
import type { LabClusterConfig } from "../shared/config.ts";
import type { ClusterState } from "../shared/domain/state.ts";
import type { ProbeTarget } from "../shared/pipeline.ts";
import type { SweepStore } from "../shared/ports.ts";

/** The slice after a probe (clusters with `compare.sweep`), ending 3 s before the round's deadline. */
export async function sweepAfter(
  c: LabClusterConfig,
  t: ProbeTarget,
  state: ClusterState,
  store: SweepStore,
  deadlineAt: number,
  out: (line: string) => void,
): Promise<void> {
  const sweep = t.sweep;
  const stopAt = Math.min(Date.now() + (sweep?.sliceSeconds ?? 0) * 1000, deadlineAt - 3000);
  if (!sweep || stopAt - Date.now() < 1000) return;
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
    stopAt,
  );
  if (s.outcome === "done" || s.outcome === "error")
    out(`  consistency sweep: pass ${s.outcome}${s.why ? `: ${s.why}` : ""}`);
}
