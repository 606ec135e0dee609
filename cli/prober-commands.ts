/**
 * `probe`, `watch` and `history`: the prober from the command line. Only the definitions load at start
 * (commander); each action imports what it needs, so `--help` and `--version` start like a native tool.
 */
import { Command, Option } from "commander";
import type { Config } from "../shared/config.ts";
import { ConfigError } from "../shared/domain/errors.ts";

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  setExitCode: (code: number) => void;
  /** Resolves when the user asks to stop (Ctrl-C). */
  stopSignal: AbortSignal;
}

/** A duration with its unit (500ms, 5s, 2m, 1h, 7d), more than zero: a bare number is refused, not guessed. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new ConfigError("command line", [`"${text}" is not a duration (e.g. 500ms, 5s, 2m, 1h, 7d)`]);
  if (!m[2])
    throw new ConfigError("command line", [`"${text}" has no unit: write ${m[1]}s (or 500ms, 2m, 1h, 7d)`]);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms"];
  if (ms <= 0) throw new ConfigError("command line", [`"${text}": a duration must be more than zero`]);
  return ms;
}

export function clustersOf(cfg: Config, name?: string) {
  const list = name ? cfg.clusters.filter((c) => c.name === name) : cfg.clusters;
  if (list.length === 0)
    throw new ConfigError("command line", [
      `--cluster: no cluster named "${name}" in the configuration (it has: ${cfg.clusters.map((c) => c.name).join(", ")})`,
    ]);
  return list;
}

/**
 * The one cluster a command about one cluster acts on: the named one, or the configuration's only
 * cluster when it has one; with several and no name, the error lists them.
 */
export function oneCluster(cfg: Config, name?: string) {
  if (name) return clustersOf(cfg, name)[0] as Config["clusters"][number];
  const [only, ...more] = cfg.clusters;
  if (!only || more.length > 0)
    throw new ConfigError("command line", [
      `--cluster: the configuration has ${cfg.clusters.length} clusters (${cfg.clusters.map((c) => c.name).join(", ")}): name one`,
    ]);
  return only;
}

/** The --cluster option of a command about one cluster. */
export const CLUSTER_OPTION_HELP = "the cluster (may be left out when the configuration has only one)";

export function proberCommands(io: Io): Command[] {
  const config = new Option("-c, --config <file>", "configuration file (YAML or JSON)").makeOptionMandatory();
  const cluster = new Option("--cluster <name>", "only this cluster");

  const probe = new Command("probe")
    .description(
      "probe each cluster once and print its state (exit 0 HEALTHY, 1 DEGRADED, 2 SPLIT_BRAIN or DOWN, 3 UNKNOWN or a configuration error)",
    )
    .addOption(config)
    .addOption(cluster)
    .option("--json", "print the states as JSON")
    .option("--timeout <duration>", "deadline of the whole probe", "8s")
    .action(async (o) => {
      const [
        { loadConfig },
        { deadlineIn },
        { observeAndAssess },
        { exitCodeFor, renderState },
        { targetFromConfig },
        { observersFor },
      ] = await Promise.all([
        import("../shared/config-file.ts"),
        import("../shared/domain/types.ts"),
        import("../shared/pipeline.ts"),
        import("../shared/text/output.ts"),
        import("../shared/target.ts"),
        import("./observers.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const results = await Promise.all(
        clustersOf(cfg, o.cluster).map(async (c) => {
          const started = Date.now();
          const { assessment } = await observeAndAssess(
            targetFromConfig(c),
            await observersFor(c),
            deadlineIn(parseDuration(o.timeout)),
            null,
            new Date(),
          );
          return { cluster: c.name, assessment, ms: Date.now() - started };
        }),
      );
      if (o.json) {
        io.out(
          JSON.stringify(
            results.map((r) => ({
              cluster: r.cluster,
              observedAt: new Date().toISOString(),
              probeMs: r.ms,
              ...r.assessment,
              memory: undefined,
            })),
            null,
            2,
          ),
        );
      } else {
        io.out(results.map((r) => renderState(r.cluster, r.assessment, r.ms)).join("\n\n"));
      }
      io.setExitCode(exitCodeFor(results.map((r) => r.assessment.status)));
    });

  const watch = new Command("watch")
    .description("run the full pipeline (store and mail) in a loop, printing each transition")
    .addOption(config)
    .addOption(cluster)
    .option("--interval <duration>", "time between probes", "5s")
    .option("--count <n>", "stop after this many rounds (per cluster, pushed ones included)", (v) =>
      Number.parseInt(v, 10),
    )
    .action(async (o) => {
      const [
        { loadConfig },
        { probeCluster },
        { runSchedule, Wake },
        { renderState, summarizeState },
        { targetFromConfig },
        { observersFor },
        { openServices },
        { triggerListener },
      ] = await Promise.all([
        import("../shared/config-file.ts"),
        import("../shared/pipeline.ts"),
        import("../shared/schedule-loop.ts"),
        import("../shared/text/output.ts"),
        import("../shared/target.ts"),
        import("./observers.ts"),
        import("./services.ts"),
        import("../shared/adapters/trigger-fifo.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const interval = parseDuration(o.interval);
      const services = await openServices(cfg);
      if (services.mailViewerUrl) io.out(`mail viewer: ${services.mailViewerUrl}`);
      const clusters = await Promise.all(
        clustersOf(cfg, o.cluster).map(async (c) => ({
          c,
          t: targetFromConfig(c),
          obs: await observersFor(c),
        })),
      );
      const listeners: { close(): void }[] = [];
      try {
        await Promise.all(
          clusters.map(({ c, t, obs }) => {
            // push: the nodes' notify scripts say keepalived changed state; probe at once, coalesced
            const wake = c.push ? new Wake() : undefined;
            if (c.push && wake) listeners.push(triggerListener(c.push.fifo, () => wake.nudge()));
            return runSchedule(
              {
                intervalMs: interval,
                roundBudgetMs: Math.max(interval, 8000),
                signal: io.stopSignal,
                count: o.count,
                ...(wake ? { wake } : {}),
              },
              async (index, deadline, info) => {
                if (info.pushed) io.out(`push: probing ${t.name} now (keepalived changed state)`);
                const r = await probeCluster(
                  t,
                  { ...obs, store: services.store, notifier: services.notifier },
                  deadline,
                );
                // the state at start is not a transition: said as what it is
                if (r.transition)
                  io.out(
                    `${r.transition.from ?? "first probe"} -> ${r.transition.to}: ${summarizeState(r.state)}`,
                  );
                else if (index === 0) io.out(`at start: ${summarizeState(r.state)}`);
                if (r.silenced)
                  io.out(
                    `  mail held back: ${r.state.silence?.reason ?? "silenced"} (until ${r.state.silence?.until})`,
                  );
                for (const i of r.opened)
                  io.out(`  incident ${i.id}: [${i.severity}] ${i.code}: ${i.message}`);
                if (r.transition && r.state.status !== "HEALTHY")
                  io.out(renderState(t.name, r.state, r.timings.probeMs));
                for (const a of r.sent) io.out(`  mail sent: ${a.subject}`);
                for (const u of r.unsent)
                  io.out(`  mail NOT sent (kept for the next run): ${u.alert.subject}: ${u.error}`);
              },
            );
          }),
        );
      } finally {
        for (const l of listeners) l.close();
        await services.close();
      }
    });

  const history = new Command("history")
    .description("list the transitions in the store")
    .addOption(config)
    .addOption(cluster)
    .option("--since <duration>", "how far back", "1h")
    .option("--json", "print as JSON")
    .action(async (o) => {
      const [{ loadConfig }, { renderHistory }, { openServices }] = await Promise.all([
        import("../shared/config-file.ts"),
        import("../shared/text/output.ts"),
        import("./services.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const services = await openServices({
        ...cfg,
        mail: { type: "ses", from: "unused", to: ["unused@example.com"] },
      });
      try {
        const to = new Date(Date.now() + 1000);
        const from = new Date(Date.now() - parseDuration(o.since));
        const all = [];
        for (const c of clustersOf(cfg, o.cluster))
          all.push(...(await services.store.history(c.name, from, to)));
        io.out(o.json ? JSON.stringify(all, null, 2) : renderHistory(all));
      } finally {
        await services.close();
      }
    });
  const ack = new Command("ack")
    .description(
      "acknowledge incidents (events between probes that stay open until acknowledged): by id, or all (exit 0 when something was acknowledged, 1 when nothing matched)",
    )
    .addOption(config)
    .option("--cluster <name>", CLUSTER_OPTION_HELP)
    .option("--by <who>", "who acknowledges (kept with the incident)", process.env.USER ?? "operator")
    .argument("<ids...>", 'incident ids (as in the mail and `status`), or "all"')
    .action(async (ids: string[], o) => {
      const [{ loadConfig }, { openServices }, { acknowledgeIncidents }] = await Promise.all([
        import("../shared/config-file.ts"),
        import("./services.ts"),
        import("../shared/acknowledge.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const c = oneCluster(cfg, o.cluster);
      const services = await openServices({
        ...cfg,
        mail: { type: "ses", from: "unused", to: ["unused@example.com"] },
      });
      try {
        const r = await acknowledgeIncidents(
          services.store,
          c.name,
          ids.length === 1 && ids[0] === "all" ? "all" : ids,
          o.by,
        );
        for (const i of r.acknowledged) io.out(`acknowledged ${i.id}: ${i.code}: ${i.message}`);
        for (const id of r.unknown) io.err(`no incident ${id} in cluster ${c.name}`);
        if (r.unknown.length > 0)
          io.err(
            r.open.length
              ? `open incidents: ${r.open.map((i) => `${i.id} (${i.code})`).join(", ")}`
              : "no incident is open",
          );
        if (r.acknowledged.length === 0) io.out("nothing to acknowledge");
        io.setExitCode(r.acknowledged.length > 0 ? 0 : 1);
      } finally {
        await services.close();
      }
    });
  return [probe, watch, history, ack];
}
