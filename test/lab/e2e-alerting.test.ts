/**
 * Issue acceptance, end to end in the lab with dynalite and aws-ses-v2-local: healthy -> mysql-kill
 * on the VIP holder gives exactly one failover mail; vrrp-block gives a SPLIT BRAIN mail within 2
 * probes; heal gives one resolved mail; the history holds each transition once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalSes, startDynalite, startSesLocal } from "../../emulators/aws.ts";
import { Lab } from "../../lab/lab.ts";
import { labPorts, labProbeTarget } from "../../lab/lab-config.ts";
import { DynamoStore } from "../../shared/adapters/dynamo-store.ts";
import { SesNotifier } from "../../shared/adapters/ses-notifier.ts";
import { deadlineIn } from "../../shared/domain/types.ts";
import { type PipelineDeps, probeCluster } from "../../shared/pipeline.ts";
import { waitFor } from "../../shared/util/wait.ts";
import { skipLab } from "../helpers/lab-env.ts";

const skip = await skipLab();

describe.skipIf(skip)("alerting end to end in the lab", () => {
  const lab = new Lab({ name: "mhpt7", subnet: "198.18.107.0/24" });
  let dynamo: LocalDynamo;
  let ses: LocalSes;
  let deps: PipelineDeps;
  const target = labProbeTarget(lab, "lab-e2e");
  const probe = () => probeCluster(target, deps, deadlineIn(8000));
  /** Probes until the declared status is `status` (the probe count bounded, not the time slept). */
  const probeUntil = async (status: string, maxProbes: number) => {
    for (let i = 1; i <= maxProbes; i++) {
      const r = await probe();
      if (r.state.status === status) return { probes: i, result: r };
      await new Promise((res) => setTimeout(res, 500));
    }
    throw new Error(`status ${status} not declared within ${maxProbes} probes`);
  };
  const subjects = async () => (await ses.mails()).map((m) => m.subject);

  beforeAll(async () => {
    [dynamo, ses] = await Promise.all([startDynalite(), startSesLocal(), lab.up({ rebuild: true })]);
    deps = {
      ...labPorts(lab),
      store: new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName }),
      notifier: new SesNotifier({ client: ses.client, from: "prober@example.com", to: ["ops@example.com"] }),
    };
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), ses?.stop(), lab.down()]);
  });

  it("healthy -> failover -> recovered -> split brain -> healed, one mail per change", async () => {
    expect((await probeUntil("HEALTHY", 5)).result.state.vipOwner).toBe("a");
    expect(await subjects()).toEqual([]);

    // the writer's MySQL killed: the VIP moves to B; exactly one failover mail
    await lab.fault("mysql-kill", "a");
    await waitFor(async () => (await lab.vipHolders()).join() === "b", {
      timeoutMs: 10_000,
      what: "the VIP on B",
    });
    const failover = await probeUntil("DEGRADED", 5);
    expect(failover.result.state.events.map((e) => e.type)).toContain("VIP_MOVED");
    await probe();
    // one mail: the status change and the failover that explains it
    expect(await subjects()).toEqual(["[mysql-ha] lab-e2e: HEALTHY -> DEGRADED (FAILOVER A -> B)"]);
    expect((await ses.mails())[0]?.text).toMatch(/Failover: the VIP moved from node A to node B/);

    // recovered (nopreempt: the VIP stays on B)
    await lab.heal();
    await probeUntil("HEALTHY", 10);
    expect((await subjects()).at(-1)).toBe("[mysql-ha] lab-e2e: DEGRADED -> HEALTHY");

    // VRRP blocked: SPLIT BRAIN mail within 2 probes of both nodes holding the VIP
    await lab.fault("vrrp-block", "a");
    await waitFor(async () => (await lab.vipHolders()).length === 2, {
      timeoutMs: 15_000,
      what: "split brain",
    });
    const sb = await probeUntil("SPLIT_BRAIN", 2);
    expect(sb.probes).toBeLessThanOrEqual(2);
    expect((await subjects()).at(-1)).toMatch(/^\[mysql-ha\] lab-e2e: HEALTHY -> \*\*\* SPLIT BRAIN \*\*\*$/);
    // a quiet lab: only the prober's heartbeat writes, through the VIP, on whichever node ARP points to;
    // over several probes of the split brain they never count as a node taking writes
    let last = sb.result;
    for (let i = 0; i < 3; i++) last = await probe();
    expect(last.state.status).toBe("SPLIT_BRAIN");
    expect(last.state.splitBrain?.writes).toEqual({ a: null, b: null });
    expect((await ses.mails()).at(-1)?.text).not.toMatch(/took writes \(|diverged/);
    // an application writes on node A only (straight to its address): the record names A and its GTIDs
    await lab.sqlFromClient("INSERT INTO writes (via) VALUES ('app-during-split')", lab.plan.nodes.a.ip);
    last = await probe();
    expect(last.state.splitBrain?.writes.a).toMatch(/^\d+-\d+-\d+/);
    expect(last.state.splitBrain?.writes.b).toBeNull();

    // healed: exactly one resolved mail, which names the node that took the writes and what to keep
    await lab.heal();
    await probeUntil("HEALTHY", 10);
    await probe();
    await probe();
    const resolved = (await ses.mails()).find((m) => /\*\*\* SPLIT BRAIN \*\*\* -> HEALTHY/.test(m.subject));
    expect(resolved?.text).toMatch(/node A took writes \(its own GTIDs grew: \d+-\d+-\d+/);
    expect(resolved?.text).toMatch(/Keep node A \(it took the writes\)/);
    expect(resolved?.text).not.toMatch(/diverged/);
    const all = await subjects();
    // the heal may leave the VIP on the other node than before the split: then that mail names the move
    expect(all).toEqual([
      "[mysql-ha] lab-e2e: HEALTHY -> DEGRADED (FAILOVER A -> B)",
      "[mysql-ha] lab-e2e: DEGRADED -> HEALTHY",
      "[mysql-ha] lab-e2e: HEALTHY -> *** SPLIT BRAIN ***",
      expect.stringMatching(
        /^\[mysql-ha\] lab-e2e: \*\*\* SPLIT BRAIN \*\*\* -> HEALTHY( \(FAILOVER B -> A\))?$/,
      ),
    ]);
    const store = new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName });
    const history = await store.history("lab-e2e", new Date(0), new Date(Date.now() + 60_000));
    expect(history.map((h) => `${h.from}->${h.to}`)).toEqual([
      "null->HEALTHY",
      "HEALTHY->DEGRADED",
      "DEGRADED->HEALTHY",
      "HEALTHY->SPLIT_BRAIN",
      "SPLIT_BRAIN->HEALTHY",
    ]);
  });
});
