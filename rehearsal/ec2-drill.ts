/**
 * The drill of a deployment with the EC2 view on (`lab rehearse --ec2 <mode>`): the lab's notify
 * scripts "assign" the VIP through the lab's stand-in `aws`; the function reads where EC2 routes it
 * through the rehearsal's EC2 endpoint (the template's IAM checked on every call). Agreement, a lagging
 * assignment, a failed one, a split brain routed to one node, and the EC2 API throttled.
 */

import type { FaultKind } from "../lab/lab.ts";
import type { NodeId } from "../lab/plan.ts";
import type { FindingCode } from "../shared/domain/codes.ts";
import { waitFor } from "../shared/util/wait.ts";
import type { Ctx, Step } from "./rehearse.ts";

const holder = async (c: Ctx): Promise<NodeId> => (await c.lab.vipHolders())[0] ?? "a";
const other = (id: NodeId): NodeId => (id === "a" ? "b" : "a");
const fault = (c: Ctx, kind: FaultKind, node: NodeId) => c.lab.fault(kind, node);
const stored = async (c: Ctx) => (await c.store.load(c.clusterName))?.state;

/** Waits for a probe of the function that reports the finding (or, with `absent`, one that does not). */
const finding = (c: Ctx, code: FindingCode, o: { absent?: boolean; timeoutMs?: number } = {}) =>
  waitFor(
    async () => ((await stored(c))?.findings ?? []).some((f) => f.code === code) !== Boolean(o.absent),
    {
      timeoutMs: o.timeoutMs ?? 60_000,
      intervalMs: 200,
      what: `a probe ${o.absent ? "without" : "with"} ${code}`,
    },
  );
/** Waits until the stored EC2 view routes the VIP to exactly this node. */
const routedTo = (c: Ctx, node: NodeId) =>
  waitFor(async () => JSON.stringify((await stored(c))?.ec2?.routedTo) === JSON.stringify([node]), {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: `EC2 routing the VIP to node ${node.toUpperCase()} (the function's view)`,
  });

export const EC2_DRILL: Step[] = [
  {
    name: "EC2: healthy, the VIP routed to the holder",
    run: async (c, e) => {
      await e.status("HEALTHY");
      await routedTo(c, await holder(c));
      const s = await stored(c);
      if (s?.findings.some((f) => f.code.startsWith("ARP_")))
        throw new Error("an ARP finding with the EC2 view on: ARP is not applicable there");
      for (const a of ["DownOrSplitBrain", "ProberErrors"]) await e.alarm(a, "OK");
    },
  },
  {
    name: "EC2: failover, the assignment lags (20 s, within the 30 s grace)",
    run: async (c, e) => {
      const old = await holder(c);
      const before = (await c.mailSubjects()).length;
      await fault(c, "ec2-assign-lag", old);
      await fault(c, "mysql-kill", old);
      await finding(c, "EC2_VIP_MOVE_PENDING");
      await e.status("DEGRADED", "the VIP moved; EC2 still routes it to the old holder");
      await e.mail("DEGRADED");
      await routedTo(c, other(old));
      await finding(c, "EC2_VIP_MOVE_PENDING", { absent: true });
      const down = (await c.mailSubjects()).slice(before).filter((m) => m.endsWith("-> DOWN"));
      if (down.length) throw new Error(`a lag within the grace was mailed as DOWN: ${down.join(" | ")}`);
      await c.lab.heal();
      await e.status("HEALTHY");
      await e.mail("HEALTHY");
    },
  },
  {
    name: "EC2: failover, the assignment fails",
    run: async (c, e) => {
      const old = await holder(c);
      await fault(c, "ec2-assign-fail", old);
      await fault(c, "mysql-kill", old);
      await finding(c, "EC2_VIP_MISMATCH");
      await e.status("DOWN", "EC2 routes the VIP to the old holder past the grace");
      await e.mail("DOWN");
      await e.alarm("DownOrSplitBrain", "ALARM");
      const m = (await c.mails()).filter((x) => x.subject.endsWith("-> DOWN")).at(-1);
      if (
        !m?.text.includes(
          `node ${other(old).toUpperCase()} holds the VIP, but EC2 routes it to node ${old.toUpperCase()}`,
        )
      )
        throw new Error(`the DOWN mail does not say where EC2 routes the VIP:\n${m?.text.slice(0, 800)}`);
      await c.lab.heal();
      await e.status("HEALTHY");
      await e.mail("HEALTHY");
      await e.alarm("DownOrSplitBrain", "OK");
    },
  },
  {
    name: "EC2: split brain, the VIP routed to one node",
    run: async (c, e) => {
      // Both notify scripts assign the VIP: where EC2 routes it can change during the split brain (the
      // last assignment wins). The mail must follow what EC2 said at the probe that sent it: every stored
      // state is sampled (a probe every 3 s here, a sample every 100 ms), by the time it was observed.
      const routedAt = new Map<string, string>();
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const st = await stored(c).catch(() => undefined);
          const r = st?.ec2?.routedTo;
          if (st && r?.length === 1) routedAt.set(st.observedAt, String(r[0]));
          await new Promise((res) => setTimeout(res, 100));
        }
      })();
      try {
        await fault(c, "vrrp-block", await holder(c));
        await e.status("SPLIT_BRAIN");
        await finding(c, "EC2_SPLIT_BRAIN_ROUTED");
        await e.mail("SPLIT_BRAIN");
        await e.alarm("DownOrSplitBrain", "ALARM");
      } finally {
        sampling = false;
        await sampler;
      }
      const m = (await c.mails()).filter((x) => x.subject.endsWith("-> *** SPLIT BRAIN ***")).at(-1);
      const probeTime = /Probe time: (\S+?)\. /.exec(m?.text ?? "")?.[1];
      const routed = probeTime ? routedAt.get(probeTime) : undefined;
      // which node to keep: the one that took writes, if one did (the heartbeat written through the VIP
      // can land on either node while both hold it); when neither did, the one EC2 routed the VIP to
      const wrote = [...(m?.text ?? "").matchAll(/node ([AB]) took writes/g)].map((x) => x[1]);
      const wants =
        wrote.length === 1
          ? [`Keep node ${wrote[0]} (it took the writes)`]
          : routed
            ? [`keep node ${routed.toUpperCase()} (EC2 routes the VIP to it`]
            : // the mail's probe was not sampled: any node EC2 routed the VIP to during the step
              [...new Set(routedAt.values())].map(
                (n) => `keep node ${n.toUpperCase()} (EC2 routes the VIP to it`,
              );
      if (!wants.some((w) => m?.text.includes(w)))
        throw new Error(`the split-brain mail lacks "${wants.join('" or "')}":\n${m?.text.slice(0, 800)}`);
      await c.lab.heal();
      await e.status("HEALTHY");
      await e.alarm("DownOrSplitBrain", "OK");
    },
  },
  {
    name: "EC2: the EC2 API throttled",
    run: async (c, e) => {
      c.endpoints.faults.ec2Throttling = true;
      try {
        await finding(c, "EC2_VIEW_FAILED");
        await e.status("DEGRADED", "the EC2 view is unknown, not fine");
      } finally {
        c.endpoints.faults.ec2Throttling = false;
      }
      await e.status("HEALTHY");
      await e.mail("HEALTHY");
    },
  },
];
