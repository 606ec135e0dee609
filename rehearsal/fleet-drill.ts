/**
 * The drill of a fleet (`lab rehearse --fleet <n>`): several lab pairs in one deployment, probed by the
 * one function through their shared schedule. Every pair HEALTHY with its own state and alarms; a split
 * brain on the drilled pair is that pair's alone (its status, its alarm, its mail; the other pairs stay
 * HEALTHY, their alarms OK, no mail about them); healed.
 */

import type { NodeId } from "../lab/plan.ts";
import { waitFor } from "../shared/util/wait.ts";
import type { Ctx, Step } from "./rehearse.ts";

const holder = async (c: Ctx): Promise<NodeId> => (await c.lab.vipHolders())[0] ?? "a";
const others = (c: Ctx) => c.pairs.filter((p) => p !== c.clusterName);

/** Every other pair still HEALTHY, its alarms OK, and no mail named it since `mailsBefore`. */
async function othersUntouched(c: Ctx, mailsBefore: number): Promise<void> {
  for (const p of others(c)) {
    const s = await c.statusOf(p);
    if (s !== "HEALTHY") throw new Error(`pair ${p} is ${s}: a fault on ${c.clusterName} reached it`);
    for (const a of ["DownOrSplitBrain", "DeadMansSwitch"])
      if (c.alarmOf(p, a) !== "OK") throw new Error(`pair ${p}: its ${a} alarm is ${c.alarmOf(p, a)}`);
  }
  const mails = (await c.mailSubjects()).slice(mailsBefore);
  const strays = mails.filter((m) => others(c).some((p) => m.includes(p)));
  if (strays.length) throw new Error(`mail about another pair: ${strays.join(" | ")}`);
}

export const FLEET_DRILL: Step[] = [
  {
    name: "fleet: every pair healthy, each with its own state and alarms",
    run: async (c, e) => {
      if (c.pairs.length < 2)
        throw new Error(`a fleet drill needs several pairs (the deployment has ${c.pairs.length})`);
      await e.status("HEALTHY");
      for (const p of others(c))
        await waitFor(async () => (await c.statusOf(p)) === "HEALTHY", {
          timeoutMs: 60_000,
          intervalMs: 200,
          what: `pair ${p} HEALTHY`,
        });
      for (const p of c.pairs)
        for (const a of ["DownOrSplitBrain", "DeadMansSwitch"])
          await waitFor(() => c.alarmOf(p, a) === "OK", {
            timeoutMs: 60_000,
            intervalMs: 100,
            what: `${p} ${a} OK`,
          });
      for (const a of ["ProberErrors", "FailureQueue"]) await e.alarm(a, "OK");
    },
  },
  {
    name: "fleet: a split brain on one pair is that pair's alone",
    run: async (c, e) => {
      const mailsBefore = (await c.mailSubjects()).length;
      await c.lab.fault("vrrp-block", await holder(c));
      await e.status("SPLIT_BRAIN");
      await e.mail("SPLIT_BRAIN");
      await e.alarm("DownOrSplitBrain", "ALARM");
      await othersUntouched(c, mailsBefore);
    },
  },
  {
    name: "fleet: healed",
    run: async (c, e) => {
      const mailsBefore = (await c.mailSubjects()).length;
      await c.lab.heal();
      await e.status("HEALTHY");
      await e.mail("HEALTHY");
      await e.alarm("DownOrSplitBrain", "OK");
      await othersUntouched(c, mailsBefore);
    },
  },
];
