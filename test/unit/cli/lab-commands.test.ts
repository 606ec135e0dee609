import { describe, expect, it, vi } from "vitest";
import { cli } from "../../helpers/cli.ts";

describe("CLI: lab", () => {
  it("prints help for lab and exits 0", async () => {
    const r = await cli("lab", "--help");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/up[\s\S]*down[\s\S]*status[\s\S]*fault[\s\S]*heal/);
  });

  it("rejects an unknown fault kind, listing the valid ones, with exit code 3", async () => {
    const r = await cli("lab", "fault", "meteor", "a");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/meteor[\s\S]*mysql-kill[\s\S]*vrrp-block/);
  });

  it("rejects an unknown node", async () => {
    const r = await cli("lab", "fault", "mysql-kill", "c");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/Allowed choices are a, b/);
  });

  it("rejects a subnet outside the benchmarking range before touching the system", async () => {
    const r = await cli("lab", "status", "--subnet", "10.1.2.0/24");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/198\.18\.0\.0\/15/);
  });

  it("lab status without root: exit 3 'run it with sudo', never 'not running' (it cannot see the lab)", async () => {
    const uid = vi.spyOn(process, "getuid").mockReturnValue(1000);
    try {
      const r = await cli("lab", "status", "--name", "mhpx");
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/the lab needs root .*run it with sudo/);
      expect(r.out).not.toMatch(/not running/);
    } finally {
      uid.mockRestore();
    }
  });

  it("lab down needs the lab's name: no default removes someone's lab", async () => {
    const r = await cli("lab", "down");
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/required option '--name <name>' not specified/);
  });
});
