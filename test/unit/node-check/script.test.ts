/**
 * The real node-check.sh, run without root against stand-in tools that print the real formats
 * (test/helpers/node-check-sandbox.ts): what the script reports, and what the assessment makes of it.
 */
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { NodeReport } from "../../../shared/domain/node.ts";
import { assessNodes } from "../../../shared/domain/rules/node-views.ts";
import { nodeParamsBlob } from "../../../shared/node-check/params.ts";
import { Sandbox, type SandboxSpec, VIP } from "../../helpers/node-check-sandbox.ts";
import { ok } from "../../helpers/node-reports.ts";

let box: Sandbox | undefined;
afterEach(() => {
  box?.close();
  box = undefined;
});

async function report(spec: SandboxSpec = {}): Promise<NodeReport> {
  box = new Sandbox(spec);
  const { result, stdout } = await box.run();
  if (!result.ok) throw new Error(`the node check failed: ${result.reason}: ${result.detail}\n${stdout}`);
  return result.report;
}

describe("node-check.sh in a command sent to many nodes (NodeParams)", () => {
  const ME = "i-0123456789abcdef0";
  const OTHER = "i-0fedcba9876543210";
  const blob = nodeParamsBlob([
    { instanceId: OTHER, params: { Vip: "203.0.113.9", ArpCount: 5 } },
    { instanceId: ME, params: { Vip: VIP, ArpCount: 0 } },
  ]);

  it("takes this node's own lines (AWS_SSM_INSTANCE_ID) over the document's values and the other nodes'", async () => {
    // Prepare: the document-level Vip is another address; only NodeParams names this node's
    box = new Sandbox({
      params: { Vip: "198.51.100.1", NodeParams: blob },
      env: { AWS_SSM_INSTANCE_ID: ME },
    });
    // Act
    const { result } = await box.run();
    // Assess
    if (!result.ok) throw new Error(result.detail);
    expect(result.report.vip).toMatchObject({ address: VIP, bound: true });
    expect(result.report.arp.tool).toBe("skipped");
  });

  it("reads the last line of NC_PARAMS too (the SSH runner's blob has no newline at its end)", async () => {
    // Prepare: what remoteCommand() sends, ArpCount last
    const nc = Buffer.from(`Vip=${VIP}\nArpCount=0`).toString("base64");
    box = new Sandbox({ env: { NC_PARAMS: nc } });
    // Act
    const { result } = await box.run();
    // Assess
    if (!result.ok) throw new Error(result.detail);
    expect(result.report.arp.tool).toBe("skipped");
  });

  it("fails, naming why, on a node that has no line in NodeParams", async () => {
    box = new Sandbox({ params: { NodeParams: blob }, env: { AWS_SSM_INSTANCE_ID: "i-00000000000000001" } });
    const { result } = await box.run();
    expect(result).toMatchObject({ ok: false, reason: "script-error" });
    expect(!result.ok && result.detail).toMatch(/NodeParams has no line for this node/);
  });

  it("fails, naming why, when the agent did not say which node this is", async () => {
    box = new Sandbox({ params: { NodeParams: blob } });
    const { result } = await box.run();
    expect(!result.ok && result.detail).toMatch(/NodeParams needs AWS_SSM_INSTANCE_ID/);
  });

  it("refuses NodeParams over 8,192 characters and a line naming an unknown parameter", async () => {
    box = new Sandbox({ params: { NodeParams: "A".repeat(8196) }, env: { AWS_SSM_INSTANCE_ID: ME } });
    expect((await box.run()).result).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/longer than 8192/),
    });
    box.close();
    const hostile = Buffer.from(`${ME} PATH=/tmp\n`).toString("base64");
    box = new Sandbox({ params: { NodeParams: hostile }, env: { AWS_SSM_INSTANCE_ID: ME } });
    expect((await box.run()).result).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/unknown parameter in NodeParams/),
    });
  });
});

describe("node-check.sh against the real formats", () => {
  it("ArpCount 0 (the EC2 view on): no arping run, the ARP view reported as skipped, not as an error", async () => {
    box = new Sandbox({ params: { ArpCount: "0" } });
    // an arping that would be noticed: any run of it leaves a mark
    box.tool("arping", 'touch "$(dirname "$0")/../arping-ran"; exit 1');
    const { result } = await box.run();
    if (!result.ok) throw new Error(result.detail);
    expect(result.report.arp).toMatchObject({ tool: "skipped", sent: null, replies: [] });
    expect(result.report.errors).toEqual([]);
    expect(existsSync(join(box.dir, "arping-ran"))).toBe(false);
  });

  it("keepalived 2.x with two VRRP instances: each with its virtual IPs and router id", async () => {
    const r = await report();
    expect(r.keepalived).toMatchObject({ running: true, source: "data" });
    expect(r.keepalived.instances.map((i) => [i.name, i.state, i.vrid, i.vips])).toEqual([
      ["VI_MYSQL", "BACKUP", 51, ["192.0.2.100"]],
      ["VI_WEB", "MASTER", 52, ["192.0.2.200"]],
    ]);
    // the settings the pair rules compare (keepalived 2.2.7's own dump of the lab's configuration)
    expect(r.keepalived.instances[0]).toMatchObject({
      basePriority: 100,
      advertMs: 1000,
      preempt: false,
      auth: "SIMPLE_PASSWORD",
      unicastPeers: [],
    });
    expect(r.errors).toEqual([]);
  });

  it.each([
    [
      "keepalived-2.1.5-excluded-ipv6.data",
      "2.1.0-2.2.4 (Debian 11, Ubuntu 22.04): 'Virtual IP :'",
      "2001:db8::100",
    ],
    ["keepalived-2.0.20-excluded-ipv6.data", "1.3 and 2.0: 'Virtual IP = N'", "fd00::100"],
  ])(
    "%s, layout %s: each instance's VIPs, the excluded ones too, an IPv6 VIP as written",
    async (dump, _layout, v6) => {
      const r = await report({ dump });
      expect(r.keepalived.source).toBe("data");
      expect(r.keepalived.instances.map((i) => [i.name, i.vips])).toEqual([
        ["VI_MYSQL", ["192.0.2.100", v6]],
        ["VI_WEB", ["192.0.2.200"]],
      ]);
      expect(r.errors).toEqual([]);
    },
  );

  it("an unrelated instance MASTER on the node that is BACKUP for the VIP is not a split brain", async () => {
    const r = await report({ addrLines: ["2: eth0    inet 192.0.2.12/24 scope global eth0"] });
    const holder = ok({ mac: "02:00:00:00:00:0a", bound: true, keepalived: "MASTER" });
    const v = assessNodes({ a: holder, b: { ok: true, report: r, durationMs: 1 } });
    expect(v.masters).toEqual(["a"]);
    expect(v.findings.map((f) => f.code)).not.toContain("KEEPALIVED_MULTIPLE_MASTERS");
    expect(v.findings.map((f) => f.code)).toContain("KEEPALIVED_OTHER_INSTANCES");
  });

  it("keepalived 1.3.x writes only the VRRP Topology section: read once the file stops changing, not 'no dump'", async () => {
    const r = await report({ dump: "keepalived-1.3.9.data" });
    expect(r.keepalived.source).toBe("data");
    expect(r.keepalived.instances).toEqual([
      {
        name: "VI_1",
        state: "MASTER",
        priority: 100,
        lastTransition: 1795620000,
        vrid: 51,
        vips: ["192.0.2.100"],
        basePriority: 100,
        advertMs: 1000,
        preempt: false,
        auth: "SIMPLE_PASSWORD",
        unicastPeers: [],
      },
    ]);
    expect(r.errors).toEqual([]);
  });

  it("a dump written under another name (state_dump_file): 'no dump' by default, read from KeepalivedDumpFile", async () => {
    const lost = await report({ dumpPath: "state.dump" });
    expect(lost.keepalived.source).toBe("none");
    expect(lost.errors.join()).toMatch(/did not write its DATA dump to .*tmp\/keepalived.data/);
    box?.close();
    const found = await report({
      dumpPath: "state.dump",
      params: { KeepalivedDumpFile: "{dir}/state.dump" },
    });
    expect(found.keepalived.source).toBe("data");
    expect(found.keepalived.instances).toHaveLength(2);
  });

  describe("files a local user could have written are not read (NODE_FILE_UNTRUSTED)", () => {
    const root = process.getuid?.() === 0;
    it.each([
      [
        "writable by others",
        `cp "$2" "$3.new" && chmod 0666 "$3.new" && mv "$3.new" "$3"`,
        /writable by group or others \(mode 666\)/,
      ],
      [
        "a symbolic link",
        `cp "$2" "$3.real" && ln -s "$3.real" "$3.lnk" && mv -T "$3.lnk" "$3"`,
        /is a symbolic link/,
      ],
    ])(
      "a dump %s: keepalived's state unknown, the file and the reason reported",
      async (_n, writeDump, reason) => {
        const r = await report({ writeDump });
        expect(r.keepalived.source).toBe("none");
        expect(r.keepalived.instances).toEqual([]);
        expect(r.untrusted).toEqual([
          { file: expect.stringMatching(/tmp\/keepalived\.data$/), reason: expect.stringMatching(reason) },
        ]);
        expect(r.errors.join()).not.toMatch(/did not write/);
      },
    );
    it.skipIf(!root && !process.env.CI)("a dump owned by another user (needs root to chown)", async () => {
      const r = await report({ writeDump: `cp "$2" "$3.new" && chown 65534 "$3.new" && mv "$3.new" "$3"` });
      expect(r.keepalived.source).toBe("none");
      expect(r.untrusted[0]?.reason).toBe("is owned by uid 65534, not root");
    });
    it("a dump in a directory others may write (not sticky) is refused; a sticky one like /tmp is not", async () => {
      const open = await report({ writeDump: `chmod 0777 "\${3%/*}"; cp "$2" "$3.new" && mv "$3.new" "$3"` });
      expect(open.untrusted[0]?.reason).toMatch(/directory others may write \(mode 777, not sticky\)/);
      box?.close();
      const sticky = await report({
        writeDump: `chmod 1777 "\${3%/*}"; cp "$2" "$3.new" && mv "$3.new" "$3"`,
      });
      expect(sticky.untrusted).toEqual([]);
      expect(sticky.keepalived.source).toBe("data");
    });
    it("a notify log writable by others: not read, so no transitions from it", async () => {
      box = new Sandbox({ params: { NotifyLog: "{dir}/notify.log" } });
      const log = join(box.dir, "notify.log");
      writeFileSync(log, "1700000000.5 2023-11-14T22:13:20Z VI_1 MASTER 150\n");
      chmodSync(log, 0o646);
      const { result } = await box.run();
      if (!result.ok) throw new Error(result.detail);
      const r = result.report;
      expect(r.keepalived.transitionsSource).not.toBe("notify-log");
      expect(r.keepalived.transitions).toEqual([]);
      expect(r.untrusted).toEqual([
        { file: expect.stringMatching(/notify\.log$/), reason: "is writable by group or others (mode 646)" },
      ]);
    });
  });

  it("ss older than iproute2 4.7 (no -H): the header is dropped and the listener read", async () => {
    const r = await report({ ss: "old" });
    expect(r.mysqld).toMatchObject({
      listening: true,
      addresses: ["0.0.0.0:3306"],
      process: "mariadbd",
      pid: 77,
    });
    expect(r.errors).toEqual([]);
  });

  it("ss that cannot run: listening unknown and an error, never 'nobody listens'", async () => {
    const r = await report({ ss: "broken" });
    expect(r.mysqld.listening).toBeNull();
    expect(r.errors.join()).toMatch(/ss could not list/);
  });

  it("mysqld on loopback only is reported with its addresses (the assessment calls it MYSQLD_LOOPBACK_ONLY)", async () => {
    const r = await report({ listening: ["127.0.0.1:3306", "[::1]:3306"] });
    expect(r.mysqld.addresses).toEqual(["127.0.0.1:3306", "[::1]:3306"]);
  });

  it("the VIP on an interface whose link is down", async () => {
    const r = await report({ operstate: "down" });
    expect(r.vip).toMatchObject({ bound: true, interface: "eth0", link: "down" });
  });

  it("journal lines of keepalived 1.3.x (with and without a colon) and 2.x's lower-case FAULT are all transitions", async () => {
    const r = await report({
      params: { Since: "1795620000" },
      journal: [
        "1795620001.000001 db-a Keepalived_vrrp[901]: VRRP_Instance(VI_1) Entering BACKUP STATE",
        "1795620002.000002 db-a Keepalived_vrrp[901]: VRRP_Instance(VI_1): Entering MASTER STATE",
        "1795620003.000003 db-a Keepalived_vrrp[901]: (VI_1) entering FAULT state",
        "1795620004.000004 db-a Keepalived_vrrp[901]: (VI_1): entering FAULT state (src address not configured)",
        "1795620005.000005 db-a Keepalived_vrrp[901]: (VI_1) Entering MASTER STATE",
        "1795620006.000006 db-a Keepalived_vrrp[901]: (VI_1) sent 0 priority",
      ],
    });
    expect(r.keepalived.transitionsSource).toBe("journal");
    expect(r.keepalived.transitions.map((t) => [t.at, t.instance, t.state])).toEqual([
      [1795620001.000001, "VI_1", "BACKUP"],
      [1795620002.000002, "VI_1", "MASTER"],
      [1795620003.000003, "VI_1", "FAULT"],
      [1795620004.000004, "VI_1", "FAULT"],
      [1795620005.000005, "VI_1", "MASTER"],
    ]);
  });

  it("ip that cannot list addresses: the check fails (NODE_CHECK_FAILED), never 'the VIP is not bound'", async () => {
    box = new Sandbox({ ipBroken: true });
    const { result } = await box.run();
    expect(result).toMatchObject({ ok: false, reason: "script-error" });
    expect(result.ok ? "" : result.detail).toMatch(/ip addr show failed/);
  });

  it("a journal that cannot be read: an error and no transition source, never 'no transitions'", async () => {
    const r = await report({ params: { Since: "1795620000" }, journal: "broken" });
    expect(r.keepalived.transitionsSource).toBe("none");
    expect(r.errors.join()).toMatch(/journalctl could not read/);
  });
});
