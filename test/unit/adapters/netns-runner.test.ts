/**
 * The lab's node checker without root: a stand-in `ip` on PATH records how it is called (`ip netns exec
 * <ns> bash <script>`, the parameters as SSM_ variables) and answers as the script would, or hangs.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NetnsNodeChecker } from "../../../shared/adapters/netns-runner.ts";
import { deadlineIn } from "../../../shared/domain/types.ts";
import { report } from "../../helpers/node-reports.ts";

let dir: string;
let savedPath: string | undefined;

function standInIp(body: string) {
  writeFileSync(
    join(dir, "ip"),
    `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/args"\nenv | grep '^SSM_' | sort > "${dir}/env"\n${body}\n`,
  );
  chmodSync(join(dir, "ip"), 0o755);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mhp-netns-"));
  savedPath = process.env.PATH;
  process.env.PATH = `${dir}:${savedPath}`;
});
afterEach(() => {
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
});

describe("NetnsNodeChecker", () => {
  it("runs the script in the namespace with the parameters as SSM_ variables, and parses its report", async () => {
    const json = JSON.stringify(report({ bound: true, keepalived: "MASTER" }));
    standInIp(`echo '${json}'`);
    const checker = new NetnsNodeChecker("mhp-a");
    expect(checker.target).toBe("netns:mhp-a");
    const r = await checker.check(
      { Vip: "192.0.2.100", MysqlPort: 3307, Since: 1700000000, Interface: "" },
      deadlineIn(10_000),
    );
    expect(r.ok).toBe(true);
    const args = readFileSync(join(dir, "args"), "utf8").trim().split("\n");
    expect(args.slice(0, 4)).toEqual(["netns", "exec", "mhp-a", "bash"]);
    expect(args[4]).toMatch(/node-check\.sh$/);
    expect(readFileSync(join(dir, "env"), "utf8").trim().split("\n")).toEqual([
      "SSM_MysqlPort=3307",
      "SSM_Since=1700000000",
      "SSM_Vip=192.0.2.100",
    ]);
  });

  it("a script that runs past the deadline is a timeout, within it", async () => {
    standInIp("sleep 20");
    const t0 = Date.now();
    const r = await new NetnsNodeChecker("mhp-a").check({ Vip: "192.0.2.100" }, deadlineIn(400));
    expect(r).toMatchObject({ ok: false, reason: "timeout" });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it("output that is not a report is a failed check with the reason; a failing exit is read like any output", async () => {
    standInIp("echo 'Cannot open network namespace \"mhp-a\": No such file or directory' >&2; exit 1");
    expect(
      await new NetnsNodeChecker("mhp-a").check({ Vip: "192.0.2.100" }, deadlineIn(10_000)),
    ).toMatchObject({
      ok: false,
      reason: "empty",
    });
    standInIp("echo garbage");
    expect(
      await new NetnsNodeChecker("mhp-a").check({ Vip: "192.0.2.100" }, deadlineIn(10_000)),
    ).toMatchObject({
      ok: false,
      reason: "malformed",
    });
  });

  it("a namespace name that could smuggle options or paths is refused, naming it", () => {
    for (const ns of ["", "-x", "..", ".hidden", "a b", "a/b", "a;b", "x".repeat(65)])
      expect(() => new NetnsNodeChecker(ns), ns).toThrow(
        `invalid network namespace name ${JSON.stringify(ns)}`,
      );
    expect(() => new NetnsNodeChecker("mhp_a.1-x")).not.toThrow();
    expect(() => new NetnsNodeChecker("x".repeat(64))).not.toThrow();
  });
});

describe("without root", () => {
  it("ip netns exec refused: access-denied naming root, never 'the node check printed nothing'", async () => {
    // what iproute2 prints for a user who may not enter the namespace
    standInIp(`echo 'setting the network namespace "mhp-a" failed: Operation not permitted' >&2\nexit 1`);
    const r = await new NetnsNodeChecker("mhp-a").check({ Vip: "198.18.0.100" }, deadlineIn(5000));
    expect(r).toMatchObject({ ok: false, reason: "access-denied" });
    expect(r.ok ? "" : r.detail).toMatch(/needs root: run as root/);
  });
});
