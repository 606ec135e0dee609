/**
 * The rehearsal's SSM Run Command stand-in refuses what SSM refuses, before anything runs: a command
 * naming an instance twice, more than 50 instances, or one instance SSM does not know (the whole command).
 */
import { describe, expect, it } from "vitest";
import {
  agentEnvironment,
  agentOutput,
  agentParameters,
  type Invocation,
  LocalRunCommand,
} from "../../../rehearsal/ssm.ts";
import { nodeCheckDocument } from "../../../shared/node-check/document.ts";
import { nodeParamsBlob } from "../../../shared/node-check/params.ts";

const doc = { mainSteps: [{ action: "aws:runShellScript", inputs: { runCommand: ["true"] } }] };
const known = { "i-0000000000000000a": "ns-a", "i-0000000000000000b": "ns-b" };

describe("LocalRunCommand (SSM Run Command stand-in)", () => {
  it("refuses a command with an unknown instance among known ones, and starts nothing", async () => {
    const ran: string[] = [];
    class Recording extends LocalRunCommand {
      protected override run(inv: Invocation): void {
        ran.push(inv.instanceId);
      }
    }
    const rc = new Recording({ d: doc }, known);
    expect(() =>
      rc.sendCommand({ DocumentName: "d", InstanceIds: ["i-0000000000000000a", "i-0000000000000000f"] }),
    ).toThrow(expect.objectContaining({ code: "InvalidInstanceId" }));
    await new Promise((r) => setTimeout(r, 60)); // the stand-in starts a command's runs 20 ms on
    expect(ran).toEqual([]);
    expect([rc.sent, rc.nodeChecks]).toEqual([0, 0]);
  });

  it("refuses the same instance twice in one command, and more than 50 instances", () => {
    const rc = new LocalRunCommand({ d: doc }, known);
    expect(() =>
      rc.sendCommand({ DocumentName: "d", InstanceIds: ["i-0000000000000000a", "i-0000000000000000a"] }),
    ).toThrow(expect.objectContaining({ code: "DuplicateInstanceId" }));
    const many = Array.from({ length: 51 }, (_, i) => `i-${i.toString(16).padStart(17, "0")}`);
    expect(() => rc.sendCommand({ DocumentName: "d", InstanceIds: many })).toThrow(
      expect.objectContaining({ code: "ValidationException" }),
    );
  });

  it("counts one command and each node it reaches", () => {
    const rc = new LocalRunCommand({ d: doc }, known);
    rc.offline.add("i-0000000000000000a").add("i-0000000000000000b"); // nothing is run
    rc.sendCommand({ DocumentName: "d", InstanceIds: ["i-0000000000000000a", "i-0000000000000000b"] });
    expect([rc.sent, rc.nodeChecks]).toEqual([1, 2]);
  });
});

describe("agentOutput: stdout and stderr in one Output, as the SSM agent's TruncateOutput builds it", () => {
  it("stdout alone as is; stderr after the agent's separator; a long output cut with its marker, within capacity", () => {
    expect(agentOutput('{"v":1}\n', "", 2500)).toBe('{"v":1}\n');
    expect(agentOutput("out\n", "warn\n", 2500)).toBe("out\n\n----------ERROR-------\nwarn\n");
    const cut = agentOutput("x".repeat(3000), "", 2500);
    expect(cut.endsWith("\n---Output truncated---")).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(2500);
  });
});

describe("the agent's parameter handling (amazon-ssm-agent docparser.go getValidatedParameters)", () => {
  const real = nodeCheckDocument();
  const blob = nodeParamsBlob([
    { instanceId: "i-0000000000000000a", params: { Vip: "198.18.0.100" } },
    { instanceId: "i-0000000000000000b", params: { Vip: "198.18.0.101" } },
  ]);

  it("a multi-pair command (Vip only in NodeParams) passes the node-check document's own defaults", () => {
    const r = agentParameters(real, { NodeParams: blob });
    expect("values" in r && r.values.Vip).toBe("");
  });

  it("fills every parameter not sent with its default, then checks every declared parameter", () => {
    // the document as it was: Vip's pattern rejected its own default ""
    const before = structuredClone(real);
    (before.parameters.Vip as { allowedPattern: string }).allowedPattern =
      String.raw`^[0-9]{1,3}(\.[0-9]{1,3}){3}$`;
    const r = agentParameters(before, { NodeParams: blob });
    expect("error" in r && r.error).toMatch(
      /while validating parameter \/Vip\/: parameter value \/\/ does not match the allowed pattern/,
    );
    // sent, it passes
    expect("values" in agentParameters(before, { Vip: "198.18.0.100" })).toBe(true);
  });

  it("a multi-pair invocation whose default fails is Failed before the script runs", async () => {
    const before = structuredClone(real);
    (before.parameters.Vip as { allowedPattern: string }).allowedPattern = "^[0-9]+$";
    const rc = new LocalRunCommand({ d: before }, known);
    const { Command } = rc.sendCommand({
      DocumentName: "d",
      InstanceIds: ["i-0000000000000000a"],
      Parameters: { NodeParams: [blob] },
    });
    await new Promise((r) => setTimeout(r, 80));
    const inv = rc.getCommandInvocation({ CommandId: Command.CommandId, InstanceId: "i-0000000000000000a" });
    expect(inv.Status).toBe("Failed");
    expect(inv.StandardErrorContent).toMatch(/parameter \/Vip\//);
  });

  it("exports ENV_VAR parameters as SSM_<Name> from agent 3.3.2746.0 on, none before", () => {
    const values = { Vip: "198.18.0.100", Since: "5" };
    expect(agentEnvironment(real, values, "3.3.2746.0")).toEqual({ SSM_Vip: "198.18.0.100", SSM_Since: "5" });
    expect(agentEnvironment(real, values, "3.3.1957.0")).toEqual({});
    expect(agentEnvironment(real, values, "3.2.9999.0")).toEqual({});
    expect(agentEnvironment(real, values, "3.10.1.0")).toEqual({ SSM_Vip: "198.18.0.100", SSM_Since: "5" });
  });
});
