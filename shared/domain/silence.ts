/**
 * Silences: planned work without pages. While a silence runs the prober keeps probing and recording
 * (state, history, metrics, alarms) but sends no mail, except for a split brain unless told otherwise.
 * The mail that does go out, and `status`, say it is silenced. Stored in the state, so the deployed
 * function honours a silence set from the CLI.
 */
export interface Silence {
  since: string;
  until: string;
  reason: string;
  by: string;
  /** A split brain is mailed even while silenced. @default true */
  mailSplitBrain: boolean;
}

export function silenceActive(s: Silence | undefined | null, now: Date): s is Silence {
  return Boolean(s && Date.parse(s.until) > now.getTime());
}

export function describeSilence(s: Silence): string {
  return `silenced until ${s.until} by ${s.by}: ${s.reason}${s.mailSplitBrain ? " (a split brain is still mailed)" : " (no mail at all)"}`;
}
