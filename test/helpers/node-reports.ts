/** Builders for node-check reports, for pure tests. */
import type { NodeCheckResult, NodeReport } from "../../shared/domain/node.ts";

export const MAC = { a: "02:00:00:00:00:0a", b: "02:00:00:00:00:0b" } as const;

export interface ReportSpec {
  mac?: string;
  bound?: boolean;
  replies?: string[];
  keepalived?: "MASTER" | "BACKUP" | "FAULT" | "down";
  listening?: boolean;
  transitions?: [number, string][];
  epoch?: number;
  errors?: string[];
  /** requests arping reports it sent (default 2); null: arping failed */
  arpSent?: number | null;
}

export function report(s: ReportSpec): NodeReport {
  const running = s.keepalived !== "down";
  return {
    v: 1,
    script: "1.1.0",
    host: "node",
    time: "2026-11-24T00:00:00Z",
    epoch: s.epoch ?? 1_000_000,
    vip: {
      address: "192.0.2.100",
      bound: s.bound ?? false,
      interface: "eth0",
      mac: s.mac ?? MAC.a,
      link: "up",
      prefix: s.bound ? 24 : null,
    },
    arp: {
      tool: "habets",
      exit: null,
      count: 2,
      sent: s.arpSent === undefined ? 2 : s.arpSent,
      replies: s.replies ?? [],
    },
    keepalived: {
      running,
      pid: running ? 42 : null,
      source: running ? "data" : "none",
      instances: running
        ? [
            {
              name: "VI_1",
              state: s.keepalived ?? "BACKUP",
              priority: 100,
              lastTransition: null,
              vips: ["192.0.2.100/24"],
              vrid: 51,
              // the seed design's pair: distinct priorities (A 100, B 90), nopreempt, one advert per second
              basePriority: (s.mac ?? MAC.a) === MAC.a ? 100 : 90,
              advertMs: 1000,
              preempt: false,
              auth: "SIMPLE_PASSWORD",
              unicastPeers: [],
            },
          ]
        : [],
      transitionsSource: "notify-log",
      since: 0,
      transitions: (s.transitions ?? []).map(([at, state]) => ({
        at,
        instance: "VI_1",
        state,
        priority: 100,
      })),
    },
    mysqld: {
      port: 3306,
      listening: s.listening ?? true,
      addresses: (s.listening ?? true) ? ["0.0.0.0:3306"] : [],
      process: "mysqld",
      pid: 7,
    },
    untrusted: [],
    errors: s.errors ?? [],
  };
}

export function ok(s: ReportSpec): NodeCheckResult {
  return { ok: true, report: report(s), durationMs: 100 };
}

/** A healthy pair: A holds the VIP and is MASTER; B is BACKUP and sees A's MAC answer. */
export function healthy(): { a: NodeCheckResult; b: NodeCheckResult } {
  return {
    a: ok({ mac: MAC.a, bound: true, replies: [], keepalived: "MASTER" }),
    b: ok({ mac: MAC.b, bound: false, replies: [MAC.a], keepalived: "BACKUP" }),
  };
}
