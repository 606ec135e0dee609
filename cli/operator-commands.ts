/**
 * The operator's commands around the stored state: `status` (what the prober thinks now), `silence` and
 * `unsilence` (planned work), `test-mail` (the mail path, before the first incident). Each loads only
 * what it needs when it runs.
 */
import { Command, Option } from "commander";
import { ConfigError } from "../shared/domain/errors.ts";
import { CLUSTER_OPTION_HELP, clustersOf, type Io, oneCluster, parseDuration } from "./prober-commands.ts";

/** Opens the configured store without starting a mail service. */
async function openStore(configFile: string) {
  const [{ loadConfig }, { openServices }] = await Promise.all([
    import("../shared/config-file.ts"),
    import("./services.ts"),
  ]);
  const cfg = loadConfig(configFile);
  const services = await openServices({
    ...cfg,
    mail: { type: "ses", from: "unused", to: ["unused@example.com"] },
  });
  return { cfg, services };
}

export function operatorCommands(io: Io): Command[] {
  const config = () =>
    new Option("-c, --config <file>", "configuration file (YAML or JSON)").makeOptionMandatory();

  const status = new Command("status")
    .description(
      "the stored state, as the deployed function or `watch` last committed it: declared and last probe status, since when, VIP owner, open incidents, unsent mails, silence (exit codes as probe)",
    )
    .addOption(config())
    .option("--cluster <name>", "only this cluster")
    .option("--json", "print as JSON")
    .action(async (o) => {
      const { cfg, services } = await openStore(o.config);
      try {
        const [{ renderStatus }, { exitCodeFor }] = await Promise.all([
          import("../shared/text/status-output.ts"),
          import("../shared/text/output.ts"),
        ]);
        const stored = await Promise.all(
          clustersOf(cfg, o.cluster).map(async (c) => ({
            cluster: c.name,
            current: await services.store.load(c.name),
          })),
        );
        if (o.json) {
          io.out(
            JSON.stringify(
              stored.map((s) => ({
                cluster: s.cluster,
                version: s.current?.version ?? null,
                state: s.current ? { ...s.current.state, memory: undefined } : null,
                unsentMails: (s.current?.outbox ?? []).map((a) => ({
                  id: a.id,
                  subject: a.subject,
                  createdAt: a.createdAt,
                })),
              })),
              null,
              2,
            ),
          );
        } else {
          io.out(stored.map((s) => renderStatus(s.cluster, s.current, new Date())).join("\n\n"));
        }
        const missing = stored.some((s) => !s.current);
        io.setExitCode(missing ? 3 : exitCodeFor(stored.map((s) => s.current?.state.status ?? "UNKNOWN")));
      } finally {
        await services.close();
      }
    });

  const silence = new Command("silence")
    .description(
      "planned work: keep probing and recording, but mail nothing (a split brain still is, unless --no-split-brain-mail) until the silence ends; stored, so the deployed function honours it",
    )
    .addOption(config())
    .option("--cluster <name>", CLUSTER_OPTION_HELP)
    .requiredOption("--for <duration>", "how long (e.g. 30m, 2h)")
    .requiredOption("--reason <text>", "why (in status and in the mails)")
    .option("--by <who>", "who silences", process.env.USER ?? "operator")
    .option("--no-split-brain-mail", "do not mail even a split brain")
    .action(async (o) => {
      const ms = parseDuration(o.for);
      const { cfg, services } = await openStore(o.config);
      try {
        const c = oneCluster(cfg, o.cluster);
        const { setSilence } = await import("../shared/stored-state.ts");
        const now = new Date();
        const s = await setSilence(services.store, c.name, {
          since: now.toISOString(),
          until: new Date(now.getTime() + ms).toISOString(),
          reason: String(o.reason),
          by: String(o.by),
          mailSplitBrain: o.splitBrainMail !== false,
        });
        const { describeSilence } = await import("../shared/domain/silence.ts");
        io.out(`${c?.name}: ${s ? describeSilence(s) : "not silenced"}`);
      } finally {
        await services.close();
      }
    });

  const unsilence = new Command("unsilence")
    .description(
      "end the cluster's silence now (a cluster that is not healthy then gets one mail saying so; exit 0 lifted, 1 there was none)",
    )
    .addOption(config())
    .option("--cluster <name>", CLUSTER_OPTION_HELP)
    .action(async (o) => {
      const { cfg, services } = await openStore(o.config);
      try {
        const c = oneCluster(cfg, o.cluster);
        const [{ liftSilence }, { describeSilence }] = await Promise.all([
          import("../shared/stored-state.ts"),
          import("../shared/domain/silence.ts"),
        ]);
        const lifted = await liftSilence(services.store, c.name);
        io.out(
          lifted
            ? `${c?.name}: silence lifted (it was: ${describeSilence(lifted)})`
            : `${c?.name}: was not silenced; nothing changed`,
        );
        io.setExitCode(lifted ? 0 : 1);
      } finally {
        await services.close();
      }
    });

  const testMail = new Command("test-mail")
    .description(
      "send a clearly marked test mail through the configured mail channel and print what the mail service answered (exit 0 accepted, 1 refused)",
    )
    .addOption(config())
    .option("--cluster <name>", "name it in the mail")
    .action(async (o) => {
      const [{ loadConfig }, { openServices }, { testMailAlert }, { deadlineIn }] = await Promise.all([
        import("../shared/config-file.ts"),
        import("./services.ts"),
        import("../shared/domain/mail.ts"),
        import("../shared/domain/types.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const [c] = clustersOf(cfg, o.cluster);
      const services = await openServices(cfg);
      const channel =
        cfg.mail.type === "ses"
          ? `SES${cfg.mail.region ? ` (${cfg.mail.region})` : ""} from ${cfg.mail.from} to ${cfg.mail.to.join(", ")}`
          : `the embedded mail viewer ${services.mailViewerUrl} from ${cfg.mail.from} to ${cfg.mail.to.join(", ")}`;
      try {
        const id = await services.notifier.send(
          testMailAlert(c?.name ?? "mysql-ha-prober", new Date()),
          deadlineIn(10_000),
        );
        io.out(`accepted by ${channel}: message id ${id ?? "(none given)"}`);
        const { mailLogOf } = await import("./services.ts");
        const log = mailLogOf(cfg);
        if (log)
          io.out(
            `the viewer stops with this command (unless a \`watch\` serves it); the mail is kept in ${log}: \`mails -c ${o.config}\` lists what the embedded mail accepted`,
          );
        io.setExitCode(0);
      } catch (e) {
        const err = e as Error & { name?: string };
        io.err(`refused by ${channel}: ${err.name ?? "Error"}: ${err.message}`);
        io.err(mailHint(err));
        io.setExitCode(1);
      } finally {
        await services.close();
      }
    });
  const mails = new Command("mails")
    .description(
      "the mails the embedded mail accepted (kept on disk beside the embedded store: the viewer forgets them when it stops), newest last",
    )
    .addOption(config())
    .option("--last <n>", "only the last n", "20")
    .option("--show <n>", "print the whole text of the n-th from the end (1: the newest)")
    .option("--json", "print them as JSON")
    .action(async (o) => {
      const [{ loadConfig }, { mailLogOf, readMailLog }] = await Promise.all([
        import("../shared/config-file.ts"),
        import("./services.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const log = mailLogOf(cfg);
      if (!log)
        throw new ConfigError("command line", [
          "mails: only the embedded mail (with the embedded store) keeps mails on disk; SES mails are in the recipients' mailboxes",
        ]);
      const all = readMailLog(log);
      const n = Number(o.last);
      const shown = all.slice(-(Number.isInteger(n) && n > 0 ? n : 20));
      if (o.show) {
        const m = all[all.length - Number(o.show)];
        if (!m)
          throw new ConfigError("command line", [`--show: ${o.show} is past the ${all.length} mails kept`]);
        io.out(`${m.at}  ${m.subject}\n\n${m.text}`);
      } else if (o.json) io.out(JSON.stringify(shown, null, 2));
      else
        io.out(
          shown.length ? shown.map((m) => `${m.at}  ${m.subject}`).join("\n") : `no mail kept in ${log} yet`,
        );
    });
  const doctor = new Command("doctor")
    .description(
      "check every prerequisite through the configured runners (node check, arping, keepalived's pid file and TMPDIR, the notify script, mysqld, the monitoring user's grants, replication both ways with GTID auto-position, the heartbeat), one line each with the fix; exit 0 only when all pass",
    )
    .addOption(config())
    .option("--cluster <name>", "only this cluster")
    .option("--json", "print the checks as JSON")
    .option("--timeout <duration>", "deadline of the probe", "15s")
    .action(async (o) => {
      const [
        { loadConfig },
        { deadlineIn },
        { observeAndAssess },
        { targetFromConfig },
        { observersFor },
        { doctorChecks, renderChecks },
      ] = await Promise.all([
        import("../shared/config-file.ts"),
        import("../shared/domain/types.ts"),
        import("../shared/pipeline.ts"),
        import("../shared/target.ts"),
        import("./observers.ts"),
        import("../shared/doctor.ts"),
      ]);
      const cfg = loadConfig(o.config);
      const results = await Promise.all(
        clustersOf(cfg, o.cluster).map(async (c) => {
          const target = targetFromConfig(c);
          const r = await observeAndAssess(
            target,
            await observersFor(c),
            deadlineIn(parseDuration(o.timeout)),
            null,
            new Date(),
          );
          return {
            cluster: c.name,
            checks: doctorChecks({
              target,
              observed: r.observed,
              assessment: r.assessment,
              monitorUser: c.mysql.user,
              ...(c.heartbeat ? { heartbeatUser: c.heartbeat.user, heartbeatTable: c.heartbeat.table } : {}),
            }),
          };
        }),
      );
      io.out(
        o.json
          ? JSON.stringify(results, null, 2)
          : results.map((r) => renderChecks(r.cluster, r.checks)).join("\n\n"),
      );
      io.setExitCode(results.every((r) => r.checks.every((c) => c.ok)) ? 0 : 1);
    });
  return [status, silence, unsilence, testMail, mails, doctor];
}

/** What to do about a mail service's refusal, from its error name. */
export function mailHint(e: { name?: string; message?: string }): string {
  const text = `${e.name} ${e.message}`;
  if (/MessageRejected|not verified|Email address is not verified/i.test(text))
    return "fix: verify the sender's identity in SES (and, in the SES sandbox, every recipient), or request production access";
  if (/AccessDenied|not authorized/i.test(text))
    return "fix: allow ses:SendEmail on the sender's identity (and the recipients' in the sandbox) for these credentials";
  if (/Throttl|MaxSendRate|Daily message quota/i.test(text))
    return "fix: wait, or raise the SES sending quota";
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|timeout|aborted/i.test(text))
    return "fix: check the network path to the mail endpoint (region, VPC endpoint, proxy)";
  return "fix: see the error above";
}
