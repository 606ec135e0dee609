/** The SSH runner: what reaches ssh (and, through an ssh_config SendEnv, the node) of the CLI's environment. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SshNodeChecker } from "../../../shared/adapters/ssh-runner.ts";
import { deadlineIn } from "../../../shared/domain/types.ts";

const dir = mkdtempSync(join(tmpdir(), "mhp-ssh-"));
afterEach(() => {
  delete process.env.MYSQL_PASSWORD;
  delete process.env.AWS_SECRET_ACCESS_KEY;
});

describe("the SSH runner", () => {
  it("gives ssh only what it needs of the environment: never the passwords", async () => {
    // Prepare: a stand-in ssh that records its environment; the CLI's environment holds a password
    const seen = join(dir, "env");
    const ssh = join(dir, "ssh");
    writeFileSync(ssh, `#!/bin/sh\nenv > "${seen}"\nexit 255\n`);
    chmodSync(ssh, 0o755);
    process.env.MYSQL_PASSWORD = "s3cret-monitor";
    process.env.AWS_SECRET_ACCESS_KEY = "s3cret-aws";
    // Act
    const r = await new SshNodeChecker({ host: "192.0.2.11", sshCommand: ssh }).check(
      { Vip: "192.0.2.100" },
      deadlineIn(5_000),
    );
    // Assess
    expect(r).toMatchObject({ ok: false, reason: "undeliverable" });
    const env = readFileSync(seen, "utf8");
    expect(env).toMatch(/^PATH=/m);
    expect(env).not.toContain("s3cret");
    rmSync(dir, { recursive: true, force: true });
  });
});
