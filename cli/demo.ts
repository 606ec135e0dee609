/**
 * `npm run demo` / `mysql-ha-prober lab demo`: brings the lab up, starts the embedded store and mail
 * viewer, runs the watch loop, and drives a drill while the user watches: healthy -> the writer's
 * MySQL killed (failover mail) -> recovered -> VRRP blocked (split-brain mail) -> healed (resolved
 * mail). Ends with a summary table and tears everything down (also on Ctrl-C) unless --keep.
 */
import { type FaultKind, Lab } from "../lab/lab.ts";
import { labConfigPath, writeLabConfig } from "../lab/lab-config.ts";
import { triggerListener } from "../shared/adapters/trigger-fifo.ts";
import type { LabClusterConfig } from "../shared/config.ts";
import { loadConfig } from "../shared/config-file.ts";
import type { Status } from "../shared/domain/state.ts";
import { type PipelineDeps, type ProbeOutcome, probeCluster } from "../shared/pipeline.ts";
import type { SweepStore } from "../shared/ports.ts";
import { runSchedule, Wake } from "../shared/schedule-loop.ts";
import { summarizeState, table } from "../shared/text/output.ts";
import { sleep } from "../shared/util/wait.ts";
import { cliObservers, targetFromConfig } from "./observers.ts";
import { openServices } from "./services.ts";
import { sweeperFor } from "./sweep-after.ts";

export interface DemoOptions {
  name: string;
  subnet: string;
  intervalMs: number;
  keep: boolean;
  /** How long each step may take before the demo gives up. @default 60 s */
  stepTimeoutMs?: number;
}

export interface DrillStep {
  step: string;
  fault: string;
  injectedAt: string;
  expected: Status;
  detectedAt: string | null;
  mailedAt: string | null;
  mailSubject: string | null;
  detectionMs: number | null;
  mailMs: number | null;
}

export async function runDemo(
  o: DemoOptions,
  out: (s: string) => void,
  stop: AbortSignal,
): Promise<DrillStep[]> {
  const lab = new Lab({ name: o.name, subnet: o.subnet }, (l) => out(`  lab: ${l}`));
  out(`== bringing up lab ${o.name} (${o.subnet}): two MariaDB nodes, keepalived, a VIP`);
  await lab.up({ heal: true }); // the demo's own lab: a known-good start
  const cfg = loadConfig(writeLabConfig(lab));
  const services = await openServices(cfg, { keepRunning: o.keep });
  const c = cfg.clusters[0];
  if (!c) throw new Error("the lab configuration has no cluster");
  const deps = {
    ...(await cliObservers(c)),
    store: services.store,
    sweepStore: services.store,
    notifier: services.notifier,
  };
  out(`== prober config: ${labConfigPath(lab)}`);
  if (services.mailViewerUrl) out(`== mail viewer (open it in a browser): ${services.mailViewerUrl}`);

  const watch = startWatch(o, c, { ...deps, sweepStore: services.store }, out, stop);
  const steps: DrillStep[] = [];
  try {
    const until = untilDeclared(watch, o.stepTimeoutMs ?? 60_000, stop);
    out("== waiting for the prober to see the cluster HEALTHY");
    await until("HEALTHY", 0, false);
    await drillSteps(lab, drillOn(until, out, steps));
  } finally {
    await watch.stop();
    out("");
    out(renderSummary(steps));
    await finish(o, lab, services, stop, out);
  }
  return steps;
}

/** The watch loop the demo runs beside its drill: every outcome kept, transitions and mails printed. */
interface Watch {
  readonly outcomes: ProbeOutcome[];
  /** The loop's failure, if it failed. */
  error(): unknown;
  stop(): Promise<void>;
}

function startWatch(
  o: DemoOptions,
  c: LabClusterConfig,
  deps: PipelineDeps & { sweepStore: SweepStore },
  out: (s: string) => void,
  stop: AbortSignal,
): Watch {
  const target = targetFromConfig(c);
  const outcomes: ProbeOutcome[] = [];
  let loopError: unknown;
  const loopStop = new AbortController();
  const onStop = () => loopStop.abort();
  stop.addEventListener("abort", onStop, { once: true });
  // push: the lab's notify scripts trigger a probe on every keepalived transition
  const wake = new Wake();
  const listener = c.push ? triggerListener(c.push.fifo, () => wake.nudge()) : undefined;
  // the consistency sweep's slices, beside the loop (never delaying a probe)
  const sweeper = sweeperFor(c, target, deps.sweepStore, (l) => out(`   watch:${l}`));
  const loop = runSchedule(
    { intervalMs: o.intervalMs, roundBudgetMs: Math.max(o.intervalMs, 8000), signal: loopStop.signal, wake },
    async (_i, deadline) => {
      const r = await probeCluster(target, deps, deadline);
      outcomes.push(r);
      sweeper.after(r.state);
      if (r.transition) {
        out(`   watch: ${summarizeState(r.state)}`);
        for (const reason of r.state.reasons.slice(0, 4)) out(`          - ${reason}`);
      }
      for (const a of r.sent) out(`   mail:  ${a.subject}`);
    },
  ).catch((e: unknown) => {
    loopError = e;
    return 0;
  });
  return {
    outcomes,
    error: () => loopError,
    stop: async () => {
      loopStop.abort();
      stop.removeEventListener("abort", onStop);
      await loop;
      await sweeper.close();
      listener?.close();
    },
  };
}

/** One drill step: inject, then wait until the watch declares `expected` and mails it. */
type Drill = (step: string, fault: string, expected: Status, act: () => Promise<unknown>) => Promise<void>;

/** Waits until the declared status is `status` (and a mail about it went out, when asked). */
function untilDeclared(watch: Watch, stepTimeout: number, stop: AbortSignal) {
  return async (status: Status, since: number, needMail: boolean) => {
    const deadline = Date.now() + stepTimeout;
    while (Date.now() < deadline) {
      if (stop.aborted) throw new Error("interrupted");
      if (watch.error()) throw watch.error();
      const hit = watch.outcomes.find(
        (r) => Date.parse(r.state.observedAt) >= since && r.transition?.to === status,
      );
      const mailed = watch.outcomes.find(
        (r) => Date.parse(r.state.observedAt) >= since && r.sent.some((a) => a.to === status),
      );
      if (hit && (!needMail || mailed)) return { hit, mailed };
      await sleep(100);
    }
    throw new Error(`status ${status} was not declared within ${stepTimeout / 1000} s`);
  };
}

/** The drill's steps, each timed from injection to detection and to its mail, appended to `steps`. */
function drillOn(
  until: ReturnType<typeof untilDeclared>,
  out: (s: string) => void,
  steps: DrillStep[],
): Drill {
  return async (step, fault, expected, act) => {
    out(`== ${step}`);
    const injected = Date.now();
    await act();
    const { hit, mailed } = await until(expected, injected, true);
    const mailedAt = mailed ? mailed.sent.find((a) => a.to === expected) : undefined;
    const detectedAt = hit.state.observedAt;
    steps.push({
      step,
      fault,
      injectedAt: new Date(injected).toISOString(),
      expected,
      detectedAt,
      mailedAt: mailedAt ? (mailed?.state.observedAt ?? null) : null,
      mailSubject: mailedAt?.subject ?? null,
      detectionMs: Date.parse(detectedAt) - injected,
      mailMs: mailed ? Date.parse(mailed.state.observedAt) + mailed.timings.probeMs - injected : null,
    });
  };
}

/** From HEALTHY: failover, recovery, split brain, healed. */
async function drillSteps(lab: Lab, drill: Drill): Promise<void> {
  const holder = (await lab.vipHolders())[0] ?? "a";
  const peer = holder === "a" ? "b" : "a";
  await drill(
    `1. kill -9 the writer's MySQL (node ${holder.toUpperCase()}): failover`,
    `mysql-kill ${holder}`,
    "DEGRADED",
    () => lab.fault("mysql-kill" as FaultKind, holder),
  );
  await drill(
    `2. restart it: recovered (nopreempt keeps the VIP on ${peer.toUpperCase()})`,
    "heal",
    "HEALTHY",
    () => lab.heal(),
  );
  await drill("3. block VRRP on a node (iptables): split brain", `vrrp-block ${holder}`, "SPLIT_BRAIN", () =>
    lab.fault("vrrp-block", holder),
  );
  await drill("4. remove the firewall rule: healed", "heal", "HEALTHY", () => lab.heal());
}

/** Tears the lab and the services down, or (--keep) says how to explore what stays up. */
async function finish(
  o: DemoOptions,
  lab: Lab,
  services: { close(): Promise<void> },
  stop: AbortSignal,
  out: (s: string) => void,
): Promise<void> {
  if (o.keep && !stop.aborted) {
    out(`\n--keep: the lab, the store and the mail viewer stay up. Explore with:`);
    out(`  npx mysql-ha-prober lab status --name ${o.name} --subnet ${o.subnet}`);
    out(`  npx mysql-ha-prober watch -c ${labConfigPath(lab)}`);
    out(`  npx mysql-ha-prober lab down --name ${o.name} --subnet ${o.subnet}`);
    await services.close();
  } else {
    out("== tearing down");
    await services.close();
    await lab.down();
  }
}

export function renderSummary(steps: DrillStep[]): string {
  const time = (iso: string | null) => (iso ? iso.slice(11, 23) : "-");
  const ms = (n: number | null) => (n === null ? "-" : `${(n / 1000).toFixed(1)} s`);
  return [
    "Drill summary",
    table([
      ["step", "injected at", "detected at", "mailed at", "detection", "mail", "mail subject"],
      ...steps.map((s) => [
        s.fault,
        time(s.injectedAt),
        time(s.detectedAt),
        time(s.mailedAt),
        ms(s.detectionMs),
        ms(s.mailMs),
        s.mailSubject ?? "-",
      ]),
    ]),
  ].join("\n");
}
