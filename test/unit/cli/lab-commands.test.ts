import { describe, expect, it } from "vitest";
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
});
