/** The node-check parameters, as the runners pass them (names match the script's @param lines). */
export interface NodeCheckParams {
  Vip: string;
  Interface?: string;
  MysqlPort?: number;
  KeepalivedPidFile?: string;
  KeepalivedDumpDir?: string;
  KeepalivedDumpFile?: string;
  NotifyStateFile?: string;
  NotifyLog?: string;
  /** Report keepalived transitions after this time (epoch seconds, the node's clock). */
  Since?: number;
  ArpCount?: number;
  ArpWaitMs?: number;
}

/** Parameters as strings, without the unset ones. */
export function paramStrings(p: NodeCheckParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== "") out[k] = String(v);
  return out;
}
