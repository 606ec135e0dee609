/**
 * The forced command of the prober's SSH key (node-kit/ssh-node-check.sh), run as sshd runs it:
 * the client's command in SSH_ORIGINAL_COMMAND, its standard input the script the SSH runner sends.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { kitPath } from "../../../node-kit/kit.ts";
import { remoteCommand } from "../../../shared/adapters/ssh-runner.ts";

const dir = mkdtempSync(join(tmpdir(), "mhp-sshfc-"));
copyFileSync(kitPath("sshNodeCheck"), join(dir, "ssh-node-check.sh"));
// the installed node check: says it ran, with which parameters, and what it read on stdin
writeFileSync(
  join(dir, "node-check.sh"),
  'printf \'{"ran":"installed","params":"%s","stdin":"%s"}\\n\' "$NC_PARAMS" "$(cat)"\n',
);
chmodSync(join(dir, "node-check.sh"), 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sshd = (command: string, stdin = 'touch "$HOME/pwned"') =>
  spawnSync("sh", [join(dir, "ssh-node-check.sh")], {
    env: { PATH: "/usr/bin:/bin", HOME: dir, SSH_ORIGINAL_COMMAND: command },
    input: stdin,
    encoding: "utf8",
  });

describe("the SSH key's forced command", () => {
  it("runs the installed node check with the runner's parameters; the script sent on stdin is never run", () => {
    const command = remoteCommand({ Vip: "192.0.2.100", ArpCount: 3 });
    const blob = /^NC_PARAMS=([A-Za-z0-9+/=]+) /.exec(command)?.[1];
    const r = sshd(command);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ran: "installed", params: blob, stdin: "" });
    expect(existsSync(join(dir, "pwned"))).toBe(false);
  });

  it.each([
    ["any other command", "rm -rf /tmp/x"],
    ["an empty command (an interactive login)", ""],
    ["a command smuggled into the parameters", "NC_PARAMS=YQ==;touch$HOME/pwned bash -c x"],
    ["parameters that are not base64", "NC_PARAMS=$(id) bash -c x"],
  ])("refuses %s, running nothing", (_n, command) => {
    const r = sshd(command);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ script: "ssh-node-check", fatal: expect.any(String) });
    expect(existsSync(join(dir, "pwned"))).toBe(false);
  });
});
