/** `status`: the stored state of one cluster, for a person. */
import { divergenceLines } from "../domain/consistency/sweep.ts";
import { openIncidents } from "../domain/incidents.ts";
import { describeSilence, silenceActive } from "../domain/silence.ts";
import type { ClusterState } from "../domain/state.ts";
import type { StoredCurrent } from "../ports.ts";
import { ownerLabel, renderState, table } from "./output.ts";

export function renderStatus(cluster: string, current: StoredCurrent | null, now: Date): string {
  if (!current) return `cluster ${cluster}: nothing stored yet (has it been probed? run watch, or deploy)`;
  const s = current.state;
  const ago = Math.round((now.getTime() - Date.parse(s.observedAt)) / 1000);
  const lines = [
    `cluster ${cluster}: ${s.status === "SPLIT_BRAIN" ? "*** SPLIT BRAIN ***" : s.status} since ${s.statusSince}` +
      (s.probeStatus !== s.status ? ` (the last probe says ${s.probeStatus}, waiting for confirmation)` : ""),
    `last probe: ${s.observedAt} (${ago} s ago), VIP owner ${ownerLabel(s.vipOwner)}`,
    silenceActive(s.silence, now) ? `SILENCED: ${describeSilence(s.silence)}` : "not silenced",
    "",
    renderState(cluster, s).split("\n").slice(1).join("\n"),
  ];
  const open = openIncidents(s.incidents);
  if (open.length === 0) lines.push("open incidents: none");
  lines.push(...consistencyLines(s));
  if (current.outbox.length > 0) {
    lines.push(
      "",
      `unsent mails (kept, retried at the next probe): ${current.outbox.length}`,
      table([["created", "subject"], ...current.outbox.map((a) => [a.createdAt, a.subject])]),
    );
  } else {
    lines.push("unsent mails: none");
  }
  return lines.join("\n");
}

/** The consistency sweep (pairs with one): what differs, by key, and where the sweep is. */
export function consistencyLines(s: ClusterState): string[] {
  const c = s.consistency;
  if (!c) return [];
  const lines = [
    "",
    c.differences === 0
      ? "consistency sweep: no difference known"
      : `consistency sweep: ${c.differing} row(s) differ between the nodes, ${c.drift} schema drift(s)`,
    ...divergenceLines(s).slice(1),
  ];
  if (c.pass)
    lines.push(
      `  pass under way since ${c.pass.startedAt} (${c.pass.reason}): ${c.pass.tablesDone} table(s) done, ${c.pass.rows} rows`,
    );
  if (c.last)
    lines.push(
      `  last pass: ${c.last.startedAt} to ${c.last.finishedAt} (${c.last.reason}): ${c.last.rows} rows in ${c.last.tables} table(s), ${c.last.differing} differing, ${c.last.skipped} not compared, ${c.last.unconfirmed} unconfirmed`,
    );
  if (!c.pass && !c.last) lines.push("  no pass yet");
  if (s.consistencyOwed)
    lines.push(
      `  a pass is owed: the split brain since ${s.consistencyOwed.splitBrainSince} ended with writes on both nodes`,
    );
  if (c.lastSlice?.outcome === "error")
    lines.push(`  last slice failed at ${c.lastSlice.at}: ${c.lastSlice.message ?? "?"}`);
  return lines;
}
