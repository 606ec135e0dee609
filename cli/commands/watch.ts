/** `watch`: see its --help (cli/help.ts). Loads what it needs when it runs. */
import { Command } from "commander";
import { clusterFilterOption, clustersOf, configOption, type Io, parseDuration } from "../common.ts";
import { type Sweeper, sweeperFor } from "../sweep-after.ts";

export function watchCommand(io: Io): Command {
  return new Command("watch")
    .description("run the full pipeline (store and mail) in a loop, printing each transition")
    .addOption(configOption())
    .addOption(clusterFilterOption())
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
        { cliObservers },
        { openServices },
        { triggerListener },
      ] = await Promise.all([
        import("../../shared/config-file.ts"),
        import("../../shared/pipeline.ts"),
        import("../../shared/schedule-loop.ts"),
        import("../../shared/text/output.ts"),
        import("../../shared/target.ts"),
        import("../observers.ts"),
        import("../services.ts"),
        import("../../shared/adapters/trigger-fifo.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const interval = parseDuration(o.interval);
      const services = await openServices(cfg);
      if (services.mailViewerUrl) io.out(`mail viewer: ${services.mailViewerUrl}`);
      const clusters = await Promise.all(
        clustersOf(cfg, o.cluster).map(async (c) => ({
          c,
          t: targetFromConfig(c),
          obs: await cliObservers(c),
        })),
      );
      const listeners: { close(): void }[] = [];
      const sweepers: Sweeper[] = [];
      try {
        await Promise.all(
          clusters.map(({ c, t, obs }) => {
            // the consistency sweep's slices, beside the loop (never delaying a probe)
            const sweeper = sweeperFor(c, t, services.store, io.out);
            sweepers.push(sweeper);
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
                  { ...obs, store: services.store, sweepStore: services.store, notifier: services.notifier },
                  deadline,
                );
                sweeper.after(r.state);
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
        await Promise.all(sweepers.map((s) => s.close()));
        for (const l of listeners) l.close();
        await services.close();
      }
    });
}
