/**
 * The EC2 view in the lab, as the CLI runs it: `lab up --ec2 <mode>` writes a configuration whose EC2
 * view is answered by the lab's EC2 stand-in, from what the nodes' notify scripts "assigned" with the
 * lab's stand-in `aws`. Agreement (and the ARP view not applicable), a failed assignment (pending within
 * the grace, then EC2_VIP_MISMATCH and DOWN, across `watch` probes), a split brain routed to one node
 * (route-table mode), the EC2 API throttled, and heal repairing the assignment.
 * (The deployed function's side: test/rehearsal-ec2.test.ts.)
 */
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { Lab } from "../../lab/lab.ts";
import { labConfig, labConfigPath } from "../../lab/lab-config.ts";
import type { Ec2Mode } from "../../shared/domain/ec2.ts";
import { waitFor } from "../../shared/util/wait.ts";
import { cli } from "../helpers/cli.ts";
import { skipLab, useLab } from "../helpers/lab-env.ts";

const skip = await skipLab();

interface Probed {
  status: string;
  findings: { code: string; message: string }[];
  ec2?: { mode: string; routedTo: string[] | null; interfaces: string[] };
  nodes: Record<"a" | "b", { keepalived: string | null }>;
}

describe.skipIf(skip)("the EC2 view in the lab", () => {
  const lab = new Lab({ name: "mhpt16", subnet: "198.18.116.0/24" });
  useLab(lab);

  /** The configuration `lab up --ec2 <mode>` writes, with the grace changed where a test needs it. */
  const config = (mode: Ec2Mode, graceSeconds?: number, file: string = mode) => {
    const c = labConfig(lab, { ec2: mode }) as {
      clusters: { ec2: Record<string, unknown> }[];
      store: { dataDir: string };
    };
    const cl = c.clusters[0];
    if (cl && graceSeconds !== undefined) cl.ec2.graceSeconds = graceSeconds;
    c.store.dataDir = `${lab.plan.dir}/store-${file}`;
    const path = labConfigPath(lab).replace(/\.yaml$/, `-${file}.yaml`);
    writeFileSync(path, stringify(c));
    return path;
  };
  const probe = async (path: string): Promise<{ code: number; state: Probed }> => {
    const r = await cli("probe", "--json", "-c", path);
    return { code: r.code, state: (JSON.parse(r.out) as Probed[])[0] as Probed };
  };
  const codes = (s: Probed) => s.findings.map((f) => f.code);
  const holder = async () => (await lab.vipHolders())[0] as "a" | "b";

  it("lab up --ec2 secondary-ip: the configuration it writes turns the view on; the VIP routed to the holder; no ARP view", async () => {
    const r = await cli(
      "lab",
      "up",
      "--name",
      "mhpt16",
      "--subnet",
      "198.18.116.0/24",
      "--ec2",
      "secondary-ip",
    );
    expect(r.code, r.err).toBe(0);
    const h = await holder();
    const text = await cli("probe", "-c", labConfigPath(lab));
    expect(text.code, text.out).toBe(0);
    expect(text.out).toContain(
      `EC2 secondary-ip: VIP routed to node ${h.toUpperCase()} (${lab.plan.ec2.nodes[h].networkInterfaceId}); ARP view: not applicable`,
    );
    const { state } = await probe(config("secondary-ip"));
    expect(state.status).toBe("HEALTHY");
    expect(state.ec2).toEqual({
      mode: "secondary-ip",
      routedTo: [h],
      interfaces: [lab.plan.ec2.nodes[h].networkInterfaceId],
      mismatchSince: null,
    });
    expect(codes(state).filter((c) => c.startsWith("ARP_") || c.startsWith("EC2_"))).toEqual([]);
    // doctor: the EC2 view's checks instead of arping's
    const d = await cli("doctor", "-c", labConfigPath(lab));
    expect(d.code, d.out).toBe(0);
    expect(d.out).toMatch(/EC2 view \(secondary-ip\): the EC2 API answers/);
    expect(d.out).toMatch(/EC2 view \(secondary-ip\): the VIP routed to its holder.*routed to node [AB]/);
    expect(d.out).not.toMatch(/arping/);
  });

  it("a failed assignment after a failover: pending within the grace, then EC2_VIP_MISMATCH and DOWN (watch's probes)", async () => {
    // Prepare: a 3 s grace, so the watch's 1 s probes see both sides of it
    const path = config("secondary-ip", 3, "grace");
    const old = await holder();
    await lab.fault("ec2-assign-fail", old);
    // Act
    await lab.fault("mysql-kill", old);
    const seen: string[][] = [];
    await waitFor(
      async () => {
        await cli("watch", "-c", path, "--count", "1");
        const r = await cli("status", "--json", "-c", path);
        const s = (JSON.parse(r.out) as { state: Probed & { probeStatus: string } }[])[0]?.state;
        if (s) seen.push(codes(s).filter((c) => c.startsWith("EC2_")));
        return codes(s as Probed).includes("EC2_VIP_MISMATCH") && s?.probeStatus === "DOWN";
      },
      { timeoutMs: 60_000, intervalMs: 500, what: "EC2_VIP_MISMATCH and DOWN in the stored state" },
    );
    // Assess: the pending finding came first, the mismatch only after the grace
    const first = seen.findIndex((c) => c.includes("EC2_VIP_MOVE_PENDING"));
    const mismatch = seen.findIndex((c) => c.includes("EC2_VIP_MISMATCH"));
    expect(first, JSON.stringify(seen)).toBeGreaterThanOrEqual(0);
    expect(mismatch).toBeGreaterThan(first);
    const { code, state } = await probe(config("secondary-ip", 0, "nograce"));
    expect(code).toBe(2);
    expect(state.findings.find((f) => f.code === "EC2_VIP_MISMATCH")?.message).toContain(
      `holds the VIP, but EC2 routes it to node ${old.toUpperCase()}`,
    );
  });

  it("heal repairs the assignment: the VIP routed to the holder again", async () => {
    await lab.heal();
    const { code, state } = await probe(config("secondary-ip", 0, "nograce"));
    expect(code).toBe(0);
    expect(state.ec2?.routedTo).toEqual([await holder()]);
  });

  it("route-table mode, split brain: both nodes assigned, EC2 routes to the last; EC2_SPLIT_BRAIN_ROUTED names it", async () => {
    const path = config("route-table");
    expect((await probe(path)).state.ec2?.routedTo).toEqual([await holder()]);
    await lab.fault("vrrp-block", await holder());
    let last: Probed | undefined;
    await waitFor(
      async () => {
        last = (await probe(path)).state;
        return codes(last).includes("EC2_SPLIT_BRAIN_ROUTED");
      },
      { timeoutMs: 30_000, intervalMs: 300, what: "EC2_SPLIT_BRAIN_ROUTED" },
    );
    expect(last?.status).toBe("SPLIT_BRAIN");
    const routed = last?.ec2?.routedTo?.[0];
    expect(["a", "b"]).toContain(routed);
    expect(last?.findings.find((f) => f.code === "EC2_SPLIT_BRAIN_ROUTED")?.message).toContain(
      `EC2 routes it to node ${String(routed).toUpperCase()}`,
    );
  });

  it("the EC2 API throttled: EC2_VIEW_FAILED, DEGRADED (unknown is not fine), exit 1", async () => {
    await lab.fault("ec2-api-throttle", await holder());
    const { code, state } = await probe(config("secondary-ip"));
    expect(code).toBe(1);
    expect(state.status).toBe("DEGRADED");
    expect(state.ec2?.routedTo).toBeNull();
    expect(state.findings.find((f) => f.code === "EC2_VIEW_FAILED")?.message).toMatch(
      /\(throttled\): RequestLimitExceeded/,
    );
  });
});
