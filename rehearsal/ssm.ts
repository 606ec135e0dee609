/**
 * SSM Run Command, as the agent and the service behave, for the synthesized node-check document:
 * SendCommand validates the document name and every parameter against its allowedPattern (defaults for
 * the others), maps each instance id to a lab namespace, and runs the document's `runCommand` with `sh`
 * and `SSM_<Name>` variables (interpolationType ENV_VAR) and AWS_SSM_INSTANCE_ID inside that namespace. Up to
 * 50 ids per command, each once; one unknown id refuses the whole command (InvalidInstanceId). Invocations go
 * Pending -> InProgress -> Success / Failed / TimedOut; output is cut at 24,000 characters.
 * Fault switches: an agent offline (Undeliverable), throttling.
 *
 * The agent's side, before the script runs (amazon-ssm-agent, snapshot 2024-10,
 * agent/framework/docparser/docparser.go getValidatedParameters): every declared parameter that was not sent
 * gets its `default`, then EVERY declared parameter is checked against its allowedPattern
 * (agent/framework/docparser/paramvalidator/allowedregexparamvalidator: Go regexp MatchString); one failure
 * fails the invocation before anything runs. `interpolationType: ENV_VAR` parameters are exported as
 * `SSM_<Name>` only by agents from 3.3.2746.0 on (AWS Systems Manager user guide, "Troubleshooting parameter
 * handling issues"); an older agent exports none.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIN_AGENT_VERSION, versionAtLeast } from "../shared/domain/preflight.ts";

export const SSM_OUTPUT_LIMIT = 24_000;
/** ListCommandInvocations' plugin Output. */
export const LIST_OUTPUT_LIMIT = 2500;

/** stdout and stderr in one Output, cut as the agent's TruncateOutput does (iohandler.go). */
export function agentOutput(stdout: string, stderr: string, capacity: number): string {
  const title = stderr.length > 0 ? "\n----------ERROR-------\n" : "";
  const cutOut = "\n---Output truncated---";
  const cutErr = "\n---Error truncated----";
  const space = capacity - title.length;
  if (stdout.length + stderr.length < space) return `${stdout}${title}${stderr}`;
  if (stdout.length > space / 2 && stderr.length > space / 2) {
    const size = space - cutErr.length - cutOut.length;
    return `${stdout.slice(0, size / 2)}${cutOut}${title}${stderr.slice(0, size / 2)}${cutErr}`;
  }
  if (stdout.length <= space / 2)
    return `${stdout}${title}${stderr.slice(0, space - cutErr.length - stdout.length)}${cutErr}`;
  return `${stdout.slice(0, space - cutOut.length - stderr.length)}${cutOut}${title}${stderr}`;
}

/** The first agent version that exports ENV_VAR parameters as SSM_<Name> (the same as preflight requires). */
export const ENV_VAR_AGENT = MIN_AGENT_VERSION;
/** The agent version the stand-in plays unless told otherwise (a current release). */
export const DEFAULT_AGENT_VERSION = "3.3.4364.0";

/**
 * What the agent does with a command's parameters before the script runs: defaults for those not sent,
 * then every declared parameter checked against its pattern. The error text is the agent's.
 */
export function agentParameters(
  doc: CommandDocument,
  sent: Record<string, string>,
): { values: Record<string, string> } | { error: string } {
  const values: Record<string, string> = { ...sent };
  const declared = doc.parameters ?? {};
  for (const [name, spec] of Object.entries(declared)) values[name] ??= spec.default ?? "";
  const errors: string[] = [];
  for (const [name, spec] of Object.entries(declared)) {
    if (!spec.allowedPattern) continue;
    const value = values[name] ?? "";
    if (!new RegExp(spec.allowedPattern).test(value))
      errors.push(
        `error thrown in 'AllowedRegexParamValidator' while validating parameter /${name}/: parameter value /${value}/ does not match the allowed pattern /${spec.allowedPattern}/`,
      );
  }
  if (errors.length > 0) return { error: `all errors during param validation errors: ${errors.join("\n")}` };
  return { values };
}

/** The environment the agent gives the script: SSM_<Name> for ENV_VAR parameters, on agents that export them. */
export function agentEnvironment(
  doc: CommandDocument,
  values: Record<string, string>,
  agentVersion: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (!versionAtLeast(agentVersion, ENV_VAR_AGENT)) return env;
  for (const [k, v] of Object.entries(values))
    if (doc.parameters?.[k]?.interpolationType === "ENV_VAR") env[`SSM_${k}`] = v;
  return env;
}

export interface CommandDocument {
  parameters?: Record<string, { default?: string; allowedPattern?: string; interpolationType?: string }>;
  mainSteps: { action: string; inputs: { runCommand: string[]; timeoutSeconds?: number } }[];
}

export class SsmError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Invocation {
  commandId: string;
  instanceId: string;
  status: "Pending" | "InProgress" | "Success" | "Failed" | "TimedOut" | "Cancelled" | "Undeliverable";
  statusDetails: string;
  stdout: string;
  stderr: string;
  responseCode: number;
  kill?: () => void;
}

/** What the kept orchestration folders hold: folders (one per command and node), files, bytes. */
export function orchestrationFootprint(root: string): { folders: number; files: number; bytes: number } {
  let folders = 0;
  let files = 0;
  let bytes = 0;
  const walk = (p: string, depth: number) => {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      const q = join(p, e.name);
      if (e.isDirectory()) {
        if (depth === 3) folders++; // <instance>/document/orchestration/<command id>
        walk(q, depth + 1);
      } else {
        files++;
        bytes += statSync(q).size;
      }
    }
  };
  try {
    walk(root, 0);
  } catch {}
  return { folders, files, bytes };
}

export class LocalRunCommand {
  private readonly invocations = new Map<string, Invocation>();
  /** Instances whose agent is offline: their commands are Undeliverable. */
  readonly offline = new Set<string>();
  /** Commands sent, for the report. */
  sent = 0;
  /** Node checks those commands carried (one per instance id). */
  nodeChecks = 0;
  /** Each managed node's agent version (DescribeInstanceInformation's AgentVersion); unlisted: a current one. */
  readonly agentVersions = new Map<string, string>();
  /**
   * Where the agent's orchestration folders are kept, as the agent keeps them for 14 days by default
   * (amazon-ssm-agent agent/appconfig/constants.go: DefaultRunCommandLogsRetentionDurationHours = 336,
   * OrchestrationDirectoryCleanup "default" keeps them): `<root>/<instance>/document/orchestration/<command
   * id>/<step>/` with `_script.sh`, `stdout` and `stderr`. Unset: removed after each run (nothing measured).
   */
  orchestrationRoot: string | undefined;

  constructor(
    private readonly documents: Record<string, CommandDocument>,
    private readonly namespaces: Record<string, string>,
  ) {}

  sendCommand(input: {
    DocumentName?: string;
    InstanceIds?: string[];
    Parameters?: Record<string, string[]>;
    TimeoutSeconds?: number;
  }): { Command: { CommandId: string; Status: string } } {
    const doc = this.documents[input.DocumentName ?? ""];
    if (!doc) throw new SsmError("InvalidDocument", `Document ${input.DocumentName} does not exist`);
    const declared = doc.parameters ?? {};
    const values: Record<string, string> = {};
    for (const [name, v] of Object.entries(input.Parameters ?? {})) {
      const spec = declared[name];
      if (!spec)
        throw new SsmError("InvalidParameters", `Parameter "${name}" is not declared by the document`);
      if (v.length !== 1) throw new SsmError("InvalidParameters", `Parameter "${name}" takes one value`);
      const value = v[0] as string;
      if (spec.allowedPattern && !new RegExp(spec.allowedPattern).test(value))
        throw new SsmError(
          "InvalidParameters",
          `Parameter "${name}" "${value}" failed to satisfy constraint: Member must satisfy regular expression pattern: ${spec.allowedPattern}`,
        );
      values[name] = value;
    }
    // (defaults and the other parameters' patterns are the agent's business: see run)
    const ids = input.InstanceIds ?? [];
    if (ids.length === 0) throw new SsmError("InvalidInstanceId", "no InstanceIds");
    if (ids.length > 50)
      throw new SsmError("ValidationException", "Member must have length less than or equal to 50");
    if (new Set(ids).size !== ids.length) throw new SsmError("DuplicateInstanceId", "Duplicate instance IDs");
    // as SSM does: one id it does not know refuses the whole command, before anything runs
    const unknown = ids.filter((id) => !this.namespaces[id]);
    if (unknown.length > 0)
      throw new SsmError(
        "InvalidInstanceId",
        `Instances [[${unknown.join(", ")}]] not in a valid state for account`,
      );
    const commandId = randomUUID();
    for (const id of ids) {
      const ns = this.namespaces[id] as string;
      const inv: Invocation = {
        commandId,
        instanceId: id,
        status: "Pending",
        statusDetails: "Pending",
        stdout: "",
        stderr: "",
        responseCode: -1,
      };
      this.invocations.set(`${commandId}/${id}`, inv);
      if (this.offline.has(id)) {
        setTimeout(() => {
          inv.status = "Undeliverable";
          inv.statusDetails = "Undeliverable";
        }, 300).unref();
      } else {
        setTimeout(() => this.run(inv, ns, doc, values), 20).unref();
      }
    }
    this.sent++;
    this.nodeChecks += ids.length;
    return { Command: { CommandId: commandId, Status: "Pending" } };
  }

  getCommandInvocation(input: { CommandId?: string; InstanceId?: string }) {
    const inv = this.invocations.get(`${input.CommandId}/${input.InstanceId}`);
    if (!inv) throw new SsmError("InvocationDoesNotExist", "The invocation does not exist");
    return {
      CommandId: inv.commandId,
      InstanceId: inv.instanceId,
      Status: inv.status,
      StatusDetails: inv.statusDetails,
      ResponseCode: inv.responseCode,
      StandardOutputContent: inv.stdout.slice(0, SSM_OUTPUT_LIMIT),
      StandardErrorContent: inv.stderr.slice(0, 8000),
    };
  }

  /** The command's invocations; with Details, each plugin's Output as the agent builds it (2,500 characters). */
  listCommandInvocations(input: { CommandId?: string; Details?: boolean; MaxResults?: number }) {
    const all = [...this.invocations.values()].filter((i) => i.commandId === input.CommandId);
    return {
      CommandInvocations: all.slice(0, input.MaxResults ?? 50).map((inv) => ({
        CommandId: inv.commandId,
        InstanceId: inv.instanceId,
        Status: inv.status,
        StatusDetails: inv.statusDetails,
        ...(input.Details
          ? {
              CommandPlugins: [
                {
                  Name: "nodeCheck",
                  Status: inv.status,
                  StatusDetails: inv.statusDetails,
                  ResponseCode: inv.responseCode,
                  Output: agentOutput(inv.stdout, inv.stderr, LIST_OUTPUT_LIMIT),
                },
              ],
            }
          : {}),
      })),
    };
  }

  cancelCommand(input: { CommandId?: string; InstanceIds?: string[] }): Record<string, never> {
    for (const [key, inv] of this.invocations) {
      if (!key.startsWith(`${input.CommandId}/`)) continue;
      if (input.InstanceIds?.length && !input.InstanceIds.includes(inv.instanceId)) continue;
      if (inv.status === "Pending" || inv.status === "InProgress") {
        inv.kill?.();
        inv.status = "Cancelled";
        inv.statusDetails = "Cancelled";
      }
    }
    return {};
  }

  protected run(inv: Invocation, ns: string, doc: CommandDocument, values: Record<string, string>): void {
    if (inv.status !== "Pending") return;
    const step = doc.mainSteps[0];
    if (step?.action !== "aws:runShellScript") {
      inv.status = "Failed";
      inv.statusDetails = "Failed";
      return;
    }
    inv.status = "InProgress";
    inv.statusDetails = "InProgress";
    const checked = agentParameters(doc, values);
    if ("error" in checked) {
      // the agent fails the invocation before any step runs
      inv.stderr = checked.error;
      inv.responseCode = 1;
      inv.status = "Failed";
      inv.statusDetails = "Failed";
      return;
    }
    // as the agent does: the commands in a script file run by sh, parameters as SSM_<Name>
    const kept = this.orchestrationRoot;
    const dir = kept
      ? join(kept, inv.instanceId, "document", "orchestration", inv.commandId, "nodeCheck")
      : mkdtempSync(join(tmpdir(), "mhp-ssm-"));
    if (kept) mkdirSync(dir, { recursive: true });
    const file = join(dir, "_script.sh");
    writeFileSync(file, `${step.inputs.runCommand.join("\n")}\n`, { mode: 0o700 });
    const env: NodeJS.ProcessEnv = {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      HOME: "/root",
    };
    Object.assign(
      env,
      agentEnvironment(doc, checked.values, this.agentVersions.get(inv.instanceId) ?? DEFAULT_AGENT_VERSION),
    );
    env.AWS_SSM_INSTANCE_ID = inv.instanceId; // the agent sets it for every script it runs
    const child = spawn("ip", ["netns", "exec", ns, "sh", file], { env, stdio: ["ignore", "pipe", "pipe"] });
    const timeoutMs = (step.inputs.timeoutSeconds ?? 3600) * 1000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    inv.kill = () => child.kill("SIGKILL");
    child.stdout.on("data", (d: Buffer) => {
      if (inv.stdout.length < SSM_OUTPUT_LIMIT * 2) inv.stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      if (inv.stderr.length < 16_000) inv.stderr += d.toString("utf8");
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (kept) {
        writeFileSync(join(dir, "stdout"), inv.stdout);
        writeFileSync(join(dir, "stderr"), inv.stderr);
      } else rmSync(dir, { recursive: true, force: true });
      if (inv.status === "Cancelled") return;
      inv.responseCode = code ?? -1;
      if (timedOut) {
        inv.status = "TimedOut";
        inv.statusDetails = "ExecutionTimedOut"; // as real answers spell it (the API reference: "Execution Timed Out")
      } else if (code === 0) {
        inv.status = "Success";
        inv.statusDetails = "Success";
      } else {
        inv.status = "Failed";
        inv.statusDetails = "Failed";
      }
    });
  }
}
