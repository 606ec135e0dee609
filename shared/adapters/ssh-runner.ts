/**
 * NodeChecker over OpenSSH, for operators who run the CLI from a bastion host. BatchMode (never
 * prompts) and strict host key checking (an unknown or changed host key fails the check). The
 * parameters travel base64-encoded (an alphabet no shell interprets); the script goes over stdin.
 */
import { type NodeCheckResult, parseNodeCheckOutput } from "../domain/node.ts";
import { type Deadline, remainingMs } from "../domain/types.ts";
import { type NodeCheckParams, paramStrings } from "../node-check/params.ts";
import { nodeCheckScript } from "../node-check/script.ts";
import type { NodeChecker } from "../ports.ts";
import { run } from "../util/exec.ts";
import { runnerFailure } from "./runner-failure.ts";

export interface SshTarget {
  host: string;
  /** @default the ssh client's default (current user or ~/.ssh/config) */
  user?: string;
  /** @default 22 */
  port?: number;
  /** Private key file. @default the ssh client's default */
  identityFile?: string;
  /** known_hosts file holding the node's host key. @default the ssh client's default */
  knownHostsFile?: string;
  /** The ssh program. @default "ssh" */
  sshCommand?: string;
}

/** The fixed remote command: only the base64 parameter blob is variable. */
export function remoteCommand(params: NodeCheckParams): string {
  const lines = Object.entries(paramStrings(params))
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
  const blob = Buffer.from(lines, "utf8").toString("base64");
  if (!/^[A-Za-z0-9+/=]*$/.test(blob)) throw new Error("unexpected base64 output");
  return `NC_PARAMS=${blob} bash -c 'f=$(mktemp) && cat > "$f" && bash "$f" < /dev/null; rc=$?; rm -f "$f"; exit $rc'`;
}

/**
 * What ssh gets of this process's environment: what it needs to find its keys, agent and terminal
 * settings, and nothing else. The CLI's environment holds the MySQL passwords (MYSQL_PASSWORD...), and
 * an ssh_config `SendEnv` would send whatever it is given to the node.
 */
export const SSH_ENVIRONMENT = ["PATH", "HOME", "USER", "LOGNAME", "SSH_AUTH_SOCK", "LANG", "TERM"] as const;

export function sshEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(SSH_ENVIRONMENT.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
}

export class SshNodeChecker implements NodeChecker {
  readonly target: string;

  constructor(private readonly t: SshTarget) {
    const hostOk = /^[A-Za-z0-9_.:-]{1,253}$/.test(t.host) && !t.host.startsWith("-");
    const userOk = t.user === undefined || /^[A-Za-z0-9_.-]{1,64}$/.test(t.user);
    if (!hostOk) throw new Error(`invalid ssh host ${JSON.stringify(t.host)}`);
    if (!userOk) throw new Error(`invalid ssh user ${JSON.stringify(t.user)}`);
    this.target = `ssh:${t.user ? `${t.user}@` : ""}${t.host}`;
  }

  /** The ssh argument vector (no shell involved on this side). */
  args(params: NodeCheckParams, connectTimeoutS: number): string[] {
    const a = [
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      `ConnectTimeout=${connectTimeoutS}`,
      "-o",
      "ServerAliveInterval=2",
      "-o",
      "ServerAliveCountMax=2",
      "-T",
    ];
    if (this.t.port) a.push("-p", String(this.t.port));
    if (this.t.identityFile) a.push("-i", this.t.identityFile, "-o", "IdentitiesOnly=yes");
    if (this.t.knownHostsFile) a.push("-o", `UserKnownHostsFile=${this.t.knownHostsFile}`);
    if (this.t.user) a.push("-l", this.t.user);
    a.push("--", this.t.host, remoteCommand(params));
    return a;
  }

  async check(params: NodeCheckParams, deadline: Deadline): Promise<NodeCheckResult> {
    const started = Date.now();
    const left = Math.max(1, remainingMs(deadline));
    try {
      const r = await run(
        this.t.sshCommand ?? "ssh",
        this.args(params, Math.max(1, Math.floor(left / 1000))),
        {
          timeoutMs: left,
          input: nodeCheckScript(),
          allowFailure: true,
          env: sshEnvironment(),
        },
      );
      if (r.code === 255) {
        return {
          ok: false,
          reason: "undeliverable",
          detail: `ssh failed: ${r.stderr.trim().slice(0, 300)}`,
          durationMs: Date.now() - started,
        };
      }
      return parseNodeCheckOutput(r.stdout, Date.now() - started);
    } catch (e) {
      return runnerFailure(e, started);
    }
  }
}
