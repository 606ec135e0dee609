/** The real node-check script on the lab's nodes, through the namespace runner (and the SSH runner). */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Lab } from "../../lab/lab.ts";
import { NetnsNodeChecker } from "../../shared/adapters/netns-runner.ts";
import { SshNodeChecker } from "../../shared/adapters/ssh-runner.ts";
import type { NodeMemory } from "../../shared/domain/memory.ts";
import type { NodeCheckResult, NodeReport } from "../../shared/domain/node.ts";
import { assessNodes } from "../../shared/domain/rules/node-views.ts";
import { deadlineIn } from "../../shared/domain/types.ts";
import { waitFor } from "../../shared/util/wait.ts";
import { skipLab, useLab } from "../helpers/lab-env.ts";

const skip = await skipLab();

describe.skipIf(skip)("node-check script in the lab", () => {
  const lab = new Lab({ name: "mhpt6", subnet: "198.18.106.0/24" });
  const p = lab.plan;
  const checkers = { a: new NetnsNodeChecker(p.nodes.a.ns), b: new NetnsNodeChecker(p.nodes.b.ns) };
  const check = async (memory?: NodeMemory) => {
    const d = deadlineIn(10_000);
    const [a, b] = await Promise.all(
      (["a", "b"] as const).map((id) =>
        checkers[id].check(lab.nodeCheckParams(id, memory?.lastEpoch[id] ?? undefined), d),
      ),
    );
    return { a: a as NodeCheckResult, b: b as NodeCheckResult };
  };
  const rep = (r: NodeCheckResult): NodeReport => {
    if (!r.ok) throw new Error(`node check failed: ${r.reason} ${r.detail}`);
    return r.report;
  };
  const codes = (r: ReturnType<typeof assessNodes>) =>
    r.findings.map((f) => `${f.code}${f.subject ? `@${f.subject}` : ""}`).sort();

  useLab(lab);

  it("healthy: A holds the VIP as MASTER, B is BACKUP and sees only A's MAC; no findings", async () => {
    const v = await check();
    const a = rep(v.a);
    const b = rep(v.b);
    expect(a).toMatchObject({
      vip: { bound: true, interface: "eth0", mac: p.nodes.a.mac },
      arp: { tool: "habets", replies: [] },
    });
    expect(a.keepalived).toMatchObject({
      running: true,
      source: "data",
      instances: [{ name: "VI_MYSQL", state: "MASTER", priority: 100 }],
    });
    expect(b).toMatchObject({ vip: { bound: false, mac: p.nodes.b.mac }, arp: { replies: [p.nodes.a.mac] } });
    expect(b.keepalived.instances[0]).toMatchObject({ state: "BACKUP", priority: 90 });
    expect(a.mysqld).toMatchObject({ listening: true, process: "mariadbd" });
    // the data dump holds the VRRP password: nothing of it but the state may leave the node
    expect(JSON.stringify(a)).not.toContain(p.vrrpPassword);
    expect(codes(assessNodes(v))).toEqual([]);
  });

  it("vrrp-block: EACH node's report alone flags the duplicate VIP", async () => {
    await lab.fault("vrrp-block", "b");
    await waitFor(async () => (await lab.vipHolders()).length === 2, {
      timeoutMs: 15_000,
      what: "both nodes to hold the VIP",
    });
    const v = await check();
    for (const id of ["a", "b"] as const) {
      const other = id === "a" ? "b" : "a";
      const alone = assessNodes({
        [id]: v[id],
        [other]: { ok: false, reason: "timeout", detail: "ignored", durationMs: 0 },
      } as never);
      expect(codes(alone), `node ${id} alone`).toContain("ARP_DUPLICATE@pair");
      expect(rep(v[id]).arp.replies).toEqual([p.nodes[other].mac]);
    }
    expect(codes(assessNodes(v))).toEqual(
      expect.arrayContaining([
        "SPLIT_BRAIN_VIP_ON_BOTH@pair",
        "KEEPALIVED_MULTIPLE_MASTERS@pair",
        "ARP_DUPLICATE@pair",
      ]),
    );
  });

  it("keepalived-kill on the standby: KEEPALIVED_DOWN and no failover candidate", async () => {
    await lab.fault("keepalived-kill", "b");
    const v = await check();
    expect(rep(v.b).keepalived).toMatchObject({ running: false, source: "none" });
    expect(codes(assessNodes(v))).toEqual(
      expect.arrayContaining(["KEEPALIVED_DOWN@b", "NO_FAILOVER_CANDIDATE@b"]),
    );
  });

  it("partition: both nodes bind the VIP; split brain seen from the nodes", async () => {
    await lab.fault("partition", "a");
    await waitFor(async () => (await lab.vipHolders()).length === 2, {
      timeoutMs: 15_000,
      what: "both nodes to hold the VIP",
    });
    const v = await check();
    expect(codes(assessNodes(v))).toEqual(
      expect.arrayContaining(["SPLIT_BRAIN_VIP_ON_BOTH@pair", "KEEPALIVED_MULTIPLE_MASTERS@pair"]),
    );
  });

  it("mysql-kill on the holder: the VIP moves, transitions since the last probe are reported", async () => {
    const first = assessNodes(await check());
    const holder = first.holders?.[0] as "a" | "b";
    const peer = holder === "a" ? "b" : "a";
    await lab.fault("mysql-kill", holder);
    await waitFor(async () => (await lab.vipHolders()).join() === peer, {
      timeoutMs: 10_000,
      what: `the VIP to move to ${peer}`,
    });
    const r = await waitFor(
      async () => {
        const x = assessNodes(await check(first.memory), first.memory);
        return codes(x).includes(`KEEPALIVED_FAULT@${holder}`) ? x : undefined;
      },
      { timeoutMs: 10_000, what: "the old holder's keepalived in FAULT" },
    );
    expect(r.holders).toEqual([peer]);
    expect(codes(r)).toEqual(
      expect.arrayContaining([`MYSQLD_NOT_LISTENING@${holder}`, `NO_FAILOVER_CANDIDATE@${holder}`]),
    );
    const moved = r.findings.find(
      (f) => f.subject === peer && /KEEPALIVED_(TRANSITION|FLAPPED)/.test(f.code),
    );
    expect(moved?.message).toMatch(/MASTER/);
  });

  it("the SSH runner runs the same script (through a stand-in ssh that enters the node's namespace)", async () => {
    // A stand-in for the OpenSSH client: checks the options the runner must pass, then runs the
    // remote command in node A's namespace, as sshd would run it on the node.
    const dir = mkdtempSync(join(tmpdir(), "mhp-ssh-"));
    const fake = join(dir, "ssh");
    writeFileSync(
      fake,
      `#!/bin/bash
printf '%s\\n' "$@" > "${dir}/args"
while [ "$1" != "--" ]; do shift; done
shift; host="$1"; shift
exec ip netns exec "${p.nodes.a.ns}" bash -c "$1"
`,
    );
    chmodSync(fake, 0o755);
    const ssh = new SshNodeChecker({ host: "db-a", user: "ops", sshCommand: fake });
    const r = await ssh.check(lab.nodeCheckParams("a"), deadlineIn(10_000));
    const aHolds = (await lab.vipHolders()).includes("a");
    expect(rep(r)).toMatchObject({
      vip: { bound: aHolds, mac: p.nodes.a.mac },
      keepalived: { running: true },
    });
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(join(dir, "args"), "utf8")).toMatch(
      /-o\nBatchMode=yes\n-o\nStrictHostKeyChecking=yes\n/,
    );
  });

  it("arping that cannot run is an error in the report naming arping, not an empty list of replies", async () => {
    // on the node without the VIP, arping uses the configured interface
    const standby = (await lab.vipHolders())[0] === "a" ? "b" : "a";
    const r = rep(
      await checkers[standby].check(
        { ...lab.nodeCheckParams(standby), Interface: "nosuch0" },
        deadlineIn(5000),
      ),
    );
    expect(r.arp).toMatchObject({ tool: "habets", sent: null, replies: [] });
    expect(r.errors.join("\n")).toMatch(/arping sent no ARP request .*nosuch0/);
    // the rest of the report is still there
    expect(r.keepalived.instances[0]).toMatchObject({ state: "BACKUP" });
    expect(r.mysqld.listening).toBe(true);
  });

  it("bad parameters make the script fail with a clear reason, never a report", async () => {
    const r = await checkers.a.check(
      { ...lab.nodeCheckParams("a"), Vip: "198.18.106.100; reboot" },
      deadlineIn(5000),
    );
    expect(r).toMatchObject({ ok: false, reason: "script-error" });
    expect(r.ok === false && r.detail).toMatch(/parameter Vip/);
  });
});
