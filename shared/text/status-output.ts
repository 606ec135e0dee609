/** `status`: the stored state of one cluster, for a person. */
import { openIncidents } from "../domain/incidents.ts";
import { describeSilence, silenceActive } from "../domain/silence.ts";
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
