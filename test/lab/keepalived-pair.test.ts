/**
 * The keepalived pair rules against real keepalived: the lab's own configuration gives no finding; a
 * configuration that breaks each rule (one node `state MASTER`, a different advert_int, equal
 * priorities, a missing nopreempt) gives its finding, read from keepalived's own dump.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FaultKind } from "../../lab/fault-kinds.ts";
import { Lab } from "../../lab/lab.ts";
import { labPorts, labProbeTarget } from "../../lab/lab-config.ts";
import { deadlineIn } from "../../shared/domain/types.ts";
import { observeAndAssess } from "../../shared/pipeline.ts";
import { skipLab } from "../helpers/lab-env.ts";

const skip = await skipLab();
const PAIR_CODES = ["KEEPALIVED_PREEMPT_ON", "KEEPALIVED_PAIR_MISMATCH", "KEEPALIVED_EQUAL_PRIORITIES"];

describe.skipIf(skip)("keepalived pair rules in the lab", () => {
  const lab = new Lab({ name: "mhpt14", subnet: "198.18.114.0/24" });
  const pairFindings = async () => {
    const { assessment } = await observeAndAssess(
      labProbeTarget(lab),
      labPorts(lab),
      deadlineIn(10_000),
      null,
      new Date(),
    );
    return assessment.findings.filter((f) => PAIR_CODES.includes(f.code));
  };
  beforeAll(async () => {
    await lab.up({ rebuild: true });
  });
  afterEach(async () => {
    if ((await lab.status()).faults.length > 0) await lab.heal();
  });
  afterAll(async () => {
    await lab.down();
  });

  it("the lab's own configuration (the node kit's fragment) gives none", async () => {
    expect(await pairFindings()).toEqual([]);
  });

  it.each([
    ["keepalived-conf-master", "KEEPALIVED_PREEMPT_ON", /preempts/],
    ["keepalived-conf-preempt", "KEEPALIVED_PREEMPT_ON", /preempts/],
    ["keepalived-conf-advert", "KEEPALIVED_PAIR_MISMATCH", /advert_int \(ms\) A=(1000 B=2000|2000 B=1000)/],
    ["keepalived-conf-priority", "KEEPALIVED_EQUAL_PRIORITIES", /Both nodes have priority 100/],
  ] as const)("%s on the standby gives %s", async (kind: FaultKind, code, message) => {
    const holder = await lab.waitSingleHolder(30_000);
    const standby = holder === "a" ? "b" : "a";
    await lab.fault(kind, standby);
    const f = await pairFindings();
    expect(f.map((x) => x.code)).toContain(code);
    expect(f.find((x) => x.code === code)?.message).toMatch(message);
  });
});
