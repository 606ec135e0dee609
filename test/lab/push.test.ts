/**
 * Push: the lab's keepalived notify scripts write a trigger on every transition and `watch` probes at
 * once, so with a 60 s interval a failover and a split brain are declared and mailed long before the next
 * scheduled probe; a flapping keepalived causes only a few extra probes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { Lab } from "../../lab/lab.ts";
import { writeLabConfig } from "../../lab/lab-config.ts";
import { waitFor } from "../../shared/util/wait.ts";
import { skipLab, useLab } from "../helpers/lab-env.ts";

const skip = await skipLab();
const BIN = fileURLToPath(new URL("../../bin/mysql-ha-prober.mjs", import.meta.url));

describe.skipIf(skip)("push: keepalived's notify scripts trigger a probe", () => {
  const lab = new Lab({ name: "mhpt13", subnet: "198.18.113.0/24" });
  useLab(lab);
  let base: Record<string, unknown>;
  let watch: ChildProcess | undefined;
  let output = "";
  let n = 0;
  beforeAll(() => {
    base = parse(readFileSync(writeLabConfig(lab), "utf8")) as Record<string, unknown>;
  });
  afterEach(async () => {
    const w = watch;
    watch = undefined;
    if (w && w.exitCode === null) {
      const exited = new Promise((r) => w.once("exit", r));
      w.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (w.exitCode === null) w.kill("SIGKILL");
    }
  });

  /** `watch --interval 60s` on a store of its own; resolves once its first probe is printed. */
  const startWatch = async () => {
    const file = `${lab.plan.dir}/push-${++n}.yaml`;
    const store = {
      type: "embedded",
      dataDir: `${lab.plan.dir}/store-push-${n}`,
      tableName: "mysql-ha-prober",
    };
    writeFileSync(file, stringify({ ...base, store }), { mode: 0o600 });
    output = "";
    watch = spawn(process.execPath, [BIN, "watch", "-c", file, "--interval", "60s"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    watch.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    await waitFor(() => /: HEALTHY, VIP owner/.test(output), { timeoutMs: 30_000, what: "the first probe" });
  };
  const within = (re: RegExp, ms: number, what: string) =>
    waitFor(() => re.test(output), { timeoutMs: ms, intervalMs: 100, what });

  it("with a 60 s interval, a failover is declared and mailed within seconds of the kill", async () => {
    await startWatch();
    const holder = (await lab.vipHolders())[0] ?? "a";
    const t0 = Date.now();
    await lab.fault("mysql-kill", holder);
    await within(/mail sent: .*HEALTHY -> DEGRADED/, 20_000, "the failover mail");
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(output).toMatch(/push: probing lab-mhpt13 now/);
    expect(output).toMatch(/Failover: the VIP moved/);
  });

  it("with a 60 s interval, a split brain is declared and mailed within seconds of the VRRP block", async () => {
    await startWatch();
    const holder = (await lab.vipHolders())[0] ?? "a";
    const t0 = Date.now();
    await lab.fault("vrrp-block", holder);
    await within(/mail sent: .*-> \*\*\* SPLIT BRAIN \*\*\*/, 20_000, "the split-brain mail");
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it("a keepalived flapping 10 times in 5 s gives only a few extra probes, one at a time", async () => {
    await startWatch();
    // what the notify scripts write on each transition, 10 times in 5 s
    for (let i = 0; i < 10; i++) {
      writeFileSync(
        lab.plan.client.triggerFifo,
        `${Date.now() / 1000} a VI_MYSQL ${i % 2 ? "MASTER" : "BACKUP"}\n`,
        { flag: "r+" },
      );
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const pushed = output.match(/push: probing/g)?.length ?? 0;
    expect(pushed).toBeGreaterThanOrEqual(1);
    // at most one pushed probe per 0.8 s (the minimum gap), whatever the number of triggers
    expect(pushed).toBeLessThanOrEqual(8);
  });
});
