/** Lab lifecycle: reuse, coexistence, idempotent and crash-proof teardown, no half-made lab. */
import { existsSync, rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { Lab } from "../../lab/lab.ts";
import { labConfig } from "../../lab/lab-config.ts";
import { netnsList, netnsPids, processName } from "../../lab/system.ts";
import { skipLab } from "../helpers/lab-env.ts";

const skip = await skipLab();

/** Every mariadbd/keepalived process on the machine whose command line names this lab's directory. */
async function processesOf(lab: Lab): Promise<number[]> {
  const { readdirSync, readFileSync } = await import("node:fs");
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const name = processName(Number(entry));
    if (name !== "mariadbd" && name !== "keepalived") continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(`${lab.plan.dir}/`))
        found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

async function namespacesOf(lab: Lab): Promise<string[]> {
  const mine = [lab.plan.client.ns, lab.plan.nodes.a.ns, lab.plan.nodes.b.ns];
  return (await netnsList()).filter((ns) => mine.includes(ns));
}

describe.skipIf(skip)("lab lifecycle", () => {
  const first = new Lab({ name: "mhpt2", subnet: "198.18.102.0/24" });
  const second = new Lab({ name: "mhpt3", subnet: "198.18.103.0/24" });

  afterAll(async () => {
    await first.down();
    await second.down();
  });

  it("two labs coexist, each with its own VIP holder; up on a running lab reuses it", async () => {
    const [s1, s2] = [await first.up({ rebuild: true }), await second.up({ rebuild: true })];
    expect(s1.vipHolders).toHaveLength(1);
    expect(s2.vipHolders).toHaveLength(1);
    expect(s1.nodes.a.mysql.pid).not.toBe(s2.nodes.a.mysql.pid);
    const again = await first.up();
    expect(again.nodes.a.mysql.pid).toBe(s1.nodes.a.mysql.pid);
    expect(again.nodes.b.keepalived.pid).toBe(s1.nodes.b.keepalived.pid);
    // each its own loopback ports for the embedded store and the mail viewer
    const ports = (l: Lab) => {
      const c = labConfig(l) as { store: { port: number }; mail: { port: number } };
      return [c.store.port, c.mail.port];
    };
    expect(new Set([...ports(first), ...ports(second)]).size).toBe(4);
  });

  it("up on a running lab with someone's fault applied leaves the fault in place (no heal); --heal undoes it", async () => {
    await first.fault("replication-stop", "b");
    const reused = await first.up();
    expect(reused.faults.map((f) => `${f.kind}@${f.node}`)).toEqual(["replication-stop@b"]);
    expect(reused.nodes.b.replication?.ioRunning).toBe("No");
    const healed = await first.up({ heal: true });
    expect(healed.faults).toEqual([]);
    expect(healed.nodes.b.replication?.ioRunning).toBe("Yes");
  });

  it("down removes namespaces, processes and files, and succeeds when run twice", async () => {
    // 2 mariadbd + 2 keepalived, each keepalived a parent and its VRRP child
    expect(await processesOf(second)).toHaveLength(6);
    await second.down();
    await second.down();
    expect(await namespacesOf(second)).toEqual([]);
    expect(await processesOf(second)).toEqual([]);
    expect(existsSync(second.plan.dir)).toBe(false);
    // the other lab is untouched
    expect((await first.status()).vipHolders).toHaveLength(1);
    expect(await processesOf(first)).toHaveLength(6);
  });

  it("down after a crash (state file lost) still removes everything", async () => {
    rmSync(first.plan.stateFile);
    await first.down();
    expect(await namespacesOf(first)).toEqual([]);
    expect(await processesOf(first)).toEqual([]);
  });

  it("a build that fails half-way leaves nothing behind", async () => {
    let netnsSeen: string[] = [];
    const broken = new Lab({ name: "mhpt4", subnet: "198.18.104.0/24" }, () => {}, {
      afterNetwork: async () => {
        netnsSeen = [...(await netnsList())];
        throw new Error("injected failure after the network was built");
      },
    });
    await expect(broken.up()).rejects.toThrow(/injected failure/);
    expect(netnsSeen).toContain("mhpt4-c");
    expect(await namespacesOf(broken)).toEqual([]);
    expect(existsSync(broken.plan.dir)).toBe(false);
    for (const ns of ["mhpt4-a", "mhpt4-b", "mhpt4-c"]) expect(await netnsPids(ns)).toEqual([]);
  });
});
