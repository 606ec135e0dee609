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

/**
 * The `NodeParams` value of one command sent to many managed nodes: base64 of `<node id> Name=value` lines.
 * Each node's script keeps only its own lines (the SSM agent tells it its id in AWS_SSM_INSTANCE_ID).
 */
export function nodeParamsBlob(nodes: readonly { instanceId: string; params: NodeCheckParams }[]): string {
  const lines: string[] = [];
  for (const n of nodes)
    for (const [k, v] of Object.entries(paramStrings(n.params))) lines.push(`${n.instanceId} ${k}=${v}`);
  return Buffer.from(lines.join("\n")).toString("base64");
}

/** One node's parameters in a `NodeParams` value, as its script reads them (tests and stand-ins). */
export function nodeParamsOf(blob: string, instanceId: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of Buffer.from(blob, "base64").toString("utf8").split("\n")) {
    const [node, pair] = [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)];
    if (node !== instanceId || !pair.includes("=")) continue;
    out[pair.slice(0, pair.indexOf("="))] = pair.slice(pair.indexOf("=") + 1);
  }
  return out;
}
