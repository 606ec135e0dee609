/**
 * What the node-check script reports about one host (a cluster node or a witness), and the pure
 * parsing of its output. Output that is empty, truncated or malformed never becomes a report: it
 * becomes a failed check with the reason.
 */
import * as z from "zod";

const mac = z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$|^$/, "a MAC address");

export const NodeReportSchema = z.object({
  v: z.literal(1),
  script: z.string(),
  host: z.string(),
  time: z.string(),
  epoch: z.number().int().nonnegative(),
  vip: z.object({
    address: z.string(),
    bound: z.boolean(),
    interface: z.string(),
    mac,
    /** The link state of the interface carrying the VIP (operstate): a VIP on a down link serves nobody. */
    link: z.enum(["up", "down", "unknown"]).default("unknown"),
    /** The VIP's prefix length where it is bound (for `ip addr del VIP/prefix dev IFACE`). */
    prefix: z.number().int().min(0).max(32).nullable().default(null),
  }),
  arp: z.object({
    /** "skipped": not asked for (ArpCount 0, the EC2 view on: ARP is not how the VPC routes the VIP) */
    tool: z.enum(["habets", "iputils", "unknown", "none", "skipped"]),
    /** arping's exit status; null when the script read arping's summary and did not wait for its exit */
    exit: z.number().int().nullable(),
    count: z.number().int(),
    /** requests arping reports it sent; null when it printed no summary (it failed) */
    sent: z.number().int().nonnegative().nullable(),
    replies: z.array(mac),
  }),
  keepalived: z.object({
    running: z.boolean(),
    pid: z.number().int().nullable(),
    source: z.enum(["data", "notify", "none"]),
    instances: z.array(
      z.object({
        name: z.string(),
        state: z.string(),
        priority: z.number().nullable(),
        lastTransition: z.number().nullable(),
        /** The instance's virtual IPs (from the dump): the VIP's own instance decides the node's role. */
        vips: z.array(z.string()).default([]),
        vrid: z.number().int().nullable().default(null),
        /** Configured priority (before track scripts' weights), advert interval in ms, preempt, auth type. */
        basePriority: z.number().int().nullable().default(null),
        advertMs: z.number().int().nullable().default(null),
        /** false: nopreempt in force (keepalived clears it when the initial state is MASTER). */
        preempt: z.boolean().nullable().default(null),
        auth: z.string().default(""),
        unicastPeers: z.array(z.string()).default([]),
      }),
    ),
    transitionsSource: z.enum(["notify-log", "journal", "none"]),
    since: z.number(),
    transitions: z.array(
      z.object({ at: z.number(), instance: z.string(), state: z.string(), priority: z.number().nullable() }),
    ),
  }),
  mysqld: z.object({
    port: z.number().int(),
    /** null: the script could not tell (ss failed; the reason is in errors). */
    listening: z.boolean().nullable(),
    /** Local addresses mysqld listens on (127.0.0.1:3306, *:3306, [::]:3306, ...). */
    addresses: z.array(z.string()).default([]),
    process: z.string(),
    pid: z.number().int().nullable(),
  }),
  /**
   * Files the check refused to read (1.6.0): a symbolic link, not owned by root, writable by others, or in
   * a directory others may write. What they would have said is unknown.
   */
  untrusted: z.array(z.object({ file: z.string(), reason: z.string() })).default([]),
  errors: z.array(z.string()),
});
export type NodeReport = z.infer<typeof NodeReportSchema>;

/** Why a node check produced no report. */
export type NodeCheckFailure =
  | "timeout"
  | "undeliverable"
  | "failed"
  | "cancelled"
  | "throttled"
  | "truncated"
  | "malformed"
  | "empty"
  | "script-error"
  | "access-denied"
  | "runner-error";

export type NodeCheckResult =
  | { ok: true; report: NodeReport; durationMs: number }
  | { ok: false; reason: NodeCheckFailure; detail: string; durationMs: number };

/** SSM returns at most this many characters of standard output. */
export const SSM_STDOUT_LIMIT = 24_000;

/**
 * Parses the script's standard output. The script prints one JSON line; anything else (nothing,
 * a cut-off document, a field of the wrong type) is a failure naming what was wrong.
 */
export function parseNodeCheckOutput(
  stdout: string,
  durationMs: number,
  opts: { truncatedAt?: number } = {},
): NodeCheckResult {
  const text = stdout.trim();
  if (text === "")
    return { ok: false, reason: "empty", detail: "the node check printed nothing", durationMs };
  if (opts.truncatedAt !== undefined && stdout.length >= opts.truncatedAt) {
    return {
      ok: false,
      reason: "truncated",
      detail: `output reached the ${opts.truncatedAt}-character limit and was cut off`,
      durationMs,
    };
  }
  const lastLine =
    text
      .split("\n")
      .filter((l) => l.trim().startsWith("{"))
      .pop() ?? "";
  let json: unknown;
  try {
    json = JSON.parse(lastLine);
  } catch (e) {
    const looksCut = lastLine.startsWith("{") && !lastLine.endsWith("}");
    return {
      ok: false,
      reason: looksCut ? "truncated" : "malformed",
      detail: `${looksCut ? "output was cut off" : "output is not JSON"}: ${(e as Error).message}`,
      durationMs,
    };
  }
  if (json && typeof json === "object" && "fatal" in json) {
    return {
      ok: false,
      reason: "script-error",
      detail: String((json as { fatal: unknown }).fatal),
      durationMs,
    };
  }
  const parsed = NodeReportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: "malformed",
      detail: `${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
      durationMs,
    };
  }
  return { ok: true, report: parsed.data, durationMs };
}
