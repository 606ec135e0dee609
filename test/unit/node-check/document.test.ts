import { describe, expect, it } from "vitest";
import { remoteCommand, SshNodeChecker } from "../../../shared/adapters/ssh-runner.ts";
import { HEREDOC_MARKER, nodeCheckDocument } from "../../../shared/node-check/document.ts";
import { nodeCheckScript, scriptParams } from "../../../shared/node-check/script.ts";

describe("the SSM document is built from the script", () => {
  const doc = nodeCheckDocument();
  const params = scriptParams();

  it("is a schema 2.2 aws:runShellScript document whose script is node-check.sh, byte for byte", () => {
    expect(doc.schemaVersion).toBe("2.2");
    const step = doc.mainSteps[0];
    expect(step?.action).toBe("aws:runShellScript");
    const lines = step?.inputs.runCommand ?? [];
    const start = lines.findIndex((l) => l.includes(`<<'${HEREDOC_MARKER}'`));
    const end = lines.lastIndexOf(HEREDOC_MARKER);
    expect(`${lines.slice(start + 1, end).join("\n")}\n`).toBe(nodeCheckScript());
  });

  it("declares every script parameter, as an ENV_VAR with the script's own pattern and default", () => {
    expect(Object.keys(doc.parameters).sort()).toEqual(params.map((p) => p.name).sort());
    for (const p of params) {
      expect(doc.parameters[p.name]).toEqual({
        type: "String",
        default: p.default,
        description: p.description,
        allowedPattern: p.pattern,
        interpolationType: "ENV_VAR",
      });
      // every default passes its own pattern: the SSM agent validates defaults too (no exemption for "")
      expect(new RegExp(p.pattern).test(p.default)).toBe(true);
    }
    expect(params.map((p) => p.name)).toEqual([
      "Vip",
      "Interface",
      "MysqlPort",
      "KeepalivedPidFile",
      "KeepalivedDumpDir",
      "KeepalivedDumpFile",
      "NotifyStateFile",
      "NotifyLog",
      "Since",
      "ArpCount",
      "ArpWaitMs",
      "NodeParams",
    ]);
  });

  it.each([
    ["Vip", "198.18.0.100", true],
    ["Vip", "198.18.0.100; reboot", false],
    ["Vip", "$(id)", false],
    ["Interface", "eth0", true],
    ["Interface", "eth0 -x", false],
    ["KeepalivedPidFile", "/run/keepalived.pid", true],
    ["KeepalivedPidFile", "/run/$(id)", false],
    ["Since", "1795492397", true],
    ["Since", "-1", false],
  ])("pattern of %s accepts %j: %s", (name, value, accepted) => {
    const p = params.find((x) => x.name === name);
    expect(new RegExp(p?.pattern ?? "^$").test(value)).toBe(accepted);
  });

  it("refuses a script whose parameter default fails its own pattern (the agent validates defaults)", () => {
    const broken = nodeCheckScript().replace(
      /^P_Vip='[^']*'$/m,
      () => String.raw`P_Vip='^[0-9]{1,3}(\.[0-9]{1,3}){3}$'`,
    );
    expect(() => nodeCheckDocument(broken)).toThrow(/default "" of parameter Vip does not match/);
  });

  it("refuses a script that SSM would interpolate", () => {
    expect(() => nodeCheckDocument(`${nodeCheckScript()}\necho {{Vip}}\n`)).toThrow(/\{\{/);
  });
});

describe("SSH runner", () => {
  it("runs ssh in batch mode with strict host key checking, no shell on this side", () => {
    const c = new SshNodeChecker({
      host: "db-a.example",
      user: "ops",
      port: 2222,
      knownHostsFile: "/etc/mhp/known_hosts",
    });
    const args = c.args({ Vip: "192.0.2.100" }, 3);
    expect(args).toEqual(
      expect.arrayContaining([
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        "ConnectTimeout=3",
        "UserKnownHostsFile=/etc/mhp/known_hosts",
      ]),
    );
    expect(args.slice(-3, -1)).toEqual(["--", "db-a.example"]);
  });

  it("passes parameters only as base64 in a fixed remote command", () => {
    const cmd = remoteCommand({ Vip: "192.0.2.100", NotifyLog: "/var/log/ka.log", Since: 5 });
    const m = /^NC_PARAMS=([A-Za-z0-9+/=]+) bash -c '[^']*'$/.exec(cmd);
    expect(m).not.toBeNull();
    expect(Buffer.from(m?.[1] ?? "", "base64").toString()).toBe(
      "Vip=192.0.2.100\nNotifyLog=/var/log/ka.log\nSince=5",
    );
  });

  it.each([["-oProxyCommand=x"], ["a b"], ["host;id"]])("refuses host %j", (host) => {
    expect(() => new SshNodeChecker({ host })).toThrow(/invalid ssh host/);
  });

  it("refuses a host that is otherwise well-formed but starts with a dash (ssh would read an option)", () => {
    // every character is allowed by the pattern: only the leading-dash guard stops it
    expect(/^[A-Za-z0-9_.:-]{1,253}$/.test("-oProxyCommand")).toBe(true);
    expect(() => new SshNodeChecker({ host: "-oProxyCommand" })).toThrow(/invalid ssh host "-oProxyCommand"/);
  });

  it.each([["ops;id"], ["o ps"], ["$(id)"], ["a".repeat(65)]])("refuses user %j", (user) => {
    expect(() => new SshNodeChecker({ host: "db-a", user })).toThrow(/invalid ssh user/);
  });
});
