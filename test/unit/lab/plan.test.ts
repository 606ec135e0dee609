import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { assertRoot } from "../../../lab/packages.ts";
import { planLab } from "../../../lab/plan.ts";
import { parseBatch } from "../../../lab/system.ts";
import { checkMysqlScript, keepalivedConf, myCnf, notifyConf, notifyScript } from "../../../lab/templates.ts";
import { run } from "../../../shared/util/exec.ts";
import { waitFor } from "../../../shared/util/wait.ts";

describe("planLab", () => {
  it("defaults to lab mhp on 198.18.0.0/24 with the VIP in the same subnet", () => {
    const p = planLab();
    expect(p.name).toBe("mhp");
    expect(p.vip).toBe("198.18.0.100");
    expect([p.nodes.a.ip, p.nodes.b.ip, p.client.ip]).toEqual(["198.18.0.11", "198.18.0.12", "198.18.0.10"]);
    expect([p.nodes.a.ns, p.nodes.b.ns, p.client.ns]).toEqual(["mhp-a", "mhp-b", "mhp-c"]);
    expect(p.nodes.a.priority).toBeGreaterThan(p.nodes.b.priority);
  });

  it.each([["10.0.0.0/24"], ["192.168.1.0/24"], ["198.20.0.0/24"], ["198.18.0.0/16"], ["198.18.0.5/24"]])(
    "refuses subnet %s outside 198.18.0.0/15 /24s, naming the field",
    (subnet) => {
      expect(() => planLab({ subnet })).toThrow(/subnet[\s\S]*198\.18\.0\.0\/15/);
    },
  );

  it.each([["UPPER"], ["toolongname"], ["1abc"], ["a-b"], [""]])("refuses lab name %j", (name) => {
    expect(() => planLab({ name })).toThrow(/name/);
  });

  it("keeps every interface and namespace name within Linux's 15-byte limit and MACs distinct", () => {
    const p = planLab({ name: "abcdefgh", subnet: "198.19.255.0/24" });
    for (const n of [p.nodes.a, p.nodes.b]) {
      expect(n.ns.length).toBeLessThanOrEqual(15);
      expect(n.bridgePort.length).toBeLessThanOrEqual(15);
    }
    expect(new Set([p.nodes.a.mac, p.nodes.b.mac, p.client.mac]).size).toBe(3);
    expect(planLab({ subnet: "198.18.255.0/24" }).nodes.a.mac).not.toBe(p.nodes.a.mac);
  });
});

describe("lab templates", () => {
  const p = planLab({ name: "t", subnet: "198.18.7.0/24" });

  it("configures both keepalived nodes BACKUP + nopreempt with their priorities, auth, track and notify", () => {
    for (const n of [p.nodes.a, p.nodes.b]) {
      const conf = keepalivedConf(p, n);
      expect(conf).toMatch(/state BACKUP/);
      expect(conf).toMatch(/\bnopreempt\b/);
      expect(conf).toMatch(/garp_master_refresh 5/);
      expect(conf).toMatch(/advert_int 1/);
      expect(conf).toMatch(new RegExp(`priority ${n.priority}\\b`));
      expect(conf).toMatch(/auth_type PASS/);
      expect(conf).toMatch(/enable_script_security/);
      expect(conf).toContain(`${p.vip}/24 dev eth0`);
      expect(conf).toMatch(/track_script \{\s+chk_mysql\s+\}/);
      expect(conf).toContain(`notify "${n.keepalived.notifyScript}"`);
    }
  });

  it("gives each MariaDB node distinct ids and offsets, GTID, binlog and log_slave_updates", () => {
    const a = myCnf(p, p.nodes.a);
    const b = myCnf(p, p.nodes.b);
    expect(a).toMatch(/server_id=1\n/);
    expect(b).toMatch(/server_id=2\n/);
    expect(a).toMatch(/auto_increment_offset=1\n/);
    expect(b).toMatch(/auto_increment_offset=2\n/);
    for (const c of [a, b]) {
      expect(c).toMatch(/auto_increment_increment=2\n/);
      expect(c).toMatch(/log_slave_updates=ON/);
      expect(c).toMatch(/log_bin=/);
      expect(c).toMatch(/bind-address=0\.0\.0\.0/);
    }
  });

  it("notify script records the state atomically and appends one parsable line per transition", async () => {
    const root = mkdtempSync(join(tmpdir(), "mhp-notify-"));
    const plan = planLab({ name: "t", root });
    const node = plan.nodes.a;
    const dir = node.keepalived.dir;
    await run("mkdir", ["-p", dir], { timeoutMs: 5000 });
    const script = join(dir, "notify.sh");
    const fifo = plan.client.triggerFifo;
    // the node kit's script, as is, with the lab's notify.conf beside it
    writeFileSync(script, notifyScript(), { mode: 0o755 });
    writeFileSync(join(dir, "notify.conf"), notifyConf(plan, node));
    // no FIFO yet: the script still records the transition
    await run("sh", [script, "INSTANCE", "VI_MYSQL", "BACKUP", "100"], { timeoutMs: 5000 });
    // with the FIFO and a reader: the trigger line arrives; with no reader the script does not block
    await run("mkfifo", [fifo], { timeoutMs: 5000 });
    const { triggerListener } = await import("../../../shared/adapters/trigger-fifo.ts");
    const got: string[] = [];
    const listener = triggerListener(fifo, (line) => got.push(line));
    await run("sh", [script, "INSTANCE", "VI_MYSQL", "MASTER", "100"], { timeoutMs: 5000 });
    await waitFor(() => got.length === 1, { timeoutMs: 3000, what: "the trigger line" });
    listener.close();
    expect(got[0]).toMatch(/^\d{10}\.\d{3} a VI_MYSQL MASTER$/);
    await run("sh", [script, "INSTANCE", "VI_MYSQL", "MASTER", "100"], { timeoutMs: 3000 });
    expect(readFileSync(node.keepalived.stateFile, "utf8")).toBe("MASTER\n");
    const lines = readFileSync(node.keepalived.transitionsLog, "utf8").trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^\d{10}\.\d{3} \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z VI_MYSQL MASTER 100$/);
  });

  it("track script fails when the server is not there", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mhp-check-"));
    writeFileSync(join(dir, "check.sh"), checkMysqlScript(), { mode: 0o755 });
    const r = await run("sh", [join(dir, "check.sh"), join(dir, "no.sock")], {
      timeoutMs: 10_000,
      allowFailure: true,
    });
    expect(r.code).not.toBe(0);
  });
});

describe("parseBatch", () => {
  it("maps columns, NULL and escapes", () => {
    expect(parseBatch("a\tb\tc\n1\tNULL\tx\\ty\\nz\n")).toEqual([{ a: "1", b: null, c: "x\ty\nz" }]);
    expect(parseBatch("")).toEqual([]);
  });
});

describe("assertRoot", () => {
  it("explains that the lab needs root", () => {
    const spy = vi.spyOn(process, "getuid").mockReturnValue(1000);
    try {
      expect(() => assertRoot()).toThrow(/needs root/);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("a lab's own loopback ports", () => {
  it("two labs on the same subnet, or on subnets with the same third octet, get different store and mail ports", async () => {
    const { labServicePorts } = await import("../../../lab/lab-config.ts");
    const a = labServicePorts({ name: "mhp", subnet: "198.18.0.0/24" });
    const b = labServicePorts({ name: "alice", subnet: "198.18.0.0/24" });
    const c = labServicePorts({ name: "mhp", subnet: "198.19.0.0/24" });
    expect(new Set([a.store, a.mail, b.store, b.mail, c.store, c.mail]).size).toBe(6);
    // stable: the same lab finds its own store again
    expect(labServicePorts({ name: "mhp", subnet: "198.18.0.0/24" })).toEqual(a);
    for (const p of [a, b, c]) {
      expect(p.mail).toBe(p.store + 1);
      expect(p.store).toBeGreaterThanOrEqual(20000);
      expect(p.mail).toBeLessThan(28000);
    }
  });
});
