/**
 * A recovery is not a flap (issue 33, item 6): twenty ordinary failovers and heals (mysqld killed on the
 * holder, keepalived moves the VIP, `lab heal`), probed every second as `watch --interval 1s` does, open no
 * KEEPALIVED_FLAPPED incident. Each round's failover is mailed. (A real flap between two probes, the lab's
 * keepalived-flap, still opens one: detection-truth.test.ts.)
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalSes, startDynalite, startSesLocal } from "../../emulators/aws.ts";
import { Lab } from "../../lab/lab.ts";
import { labPorts, labProbeTarget } from "../../lab/lab-config.ts";
import { DynamoStore } from "../../shared/adapters/dynamo-store.ts";
import { SesNotifier } from "../../shared/adapters/ses-notifier.ts";
import { deadlineIn, type NodeId } from "../../shared/domain/types.ts";
import { type PipelineDeps, probeCluster } from "../../shared/pipeline.ts";
import { waitFor } from "../../shared/util/wait.ts";
import { skipLab, useLab } from "../helpers/lab-env.ts";

const skip = await skipLab();
const ROUNDS = Number(process.env.FAILOVER_ROUNDS ?? 20);

describe.skipIf(skip)("failover and heal, round after round", () => {
  const lab = new Lab({ name: "mhpt18", subnet: "198.18.118.0/24" });
  let dynamo: LocalDynamo;
  let ses: LocalSes;
  let deps: PipelineDeps;
  const target = () => labProbeTarget(lab, "lab-rounds");
  useLab(lab);
  beforeAll(async () => {
    [dynamo, ses] = await Promise.all([startDynalite("mhp-rounds"), startSesLocal()]);
    deps = {
      ...labPorts(lab),
      store: new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName }),
      notifier: new SesNotifier({ client: ses.client, from: "prober@example.com", to: ["ops@example.com"] }),
    };
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), ses?.stop()]);
  });

  it(`${ROUNDS} rounds of mysql-kill on the holder and heal, probed every second: no KEEPALIVED_FLAPPED`, async () => {
    // Prepare: the probe loop, one probe a second (watch --interval 1s), as long as the rounds run
    let running = true;
    let probes = 0;
    const flaps: string[] = [];
    const loop = (async () => {
      while (running) {
        const started = Date.now();
        const r = await probeCluster(target(), deps, deadlineIn(8000));
        probes++;
        for (const f of r.state.findings ?? [])
          if (f.code === "KEEPALIVED_FLAPPED") flaps.push(`probe ${probes}: ${f.message}`);
        await sleep(Math.max(0, 1000 - (Date.now() - started)));
      }
    })();
    const moves: string[] = [];
    try {
      // Act: the rounds
      for (let round = 1; round <= ROUNDS; round++) {
        const holder = await lab.waitSingleHolder(60_000);
        const standby: NodeId = holder === "a" ? "b" : "a";
        const before = probes;
        await lab.fault("mysql-kill", holder);
        await waitFor(async () => (await lab.vipBoundOn(standby)) && !(await lab.vipBoundOn(holder)), {
          timeoutMs: 30_000,
          what: `round ${round}: the VIP to move from ${holder} to ${standby}`,
        });
        await waitFor(() => probes >= before + 2, {
          timeoutMs: 30_000,
          what: `round ${round}: two probes of the failover`,
        });
        await lab.heal();
        const healed = probes;
        await waitFor(() => probes >= healed + 3, {
          timeoutMs: 30_000,
          what: `round ${round}: three probes after the heal`,
        });
        moves.push(`${holder}->${standby}`);
      }
    } finally {
      running = false;
      await loop;
    }
    // Assess: no flap found by any probe, none mailed
    const subjects = (await ses.mails()).map((m) => m.subject);
    expect(flaps).toEqual([]);
    expect(subjects.filter((s) => s.includes("KEEPALIVED_FLAPPED"))).toEqual([]);
    expect(moves).toHaveLength(ROUNDS);
    // every move was mailed as a failover naming it
    const failovers = subjects.filter((s) => /FAILOVER [AB] -> [AB]/.test(s));
    expect(failovers.length, subjects.join("\n")).toBeGreaterThanOrEqual(ROUNDS);
  }, 1_800_000);
});
