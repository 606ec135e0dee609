import { spawn } from "node:child_process";

/** Raised when a command cannot be started, times out, or exits non-zero (unless allowed). */
export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(
    message: string,
    readonly command: readonly string[],
    readonly result?: RunResult,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface RunOptions {
  /** Hard deadline for the whole command; the process group is killed with SIGKILL when it passes. */
  timeoutMs: number;
  /** Text written to standard input, which is then closed. */
  input?: string;
  /** Return instead of throwing when the exit status is non-zero. @default false */
  allowFailure?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Largest stdout/stderr kept, in bytes; the rest is dropped. @default 1 MiB */
  maxOutputBytes?: number;
}

/**
 * Runs a program (never through a shell) under a deadline. Arguments are passed as an array,
 * so nothing from configuration is ever interpreted by a shell.
 */
export function run(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const max = options.maxOutputBytes ?? 1024 * 1024;
  const command = [file, ...args];
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, {
        stdio: ["pipe", "pipe", "pipe"],
        env: options.env ?? process.env,
        detached: true,
      });
    } catch (cause) {
      reject(new CommandError(`cannot start ${file}`, command, undefined, { cause }));
      return;
    }
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      if (stdout.length < max) stdout += d;
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < max) stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    child.on("error", (cause) => {
      clearTimeout(timer);
      reject(new CommandError(`cannot start ${file}: ${cause.message}`, command, undefined, { cause }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result: RunResult = {
        code,
        signal,
        stdout,
        stderr,
        timedOut,
        durationMs: performance.now() - started,
      };
      if (timedOut) {
        reject(
          new CommandError(`${describe(command)} timed out after ${options.timeoutMs} ms`, command, result),
        );
      } else if (code !== 0 && !options.allowFailure) {
        const detail = (stderr || stdout).trim().split("\n").slice(-3).join(" | ");
        reject(
          new CommandError(
            `${describe(command)} exited with ${code ?? signal}${detail ? `: ${detail}` : ""}`,
            command,
            result,
          ),
        );
      } else {
        resolve(result);
      }
    });
    child.stdin?.on("error", () => {});
    child.stdin?.end(options.input ?? "");
  });
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

function describe(command: readonly string[]): string {
  const text = command.join(" ");
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
