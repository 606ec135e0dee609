/**
 * Side by side with what users would run instead (`npm run bench -- peers`, as root): the same lab drills,
 * at randomized moments, watched at once by
 *   - this prober, as `lab up` configures it (a probe every 2 s, and at once on a keepalived trigger), and at
 *     Prometheus' cadence (every 15 s, with the trigger);
 *   - Prometheus 2.42 + mysqld_exporter 0.14 (one per node and one for the VIP) + Alertmanager 0.25, with the
 *     community's MySQL rules (bench/peers/mysql-alerts.rules.yml, cited there), Debian's packaged intervals
 *     (scrape and evaluation every 15 s) and Alertmanager's packaged route timings (group_wait 30 s), delivering
 *     to a webhook receiver that timestamps each notification;
 *   - pt-heartbeat 3.2.1: `--update --replace` through the VIP, `--monitor` on each node; its alarm is the
 *     community rule's threshold (lag > 30 s) on the standby's monitor, or the monitor failing;
 *   - the seed design's scripts: keepalived's notify mail (notify_master/backup/fault) and
 *     monitor_vip_conflict.sh (arping -d) from cron once a minute on each node, mail captured locally.
 * Everything runs inside the lab's namespaces, on loopback and the lab's own subnet.
 * Then: false alerts during a quiet period, and the lag each reports while the standby's SQL thread is held
 * by a read lock (the true delay known). Prints a table per fault, writes bench/results/peers.json.
 * PEERS_REPS (default 2), PEERS_WINDOW_S (90), PEERS_QUIET_S (300), PEERS_FAULTS (comma list, "lag" for the
 * lag measurement) shorten a run; PEERS_KEEP=1 leaves the lab up afterwards. A full run takes about an hour.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startDynalite, startSesLocal } from "../emulators/aws.ts";
import { type FaultKind, Lab } from "../lab/lab.ts";
import { labPorts, labProbeTarget } from "../lab/lab-config.ts";
import { ensurePackages } from "../lab/packages.ts";
import { NODE_IDS, type NodeId, peerOf } from "../lab/plan.ts";
import { DynamoStore } from "../shared/adapters/dynamo-store.ts";
import { SesNotifier } from "../shared/adapters/ses-notifier.ts";
import { triggerListener } from "../shared/adapters/trigger-fifo.ts";
import type { Alert } from "../shared/domain/alert-policy.ts";
import { probeCluster } from "../shared/pipeline.ts";
import { runSchedule, Wake } from "../shared/schedule-loop.ts";
import { run } from "../shared/util/exec.ts";
import { sleep, waitFor } from "../shared/util/wait.ts";
import { sec, table } from "./format.ts";
import {
  type DrillResult,
  fill,
  firstAfter,
  heartbeatConflict,
  mailboxSignals,
  NEEDS,
  PEER_DRILLS,
  PT_LAG_ALARM_S,
  ptMonitorLag,
  type Signal,
  SYSTEMS,
  type SystemId,
  summarize,
  webhookSignals,
} from "./peers-report.ts";

const HERE = fileURLToPath(new URL("./peers/", import.meta.url));
const RESULTS = fileURLToPath(new URL("./results/", import.meta.url));
const REPS = Number(process.env.PEERS_REPS ?? 2);
const WINDOW_MS = Number(process.env.PEERS_WINDOW_S ?? 90) * 1000;
const QUIET_MS = Number(process.env.PEERS_QUIET_S ?? 300) * 1000;
/** A monitor whose --file has not been rewritten for this long has stopped reporting: an alarm too. */
const PT_STALE_MS = 10_000;
const PEER_USER = { user: "peers", password: "lab-peers-pw" };
/** What the peers bench runs, and the Debian package of each (installed when missing). */
export const PEER_PROGRAMS: Record<string, string> = {
  prometheus: "prometheus",
  "prometheus-mysqld-exporter": "prometheus-mysqld-exporter",
  "prometheus-alertmanager": "prometheus-alertmanager",
  "pt-heartbeat": "percona-toolkit",
};
const PORTS = { a: 9104, b: 9105, vip: 9106, prometheus: 9090, alertmanager: 9093, webhook: 9099 } as const;

/** A process the harness started in a namespace, restarted after 1 s when it exits (as systemd's Restart=always). */
class Supervised {
  private child: ChildProcess | undefined;
  private stopped = false;
  exits = 0;
  constructor(
    private readonly ns: string,
    private readonly argv: string[],
    private readonly opts: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void; log: string },
  ) {
    this.start();
  }
  private start() {
    const child = spawn("ip", ["netns", "exec", this.ns, ...this.argv], {
      env: { ...process.env, ...this.opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    const onLine = (line: string) => {
      writeFileSync(this.opts.log, `${Date.now()} ${line}\n`, { flag: "a" });
      this.opts.onLine?.(line);
    };
    if (child.stdout) createInterface({ input: child.stdout }).on("line", onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on("line", onLine);
    child.on("exit", (code, signal) => {
      if (this.stopped) return;
      this.exits++;
      onLine(`[exited: ${code ?? signal}]`);
      setTimeout(() => {
        if (!this.stopped) this.start();
      }, 1000);
    });
  }
  /** Kills the process; the exit handler starts it again after 1 s (what `systemctl restart` would do). */
  restart(): void {
    this.restarts++;
    this.child?.kill("SIGKILL");
  }
  restarts = 0;

  async stop(): Promise<void> {
    this.stopped = true;
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        c.kill("SIGKILL");
        resolve();
      }, 5000);
      c.on("exit", () => {
        clearTimeout(t);
        resolve();
      });
      c.kill("SIGTERM");
    });
  }
}

/** GET a URL on the client namespace's loopback (the harness itself runs outside it). */
async function nsGet(ns: string, url: string): Promise<unknown> {
  const script = `fetch(${JSON.stringify(url)},{signal:AbortSignal.timeout(4000)}).then(r=>r.text()).then(t=>process.stdout.write(t))`;
  const r = await run("ip", ["netns", "exec", ns, process.execPath, "-e", script], { timeoutMs: 8000 });
  return JSON.parse(r.stdout);
}

/** The peers' stack against one lab. */
class PeerStack {
  readonly dir: string;
  readonly mailbox: string;
  readonly webhookLog: string;
  readonly signals: Signal[] = [];
  /** pt-heartbeat --monitor lines: the lag each node's monitor printed, when. */
  readonly ptLag: { node: NodeId; at: number; lag: number }[] = [];
  private procs: Supervised[] = [];
  private alertmanager: Supervised | undefined;
  private cron: NodeJS.Timeout | undefined;
  private pollers: NodeJS.Timeout[] = [];
  private updater: Supervised | undefined;
  private amRuns = 0;

  constructor(private readonly lab: Lab) {
    this.dir = join(lab.plan.dir, "peers");
    this.mailbox = join(this.dir, "mailbox");
    this.webhookLog = join(this.dir, "webhook.jsonl");
  }

  get ns(): string {
    return this.lab.plan.client.ns;
  }

  async start(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    writeFileSync(this.mailbox, "");
    writeFileSync(this.webhookLog, "");
    await run("ip", ["-n", this.ns, "link", "set", "lo", "up"], { timeoutMs: 5000 });
    const holder = await this.lab.waitSingleHolder(60_000);
    // one user for the exporters and pt-heartbeat, created on the holder (it replicates to the standby)
    await this.lab.sqlOn(
      holder,
      `CREATE USER IF NOT EXISTS '${PEER_USER.user}'@'%' IDENTIFIED BY '${PEER_USER.password}';
       GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR, SELECT ON *.* TO '${PEER_USER.user}'@'%';
       GRANT ALL ON percona.* TO '${PEER_USER.user}'@'%';
       CREATE DATABASE IF NOT EXISTS percona;`,
    );
    await this.seedScripts();
    this.exporters();
    this.prometheus();
    this.procs.push(
      new Supervised(
        this.ns,
        [process.execPath, join(HERE, "webhook.mjs"), String(PORTS.webhook), this.webhookLog],
        {
          log: join(this.dir, "webhook.log"),
        },
      ),
    );
    await this.restartAlertmanager();
    await this.ptHeartbeat();
    this.startCron();
    await waitFor(
      async () => {
        const t = (await nsGet(this.ns, `http://127.0.0.1:${PORTS.prometheus}/api/v1/targets`)) as {
          data: { activeTargets: { health: string }[] };
        };
        return t.data.activeTargets.length === 3 && t.data.activeTargets.every((x) => x.health === "up");
      },
      { timeoutMs: 90_000, intervalMs: 1000, what: "Prometheus to scrape the three exporters" },
    );
    await waitFor(() => this.ptLag.length > 0, { timeoutMs: 30_000, what: "pt-heartbeat's monitors" });
  }

  /** The seed design's scripts: the notify mail in keepalived.conf (keepalived restarted), the cron job. */
  private async seedScripts(): Promise<void> {
    const p = this.lab.plan;
    const capture = join(this.dir, "mail");
    writeFileSync(
      capture,
      fill(readFileSync(join(HERE, "seed", "mail-capture.sh"), "utf8"), { MAILBOX: this.mailbox }),
    );
    chmodSync(capture, 0o755);
    for (const id of ["a", "b"] as const) {
      const n = p.nodes[id];
      const values = { NODE: id, MAIL: capture, VIP: p.vip, IFACE: n.iface };
      const notify = join(n.keepalived.dir, "seed-notify-mail.sh");
      writeFileSync(notify, fill(readFileSync(join(HERE, "seed", "notify-mail.sh"), "utf8"), values), {
        mode: 0o755,
      });
      const monitor = join(n.keepalived.dir, "monitor_vip_conflict.sh");
      writeFileSync(
        monitor,
        fill(readFileSync(join(HERE, "seed", "monitor_vip_conflict.sh"), "utf8"), values),
        {
          mode: 0o755,
        },
      );
      const conf = readFileSync(n.keepalived.configFile, "utf8");
      if (!conf.includes("seed-notify-mail.sh")) {
        const hooks = ["MASTER", "BACKUP", "FAULT"]
          .map((s) => `  notify_${s.toLowerCase()} "${notify} ${s}"\n`)
          .join("");
        const changed = conf.replace(/(\n\s*notify ")/, `\n${hooks.trimEnd()}$1`);
        if (changed === conf)
          throw new Error("keepalived.conf has no notify line to add the seed's hooks next to");
        writeFileSync(n.keepalived.configFile, changed, { mode: 0o644 });
      }
    }
    // keepalived reads its configuration at start: restart the standby, then the holder (the VIP moves)
    const holder = await this.lab.waitSingleHolder(60_000);
    for (const id of [peerOf(holder), holder]) await this.lab.fault("keepalived-restart", id);
    await this.lab.heal();
  }

  private exporters(): void {
    const p = this.lab.plan;
    const targets: [keyof typeof PORTS, string][] = [
      ["a", p.nodes.a.ip],
      ["b", p.nodes.b.ip],
      ["vip", p.vip],
    ];
    for (const [name, host] of targets) {
      this.procs.push(
        new Supervised(
          this.ns,
          ["prometheus-mysqld-exporter", `--web.listen-address=127.0.0.1:${PORTS[name]}`],
          {
            env: { DATA_SOURCE_NAME: `${PEER_USER.user}:${PEER_USER.password}@(${host}:${p.mysqlPort})/` },
            log: join(this.dir, `exporter-${name}.log`),
          },
        ),
      );
    }
  }

  private prometheus(): void {
    const config = join(this.dir, "prometheus.yml");
    // Debian's packaged /etc/prometheus/prometheus.yml intervals; the exporters as the targets
    writeFileSync(
      config,
      `global:
  scrape_interval: 15s
  evaluation_interval: 15s
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:${PORTS.alertmanager}"]
rule_files:
  - ${join(HERE, "mysql-alerts.rules.yml")}
scrape_configs:
  - job_name: mysql
    static_configs:
      - targets: ["127.0.0.1:${PORTS.a}"]
        labels: { node: a }
      - targets: ["127.0.0.1:${PORTS.b}"]
        labels: { node: b }
      - targets: ["127.0.0.1:${PORTS.vip}"]
        labels: { node: vip }
`,
    );
    this.procs.push(
      new Supervised(
        this.ns,
        [
          "prometheus",
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(this.dir, "prometheus-data")}`,
          `--web.listen-address=127.0.0.1:${PORTS.prometheus}`,
        ],
        { log: join(this.dir, "prometheus.log") },
      ),
    );
  }

  /**
   * A fresh Alertmanager (no notification groups left from the previous drill): the best case for it. In
   * production a second alert of the same name within group_interval (5 min) of the last waits for it.
   */
  async restartAlertmanager(): Promise<void> {
    await this.alertmanager?.stop();
    const run = ++this.amRuns;
    const config = join(this.dir, "alertmanager.yml");
    // Debian's packaged /etc/prometheus/alertmanager.yml route timings; the receiver is the webhook
    writeFileSync(
      config,
      `route:
  group_by: ["alertname", "cluster", "service"]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 3h
  receiver: webhook
receivers:
  - name: webhook
    webhook_configs:
      - url: "http://127.0.0.1:${PORTS.webhook}/"
`,
    );
    this.alertmanager = new Supervised(
      this.ns,
      [
        "prometheus-alertmanager",
        `--config.file=${config}`,
        `--storage.path=${join(this.dir, `alertmanager-data-${run}`)}`,
        `--web.listen-address=127.0.0.1:${PORTS.alertmanager}`,
        // no gossip: a single Alertmanager, nothing listening beyond loopback
        "--cluster.listen-address=",
      ],
      { log: join(this.dir, "alertmanager.log") },
    );
    await waitFor(
      async () => {
        try {
          await nsGet(this.ns, `http://127.0.0.1:${PORTS.alertmanager}/api/v2/status`);
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 30_000, intervalMs: 500, what: "Alertmanager to answer" },
    );
  }

  /**
   * pt-heartbeat: `--update` through the VIP, `--monitor` on each node. The updater reads @@server_id once,
   * when it starts, and keys every row it writes on it, also after a reconnect to the other node (read in
   * pt-heartbeat 3.2.1's source, and seen: after a failover it wrote the old holder's id on the new one);
   * when it cannot reconnect it exits, and restarted it takes the new holder's id. So the live row's id
   * depends on the updater's restarts: one monitor per node and row, and the node's lag is the smaller.
   * A single monitor per node, of either id, alarms falsely after some failovers (measured: 135-394 s).
   */
  private async ptHeartbeat(): Promise<void> {
    const p = this.lab.plan;
    const conn = (host: string) => [
      `--host=${host}`,
      `--port=${p.mysqlPort}`,
      `--user=${PEER_USER.user}`,
      `--password=${PEER_USER.password}`,
      "--database=percona",
      "--utc",
    ];
    this.updater = new Supervised(
      this.ns,
      ["pt-heartbeat", "--update", "--replace", "--create-table", ...conn(p.vip)],
      { log: join(this.dir, "pt-heartbeat-update.log") },
    );
    this.procs.push(this.updater);
    const holder = await this.lab.waitSingleHolder(60_000);
    await waitFor(
      async () =>
        (await this.lab.sqlOn(holder, "SELECT server_id FROM percona.heartbeat").catch(() => [])).length > 0,
      { timeoutMs: 30_000, intervalMs: 500, what: "pt-heartbeat --update to write its first row" },
    );
    // a row for each node from the start (pt-heartbeat's documented manual insert), so both monitors of a
    // node find theirs
    const ids = [p.nodes.a.serverId, p.nodes.b.serverId];
    await this.lab.sqlOn(
      holder,
      `INSERT IGNORE INTO percona.heartbeat (ts, server_id) VALUES ${ids.map((i) => `(UTC_TIMESTAMP(), ${i})`).join(", ")}`,
    );
    for (const id of ["a", "b"] as const) {
      // Two monitors per node, one per row: the row the updater writes is the live one, the other goes
      // stale, and which is which changes when the updater restarts. Each monitor writes its latest line to
      // --file every second (its documented way to feed another tool; piped, its output is block-buffered).
      const files = ids.map((rowId) => {
        const file = join(this.dir, `pt-heartbeat-monitor-${id}-${rowId}.txt`);
        this.procs.push(
          new Supervised(
            this.ns,
            [
              "pt-heartbeat",
              "--monitor",
              `--master-server-id=${rowId}`,
              `--file=${file}`,
              ...conn(p.nodes[id].ip),
            ],
            { log: join(this.dir, `pt-heartbeat-monitor-${id}-${rowId}.log`) },
          ),
        );
        return file;
      });
      // The node's lag: the smaller of its two fresh readings. No fresh reading for PT_STALE_MS: an alarm.
      // The monitor truncates and rewrites its file each second: a read in between finds it empty, so the
      // last reading of each file counts until it is PT_STALE_MS old.
      let lastFresh = Date.now();
      const last = files.map(() => ({ at: 0, lag: 0 }));
      this.pollers.push(
        setInterval(() => {
          const now = Date.now();
          files.forEach((file, i) => {
            try {
              const lag = ptMonitorLag(readFileSync(file, "utf8"));
              if (lag !== null) last[i] = { at: statSync(file).mtimeMs, lag };
            } catch {
              // not written yet
            }
          });
          const lags = last.filter((r) => now - r.at < PT_STALE_MS).map((r) => r.lag);
          if (lags.length > 0) {
            lastFresh = now;
            this.ptLag.push({ node: id, at: now, lag: Math.min(...lags) });
          } else if (now - lastFresh >= PT_STALE_MS)
            this.signals.push({
              system: "pt-heartbeat",
              at: now,
              what: "monitor stopped reporting",
              node: id,
            });
        }, 500),
      );
    }
  }

  /** cron's `* * * * *`: monitor_vip_conflict.sh on each node at every whole minute. */
  private startCron(): void {
    const tick = () => {
      const next = Math.ceil((Date.now() + 1) / 60_000) * 60_000;
      this.cron = setTimeout(() => {
        for (const id of ["a", "b"] as const) {
          const n = this.lab.plan.nodes[id];
          void run(
            "ip",
            ["netns", "exec", n.ns, "/bin/sh", join(n.keepalived.dir, "monitor_vip_conflict.sh")],
            { timeoutMs: 20_000, allowFailure: true },
          );
        }
        tick();
      }, next - Date.now());
    };
    tick();
  }

  /** Every alert and mail of the peers so far (Prometheus from the webhook log, the seed from the mailbox). */
  collect(): Signal[] {
    const lags: Signal[] = this.ptLag
      .filter((x) => x.lag > PT_LAG_ALARM_S)
      .map((x) => ({ system: "pt-heartbeat", at: x.at, what: `lag ${x.lag} s`, node: x.node }));
    return [
      ...this.signals,
      ...webhookSignals(readFileSync(this.webhookLog, "utf8")),
      ...mailboxSignals(readFileSync(this.mailbox, "utf8")),
      ...lags,
    ].sort((x, y) => x.at - y.at);
  }

  /**
   * Before a drill: pt-heartbeat's lag on the standby is back near 0, or its updater is restarted, as an
   * operator would after its alarm. Measured: after mysql-hang on the holder the updater stayed blocked
   * (no read timeout) and wrote nothing until restarted. Returns whether it had to be restarted.
   */
  async ensureHeartbeatWriting(standby: NodeId): Promise<boolean> {
    const lagNow = () =>
      [...this.ptLag].reverse().find((x) => x.node === standby && Date.now() - x.at < 2000)?.lag;
    const fresh = await waitFor(() => ((lagNow() ?? Number.POSITIVE_INFINITY) < 5 ? true : undefined), {
      timeoutMs: 15_000,
      what: "pt-heartbeat's lag on the standby under 5 s",
    }).catch(() => false);
    if (fresh) return false;
    this.updater?.restart();
    await waitFor(() => ((lagNow() ?? Number.POSITIVE_INFINITY) < 5 ? true : undefined), {
      timeoutMs: 60_000,
      what: "pt-heartbeat's lag on the standby under 5 s after restarting its updater",
    });
    return true;
  }

  /**
   * After a drill: pt-heartbeat's `REPLACE` through the VIP wrote on both nodes during a split brain, and
   * when the nodes see each other again each one's copy of that row stops the other's replication (seen:
   * duplicate key on `percona.heartbeat`, both ways). `lab heal` does not repair data. As an operator
   * would, and only for that table's conflicts (`heartbeatConflict`): the stopped SQL thread runs with
   * `slave_exec_mode=IDEMPOTENT` until it has applied what it had read, then STRICT again. Waits until
   * both nodes have applied what they read or one stopped; returns the nodes repaired.
   */
  async repairHeartbeatConflicts(timeoutMs = 60_000): Promise<NodeId[]> {
    const repaired: NodeId[] = [];
    const status = async (id: NodeId) =>
      (await this.lab.sqlOn(id, "SHOW SLAVE STATUS", { timeoutMs: 5000 }))[0] as
        | Record<string, unknown>
        | undefined;
    const caughtUp = (r: Record<string, unknown> | undefined) =>
      r?.Slave_SQL_Running === "Yes" &&
      r.Relay_Master_Log_File === r.Master_Log_File &&
      String(r.Exec_Master_Log_Pos) === String(r.Read_Master_Log_Pos);
    await waitFor(
      async () => {
        let settled = true;
        for (const id of NODE_IDS) {
          const r = await status(id);
          if (heartbeatConflict(r)) {
            console.log(`  ${id}: replication stopped on pt-heartbeat's table: ${String(r?.Last_SQL_Error)}`);
            await this.lab.sqlOn(
              id,
              "STOP SLAVE SQL_THREAD; SET GLOBAL slave_exec_mode='IDEMPOTENT'; START SLAVE SQL_THREAD",
            );
            if (!repaired.includes(id)) repaired.push(id);
            settled = false;
          } else if (repaired.includes(id) && caughtUp(r)) {
            await this.lab.sqlOn(id, "SET GLOBAL slave_exec_mode='STRICT'");
          } else if (!caughtUp(r) && r?.Slave_SQL_Running === "Yes") {
            settled = false; // still applying: a conflict may come
          }
        }
        return settled;
      },
      { timeoutMs, intervalMs: 500, what: "replication to apply what it read, or stop" },
    );
    for (const id of repaired) await this.lab.sqlOn(id, "SET GLOBAL slave_exec_mode='STRICT'");
    return repaired;
  }

  /** The smallest MySQL uptime Prometheus scraped last (of the three endpoints), in seconds. */
  async minUptime(): Promise<number> {
    const r = (await nsGet(
      this.ns,
      `http://127.0.0.1:${PORTS.prometheus}/api/v1/query?query=${encodeURIComponent("min(mysql_global_status_uptime)")}`,
    )) as { data: { result: { value: [number, string] }[] } };
    return Number(r.data.result[0]?.value[1] ?? 0);
  }

  /** When Prometheus last evaluated the MySQL rules (ms). */
  async lastEvaluation(): Promise<number> {
    const r = (await nsGet(this.ns, `http://127.0.0.1:${PORTS.prometheus}/api/v1/rules`)) as {
      data: { groups: { lastEvaluation: string }[] };
    };
    return Date.parse(r.data.groups[0]?.lastEvaluation ?? "1970-01-01T00:00:00Z");
  }

  /** Prometheus' active (pending or firing) alerts. */
  async activeAlerts(): Promise<string[]> {
    const r = (await nsGet(this.ns, `http://127.0.0.1:${PORTS.prometheus}/api/v1/alerts`)) as {
      data: { alerts: { state: string; labels: Record<string, string> }[] };
    };
    return r.data.alerts.map((a) => `${a.labels.alertname}(${a.state})`);
  }

  async stop(): Promise<void> {
    if (this.cron) clearTimeout(this.cron);
    for (const t of this.pollers) clearInterval(t);
    await Promise.all(
      [...this.procs, ...(this.alertmanager ? [this.alertmanager] : [])].map((x) => x.stop()),
    );
  }
}

/** This prober, twice: the lab's configuration (2 s) and Prometheus' cadence (15 s), both with push. */
class Ours {
  readonly signals: Signal[] = [];
  /** The last lag each loop's probe reported per node (heartbeat, else Seconds_Behind_Master). */
  readonly lastLag: Record<
    "ours-2s" | "ours-15s",
    Partial<Record<NodeId, { at: number; seconds: number | null }>>
  > = { "ours-2s": {}, "ours-15s": {} };
  private stopLoops: (() => Promise<void>) | undefined;
  private healthy = new Set<SystemId>();

  private constructor(
    private readonly lab: Lab,
    private readonly emu: {
      dynamo: Awaited<ReturnType<typeof startDynalite>>;
      ses: Awaited<ReturnType<typeof startSesLocal>>;
    },
  ) {}

  static async start(lab: Lab): Promise<Ours> {
    const [dynamo, ses] = await Promise.all([startDynalite("peers"), startSesLocal()]);
    return new Ours(lab, { dynamo, ses });
  }

  /** Starts both loops under fresh cluster names; the 15 s loop at a random phase. Waits for HEALTHY. */
  async begin(tag: string): Promise<void> {
    await this.end();
    this.healthy.clear();
    const abort = new AbortController();
    const wakes = { "ours-2s": new Wake(), "ours-15s": new Wake() };
    const listener = triggerListener(this.lab.plan.client.triggerFifo, () => {
      for (const w of Object.values(wakes)) w.nudge();
    });
    const loops = (["ours-2s", "ours-15s"] as const).map((system) => {
      const interval = system === "ours-2s" ? 2000 : 15_000;
      const target = labProbeTarget(this.lab, `peers-${system}-${tag}`);
      const ses = new SesNotifier({
        client: this.emu.ses.client,
        from: "bench@lab.invalid",
        to: ["ops@lab.invalid"],
      });
      const deps = {
        ...labPorts(this.lab),
        store: new DynamoStore({ client: this.emu.dynamo.client, tableName: this.emu.dynamo.tableName }),
        notifier: {
          send: async (a: Alert, d: Parameters<SesNotifier["send"]>[1]) => {
            const id = await ses.send(a, d);
            if (a.kind !== "resolved" && (a.to !== "HEALTHY" || a.kind === "incident"))
              this.signals.push({ system, at: Date.now(), what: a.subject });
            return id;
          },
        },
      };
      return runSchedule(
        {
          intervalMs: interval,
          roundBudgetMs: 8000,
          signal: abort.signal,
          wake: wakes[system],
          startAt: Date.now() - Math.random() * interval,
        },
        async (_i, deadline) => {
          const r = await probeCluster(target, deps, deadline);
          if (r.state.status === "HEALTHY") this.healthy.add(system);
          // PEERS_TRACE=<file>: every probe of the 2 s loop, one JSON line each, to look into a miss
          if (process.env.PEERS_TRACE && system === "ours-2s")
            appendFileSync(
              process.env.PEERS_TRACE,
              `${JSON.stringify({ at: Date.now(), tag, status: r.state.status, r: r as unknown })}\n`,
            );
          for (const id of ["a", "b"] as const)
            this.lastLag[system][id] = {
              at: Date.now(),
              seconds: r.state.nodes[id].replication?.lagSeconds ?? null,
            };
        },
      );
    });
    this.stopLoops = async () => {
      abort.abort();
      await Promise.all(loops);
      listener.close();
    };
    await waitFor(() => this.healthy.size === 2, {
      timeoutMs: 60_000,
      what: "this prober to declare HEALTHY",
    });
  }

  async end(): Promise<void> {
    await this.stopLoops?.();
    this.stopLoops = undefined;
  }

  async stop(): Promise<void> {
    await this.end();
    await Promise.all([this.emu.dynamo.stop(), this.emu.ses.stop()]);
  }
}

/** Waits until Prometheus has nothing pending or firing (MysqlRestarted lasts a minute after a restart). */
async function waitQuiet(stack: PeerStack): Promise<void> {
  let active: string[] = [];
  let calmSince: number | undefined;
  await waitFor(
    async () => {
      active = await stack.activeAlerts();
      // every server up for more than a minute (or MysqlRestarted may still start), nothing active, and
      // the rules evaluated once more since both held
      const calm = active.length === 0 && (await stack.minUptime()) >= 70;
      if (!calm) calmSince = undefined;
      else calmSince ??= Date.now();
      return calm && calmSince !== undefined && (await stack.lastEvaluation()) > calmSince;
    },
    { timeoutMs: 180_000, intervalMs: 2000, what: "Prometheus to have no active alert" },
  ).catch((e: unknown) => {
    throw new Error(`Prometheus still has active alerts: ${active.join(", ")}`, { cause: e });
  });
}

async function drill(
  lab: Lab,
  stack: PeerStack,
  ours: Ours,
  kind: FaultKind,
  on: "holder" | "standby",
  rep: number,
) {
  await waitQuiet(stack);
  const ptRestarted = await stack.ensureHeartbeatWriting(peerOf(await lab.waitSingleHolder(60_000)));
  await stack.restartAlertmanager();
  await ours.begin(`${kind}-${rep}`);
  // a random moment within the 15 s scrape and evaluation cycle and the 15 s probe cycle
  await sleep(Math.random() * 15_000);
  const holder = (await lab.vipHolders())[0] ?? "a";
  const node: NodeId = on === "holder" ? holder : peerOf(holder);
  const standby = peerOf(holder);
  const injectedAt = Date.now();
  await lab.fault(kind, node);
  await sleep(Math.max(0, injectedAt + WINDOW_MS - Date.now()));
  await ours.end();
  const signals = [...stack.collect(), ...ours.signals];
  const first = Object.fromEntries(
    SYSTEMS.map((s) => [
      s,
      firstAfter(signals, s, injectedAt, injectedAt + WINDOW_MS, s === "pt-heartbeat" ? standby : undefined),
    ]),
  ) as DrillResult["first"];
  const heartbeatRepaired = await healWithRepair(lab, stack);
  return {
    fault: kind,
    node,
    rep,
    injectedAt,
    first,
    ptUpdaterRestarted: ptRestarted,
    ...(heartbeatRepaired.length ? { heartbeatRepaired } : {}),
  } satisfies DrillResult;
}

/**
 * `lab heal`, then the repair of pt-heartbeat's table where a split brain left it conflicting (which stops
 * replication, so the heal's wait for it may run out first), then `lab heal` again to wait for the rest.
 */
async function healWithRepair(lab: Lab, stack: PeerStack): Promise<NodeId[]> {
  const first = await lab.heal({ timeoutMs: 60_000 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  const repaired = await stack.repairHeartbeatConflicts();
  if (first && !repaired.length) throw first;
  if (first || repaired.length) await lab.heal({ timeoutMs: 120_000 });
  return repaired;
}

/** False alerts: everything running, no fault, for QUIET_MS. */
async function quiet(lab: Lab, stack: PeerStack, ours: Ours) {
  await waitQuiet(stack);
  await stack.restartAlertmanager();
  await ours.begin("quiet");
  const holder = (await lab.vipHolders())[0] ?? "a";
  const from = Date.now();
  await sleep(QUIET_MS);
  await ours.end();
  const to = Date.now();
  const signals = [...stack.collect(), ...ours.signals].filter(
    (s) => s.at >= from && s.at <= to && (s.system !== "pt-heartbeat" || s.node === peerOf(holder)),
  );
  return Object.fromEntries(
    SYSTEMS.map((s) => [s, signals.filter((x) => x.system === s).map((x) => x.what)]),
  );
}

/**
 * Lag accuracy: a read lock on the standby holds its SQL thread while the holder keeps taking writes
 * (pt-heartbeat's, every second, and our heartbeat's), so the true delay is the time since the lock.
 */
async function lagAccuracy(lab: Lab, ours: Ours, stack: PeerStack) {
  await ours.begin("lag");
  const holder = await lab.waitSingleHolder(60_000);
  const standby = peerOf(holder);
  await sleep(3000);
  const lockedAt = Date.now();
  await lab.fault("global-read-lock", standby);
  const samples: { trueS: number; sbm: number | null; ptHeartbeat: number | null; ours: number | null }[] =
    [];
  for (const t of [10, 20, 30, 45, 60]) {
    await sleep(Math.max(0, lockedAt + t * 1000 - Date.now()));
    const at = Date.now();
    const row = (await lab.sqlOn(standby, "SHOW SLAVE STATUS"))[0];
    const sbm = row?.Seconds_Behind_Master;
    const pt = [...stack.ptLag].reverse().find((x) => x.node === standby);
    samples.push({
      trueS: Math.round((at - lockedAt) / 100) / 10,
      sbm: sbm === null || sbm === undefined ? null : Number(sbm),
      ptHeartbeat: pt ? pt.lag : null,
      ours: ours.lastLag["ours-2s"][standby]?.seconds ?? null,
    });
  }
  await ours.end();
  await lab.heal({ timeoutMs: 120_000 });
  return samples;
}

async function versions(): Promise<Record<string, string>> {
  const v = async (cmd: string, args: string[], re: RegExp) => {
    const r = await run(cmd, args, { timeoutMs: 10_000, allowFailure: true });
    return re.exec(`${r.stdout}\n${r.stderr}`)?.[1] ?? "?";
  };
  return {
    prometheus: await v("prometheus", ["--version"], /version ([\d.]+)/),
    mysqldExporter: await v("prometheus-mysqld-exporter", ["--version"], /version ([\d.]+)/),
    alertmanager: await v("prometheus-alertmanager", ["--version"], /version ([\d.]+)/),
    ptHeartbeat: await v("pt-heartbeat", ["--version"], /pt-heartbeat ([\d.]+)/),
    mariadb: await v("mariadbd", ["--version"], /Ver ([\d.]+-MariaDB)/),
    keepalived: await v("keepalived", ["--version"], /Keepalived v([\d.]+)/),
    arping: await v("arping", ["--help"], /ARPing ([\d.]+)/),
    node: process.version,
  };
}

export async function peers(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the peers bench uses the lab: run as root");
  const only = process.env.PEERS_FAULTS?.split(",");
  const plan = PEER_DRILLS.filter((d) => !only || only.includes(d.kind));
  await ensurePackages((line) => console.log(line), PEER_PROGRAMS);
  const lab = new Lab({ name: "mhpp", subnet: "198.18.122.0/24" });
  const versionsSeen = await versions();
  const startedAt = new Date().toISOString();
  const drills: DrillResult[] = [];
  /** Drills that could not run to the end (the lab did not settle, a wait ran out): named, not lost. */
  const failed: { fault: FaultKind; rep: number; error: string }[] = [];
  let falseAlerts: Record<string, string[]> = {};
  let lag: Awaited<ReturnType<typeof lagAccuracy>> = [];
  // written after every drill, so a run that dies late keeps what it measured
  const save = () => {
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(
      join(RESULTS, "peers.json"),
      `${JSON.stringify(
        {
          machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
          versions: versionsSeen,
          startedAt,
          at: new Date().toISOString(),
          settings: {
            reps: REPS,
            windowS: WINDOW_MS / 1000,
            quietS: QUIET_MS / 1000,
            ptLagAlarmS: PT_LAG_ALARM_S,
            prometheus: { scrapeInterval: "15s", evaluationInterval: "15s" },
            alertmanager: { groupWait: "30s", groupInterval: "5m", repeatInterval: "3h" },
            ours: { intervals: ["2s", "15s"], push: true },
          },
          summary: summarize(drills).summary,
          falseAlerts,
          lag,
          needs: NEEDS,
          failed,
          drills,
        },
        null,
        2,
      )}\n`,
    );
  };
  await lab.up({ rebuild: true });
  const stack = new PeerStack(lab);
  let ours: Ours | undefined;
  try {
    await stack.start();
    ours = await Ours.start(lab);
    if (QUIET_MS > 0) falseAlerts = await quiet(lab, stack, ours);
    console.log(`quiet period (${QUIET_MS / 1000} s): ${JSON.stringify(falseAlerts)}`);
    save();
    for (let rep = 0; rep < REPS; rep++) {
      // a new random order each repetition: no system profits from what the previous drill left
      for (const d of [...plan].sort(() => Math.random() - 0.5)) {
        try {
          const r = await drill(lab, stack, ours, d.kind, d.on, rep);
          drills.push(r);
          console.log(
            `${d.kind} on ${r.node} (rep ${rep}): ${SYSTEMS.map((s) => `${s} ${r.first[s] ? `${sec(r.first[s].ms)} s (${r.first[s].what})` : "-"}`).join("; ")}`,
          );
        } catch (e) {
          const error =
            e instanceof Error
              ? `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ""}`
              : String(e);
          failed.push({ fault: d.kind, rep, error });
          console.log(`${d.kind} (rep ${rep}) could not run to the end: ${error}`);
          await ours.end();
          await healWithRepair(lab, stack).catch((h: unknown) => console.log(`heal failed: ${String(h)}`));
        }
        save();
      }
    }
    if (!only || only.includes("lag")) lag = await lagAccuracy(lab, ours, stack);
    save();
  } finally {
    await ours?.stop();
    // PEERS_KEEP=1 leaves the lab and the peers' files for a look (`lab down` removes them)
    if (!process.env.PEERS_KEEP) {
      await stack.stop();
      await lab.down();
    }
  }
  const { rows } = summarize(drills);
  console.log(
    `\nPeers: per system, runs with an alert or mail within ${WINDOW_MS / 1000} s of the injection, and p50/p95 seconds to the first\n${table(rows)}`,
  );
  if (failed.length) console.log(`drills that did not run to the end: ${JSON.stringify(failed)}`);
  console.log(`\nFalse alerts during ${QUIET_MS / 1000} s without a fault:`);
  for (const s of SYSTEMS)
    console.log(`  ${s}: ${falseAlerts[s]?.length ?? 0} ${JSON.stringify(falseAlerts[s] ?? [])}`);
  console.log("\nLag during a read lock on the standby (seconds)");
  console.log(
    table([
      ["true", "Seconds_Behind_Master", "pt-heartbeat", "ours (2 s)"],
      ...lag.map((l) => [l.trueS, l.sbm ?? "NULL", l.ptHeartbeat ?? "-", l.ours ?? "-"]),
    ]),
  );
  console.log("\nWhat each needs:");
  for (const s of SYSTEMS) console.log(`  ${s}: ${NEEDS[s]}`);
}
