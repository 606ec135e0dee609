/** The CLI end to end against a lab: exit codes, JSON shape, watch and history, and the demo drill. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lab } from "../../lab/lab.ts";
import { netnsList } from "../../lab/system.ts";
import { waitFor } from "../../shared/util/wait.ts";
import { cli } from "../helpers/cli.ts";
import { skipLab } from "../helpers/lab-env.ts";

const skip = await skipLab();

describe.skipIf(skip)("CLI against the lab", () => {
  const lab = new Lab({ name: "mhpt8", subnet: "198.18.108.0/24" });
  const labArgs = ["--name", "mhpt8", "--subnet", "198.18.108.0/24"];
  let config = "";

  beforeAll(async () => {
    const r = await cli("lab", "up", ...labArgs, "--rebuild", "--json");
    expect(r.code).toBe(0);
    const status = JSON.parse(r.out);
    expect(status).toMatchObject({
      name: "mhpt8",
      vipHolders: ["a"],
      nodes: { a: { mysql: { running: true } } },
    });
    config = status.configFile;
  });
  afterAll(async () => {
    await lab.down();
  });

  it("probe: HEALTHY exits 0 with a table", async () => {
    const r = await cli("probe", "-c", config);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^cluster lab-mhpt8: HEALTHY, VIP owner A/m);
    expect(r.out).toMatch(/^A\s+198\.18\.108\.11\s+BOUND\s+MASTER\s+up/m);
  });

  it("probe --json with vrrp-block applied exits 2 with status SPLIT_BRAIN", async () => {
    await lab.fault("vrrp-block", "b");
    await waitFor(async () => (await lab.vipHolders()).length === 2, {
      timeoutMs: 15_000,
      what: "split brain",
    });
    const r = await cli("probe", "-c", config, "--json");
    expect(r.code).toBe(2);
    const [state] = JSON.parse(r.out);
    expect(state).toMatchObject({ cluster: "lab-mhpt8", status: "SPLIT_BRAIN", vipOwner: "both" });
    expect(state.findings.map((f: { code: string }) => f.code)).toEqual(
      expect.arrayContaining(["SPLIT_BRAIN_VIP_ON_BOTH", "KEEPALIVED_MULTIPLE_MASTERS", "ARP_DUPLICATE"]),
    );
    expect(Object.keys(state.nodes)).toEqual(["a", "b"]);
    await lab.heal();
  });

  it("probe with a wrong monitoring password: UNKNOWN (exit 3), the prober's problem with the configuration to check, no cluster status", async () => {
    // Prepare: the lab's configuration with the monitoring user's password mistyped
    const text = readFileSync(config, "utf8");
    expect(text).toContain("lab-prober-pw");
    const wrong = join(mkdtempSync(join(tmpdir(), "mhp-wrongpw-")), "config.yaml");
    writeFileSync(wrong, text.replaceAll("lab-prober-pw", "lab-prober-typo"), { mode: 0o600 });
    // Act
    const r = await cli("probe", "-c", wrong);
    // Assess
    expect(r.code, r.out).toBe(3);
    expect(r.out).toMatch(/UNKNOWN/);
    expect(r.out).toMatch(/The prober's problem, not the cluster's: .*refused the monitoring user's login/);
    expect(r.out).toMatch(/Check the configuration: mysql\.user/);
    expect(r.out).not.toMatch(/\b(DEGRADED|DOWN|SPLIT_BRAIN)\b/);
  });

  it("probe: the standby stopped exits 1 (DEGRADED)", async () => {
    await lab.fault("replication-stop", "b");
    const r = await cli("probe", "-c", config);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/REPLICATION_IO_STOPPED/);
    await lab.heal();
  });

  it("watch stores the transitions and mails; history lists them", async () => {
    const w1 = await cli("watch", "-c", config, "--interval", "1s", "--count", "2");
    expect(w1.code).toBe(0);
    expect(w1.out).toMatch(/lab-mhpt8: HEALTHY/);
    await lab.fault("vrrp-block", "b");
    await waitFor(async () => (await lab.vipHolders()).length === 2, {
      timeoutMs: 15_000,
      what: "split brain",
    });
    const w2 = await cli("watch", "-c", config, "--interval", "1s", "--count", "1");
    expect(w2.out).toMatch(/lab-mhpt8: SPLIT_BRAIN/);
    expect(w2.out).toMatch(/mail sent: \[mysql-ha\] lab-mhpt8: HEALTHY -> \*\*\* SPLIT BRAIN \*\*\*/);
    await lab.heal();
    const w3 = await cli("watch", "-c", config, "--interval", "1s", "--count", "4");
    expect(w3.out).toMatch(/mail sent: \[mysql-ha\] lab-mhpt8: \*\*\* SPLIT BRAIN \*\*\* -> HEALTHY/);
    const h = await cli("history", "-c", config, "--since", "1h", "--json");
    expect(h.code).toBe(0);
    expect(JSON.parse(h.out).map((x: { from: string | null; to: string }) => `${x.from}->${x.to}`)).toEqual([
      "null->HEALTHY",
      "HEALTHY->SPLIT_BRAIN",
      "SPLIT_BRAIN->HEALTHY",
    ]);
    const text = await cli("history", "-c", config);
    expect(text.out).toMatch(/^at\s+what\s+from\s+to\s+VIP owner\s+findings/m);
  });

  it("the demo drill, short mode: failover, recovery, split brain, healed, each detected and mailed; nothing left behind", async () => {
    const r = await cli(
      "lab",
      "demo",
      "--name",
      "mhpt9",
      "--subnet",
      "198.18.109.0/24",
      "--interval",
      "1s",
      "--json",
    );
    expect(r.code, r.err).toBe(0);
    const steps = JSON.parse(r.out.slice(r.out.lastIndexOf("\n[")));
    expect(
      steps.map((s: { fault: string; expected: string }) => `${s.fault.split(" ")[0]}:${s.expected}`),
    ).toEqual(["mysql-kill:DEGRADED", "heal:HEALTHY", "vrrp-block:SPLIT_BRAIN", "heal:HEALTHY"]);
    for (const s of steps) {
      expect(s.detectedAt).not.toBeNull();
      expect(s.mailedAt).not.toBeNull();
      expect(s.detectionMs).toBeGreaterThanOrEqual(0);
    }
    expect(steps[0].mailSubject).toMatch(
      /^\[mysql-ha\] lab-mhpt9: HEALTHY -> DEGRADED \(FAILOVER [AB] -> [AB]\)$/,
    );
    expect(steps[2].mailSubject).toBe("[mysql-ha] lab-mhpt9: HEALTHY -> *** SPLIT BRAIN ***");
    expect(r.out).toMatch(/Drill summary/);
    expect((await netnsList()).filter((n) => n.startsWith("mhpt9-"))).toEqual([]);
  });
});
