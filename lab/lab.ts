/**
 * The two-node lab: node A and node B (one MariaDB and one keepalived each, in their own network
 * namespaces) and a client namespace holding the bridge that joins them. Nothing links the lab to
 * the root namespace, so no packet of the lab can leave it.
 */

import { execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderKit } from "../node-kit/kit.ts";
import { MariadbPosition } from "../shared/domain/gtid.ts";
import type { NodeCheckParams } from "../shared/node-check/params.ts";
import { run } from "../shared/util/exec.ts";
import { waitFor } from "../shared/util/wait.ts";
import {
  DIVERGENCE_SEED,
  DIVERGENCE_SEED_KEYLESS,
  type DivergenceKind,
  divergence,
  type Expected,
} from "./divergence.ts";
import { Ec2World, labEc2Topology } from "./ec2-standin.ts";
import { FAULT_KINDS, type FaultKind } from "./fault-kinds.ts";
import { FAULTS, type FaultContext } from "./faults.ts";
import { assertRoot, ensurePackages } from "./packages.ts";
import {
  type LabNodePlan,
  type LabOptions,
  type LabPlan,
  NODE_IDS,
  type NodeId,
  peerOf,
  planLab,
} from "./plan.ts";
import {
  ip,
  isAlive,
  LabError,
  netnsList,
  netnsPids,
  parseBatch,
  pidsByName,
  processState,
  SHORT,
  signal,
  spawnInNetns,
  sql,
} from "./system.ts";
import {
  awsStandInScript,
  checkMysqlScript,
  keepalivedConf,
  myCnf,
  notifyConf,
  notifyScript,
} from "./templates.ts";
import { makeLabTls } from "./tls.ts";

export { blackholeRules } from "./faults.ts";
export { FAULT_KINDS, type FaultKind };

export interface AppliedFault {
  kind: FaultKind;
  node: NodeId;
  at: string;
  /** What heal needs to undo it (e.g. the conflicting row of replication-break). */
  detail?: Record<string, string | number>;
}

interface LabState {
  version: 1;
  createdAt: string;
  pids: Record<NodeId, { mysqld?: number; keepalived?: number }>;
  forwarderPid?: number;
  faults: AppliedFault[];
}

/** A divergence made by `lab diverge`, and what `compare` must find for it. */
export interface AppliedDivergence {
  kind: DivergenceKind;
  node: NodeId;
  at: string;
  describe: string;
  expected: Expected;
}

export interface ReplicationStatus {
  configured: boolean;
  ioRunning?: string;
  sqlRunning?: string;
  secondsBehind?: number | null;
  lastIoError?: string;
  lastSqlError?: string;
  masterHost?: string;
  gtidIoPos?: string;
  /** Set when the status could not be read (server down or hung). */
  error?: string;
}

export interface LabNodeStatus {
  id: NodeId;
  ns: string;
  nsExists: boolean;
  iface: string;
  ip: string;
  mac: string | null;
  vipBound: boolean;
  mysql: {
    pid: number | null;
    running: boolean;
    stopped: boolean;
    port: number;
    socket: string;
    configFile: string;
    datadir: string;
    errorLog: string;
  };
  keepalived: {
    pid: number | null;
    running: boolean;
    state: string | null;
    priority: number;
    configFile: string;
    pidFile: string;
    stateFile: string;
    transitionsLog: string;
    dumpDir: string;
    outputLog: string;
  };
  replication: ReplicationStatus;
}

export interface LabStatus {
  name: string;
  subnet: string;
  dir: string;
  exists: boolean;
  vip: string;
  vipHolders: NodeId[];
  mysqlPort: number;
  client: {
    ns: string;
    nsExists: boolean;
    bridge: string;
    ip: string;
    mac: string | null;
    /** The forwarder that lets a process outside the lab open TCP connections from the client namespace. */
    forwarder: { pid: number | null; running: boolean; socket: string };
  };
  nodes: Record<NodeId, LabNodeStatus>;
  faults: AppliedFault[];
  users: LabPlan["users"] & { app: { user: string; password: string; database: string } };
}

/** Application user for the demo workload: writes through the VIP into the `lab` database. */
export const APP_USER = { user: "app", password: "lab-app-pw", database: "lab" } as const;

export type LabLogger = (line: string) => void;

export class Lab implements FaultContext {
  readonly plan: LabPlan;
  private readonly log: LabLogger;

  /**
   * @param hooks test seam: `afterNetwork` runs once the namespaces exist during a build, so a test can
   *   make a build fail half-way and check that nothing is left behind.
   */
  constructor(
    options: LabOptions = {},
    log: LabLogger = () => {},
    private readonly hooks: { afterNetwork?: () => Promise<void> } = {},
  ) {
    this.plan = planLab(options);
    this.log = log;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Brings the lab up. An existing lab whose processes all run is reused (and healed); anything
   * else is torn down and rebuilt. A failed build is torn down before the error is rethrown, so
   * no half-made lab is left behind.
   */
  /**
   * Builds the lab, or reuses a complete one as it is: faults someone applied stay applied (their drill
   * is theirs) unless `heal` is asked for. An incomplete lab is rebuilt.
   */
  async up(opts: { rebuild?: boolean; heal?: boolean } = {}): Promise<LabStatus> {
    assertRoot();
    await ensurePackages(this.log);
    if (!opts.rebuild && existsSync(this.plan.stateFile)) {
      const current = await this.status();
      const complete =
        current.client.nsExists &&
        NODE_IDS.every((id) => current.nodes[id].nsExists && current.nodes[id].mysql.running);
      if (complete) {
        const faults = current.faults.map((f) => `${f.kind} on ${f.node} since ${f.at}`);
        if (opts.heal) {
          this.log(`lab ${this.plan.name} exists: reusing it, healed`);
          await this.heal();
          return this.status();
        }
        this.log(
          faults.length
            ? `lab ${this.plan.name} is already up with faults applied (${faults.join("; ")}): left as it is; \`lab heal --name ${this.plan.name}\` undoes them`
            : `lab ${this.plan.name} is already up: reusing it as it is`,
        );
        return current;
      }
      this.log(`lab ${this.plan.name} is incomplete: rebuilding it`);
    }
    await this.down();
    try {
      await this.build();
    } catch (error) {
      this.log(`lab ${this.plan.name} failed to come up, tearing down: ${(error as Error).message}`);
      await this.down().catch(() => {});
      throw error;
    }
    return this.status();
  }

  /** Removes every process, namespace and file of the lab. Idempotent; works after a crash. */
  async down(): Promise<void> {
    const p = this.plan;
    const existing = new Set(await netnsList());
    const ours = [p.nodes.a.ns, p.nodes.b.ns, p.client.ns].filter((ns) => existing.has(ns));
    // Everything running inside our namespaces is ours: mariadbd, keepalived, their scripts.
    for (const ns of ours) {
      for (const pid of await netnsPids(ns)) {
        signal(pid, "SIGCONT");
        signal(pid, "SIGKILL");
      }
    }
    // Also processes recorded in the state file (in case a namespace is already gone).
    const state = this.readState();
    for (const id of NODE_IDS) {
      for (const [name, pid] of Object.entries(state?.pids[id] ?? {})) {
        if (pid && isAlive(pid, name)) signal(pid, "SIGKILL");
      }
    }
    if (isAlive(state?.forwarderPid, "node")) signal(state?.forwarderPid as number, "SIGKILL");
    for (const ns of ours) {
      await waitFor(async () => (await netnsPids(ns)).length === 0, {
        timeoutMs: SHORT,
        what: `processes in ${ns} to exit`,
      });
      await ip(["netns", "del", ns], true);
    }
    rmSync(p.dir, { recursive: true, force: true });
  }

  private async build(): Promise<void> {
    const p = this.plan;
    const started = Date.now();
    this.makeDirs();
    await this.makeNetwork();
    this.log(`network ready (${Date.now() - started} ms)`);
    await this.hooks.afterNetwork?.();
    await Promise.all(NODE_IDS.map((id) => this.installDatadir(p.nodes[id])));
    this.log(`datadirs installed (${Date.now() - started} ms)`);
    const state: LabState = {
      version: 1,
      createdAt: new Date().toISOString(),
      pids: { a: {}, b: {} },
      faults: [],
    };
    this.writeState(state);
    await this.startForwarder();
    for (const id of NODE_IDS) await this.startMysql(id);
    await Promise.all(NODE_IDS.map((id) => this.waitMysql(id)));
    this.log(`mariadbd running on both nodes (${Date.now() - started} ms)`);
    await Promise.all(NODE_IDS.map((id) => this.createUsers(p.nodes[id])));
    await Promise.all(NODE_IDS.map((id) => this.startReplication(id)));
    await this.waitReplicationRunning(30_000);
    // Created on A only: replication carries it to B, which proves both directions work below.
    await sql(
      `CREATE DATABASE IF NOT EXISTS ${APP_USER.database};
       CREATE TABLE IF NOT EXISTS ${APP_USER.database}.writes (id BIGINT AUTO_INCREMENT PRIMARY KEY,
         via VARCHAR(64) NOT NULL, at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3));
       CREATE TABLE IF NOT EXISTS ${APP_USER.database}.conflicts (id BIGINT PRIMARY KEY, node CHAR(1) NOT NULL);`,
      { socket: p.nodes.a.mysql.socket },
    );
    await waitFor(
      async () => (await sql("SHOW TABLES FROM lab", { socket: p.nodes.b.mysql.socket })).length === 2,
      { timeoutMs: 20_000, what: "the lab schema to replicate from A to B" },
    );
    this.log(`replication running both ways (${Date.now() - started} ms)`);
    // A first, alone, until it holds the VIP; then B joins as BACKUP (nopreempt): a fresh lab always starts
    // with A as the writer, even on a machine so loaded that B's first election timer could fire before A's
    await this.startKeepalived("a");
    await waitFor(() => this.vipBoundOn("a"), { timeoutMs: 30_000, what: `node A to take the VIP ${p.vip}` });
    await this.startKeepalived("b");
    // settled: one MASTER holding the VIP, and B's notify script has written BACKUP (what status reads)
    await this.waitKeepalivedSettled(30_000);
    const holder = await this.waitSingleHolder(30_000);
    this.log(`VIP ${p.vip} held by node ${holder.toUpperCase()} (${Date.now() - started} ms)`);
  }

  private makeDirs(): void {
    const p = this.plan;
    for (const d of [p.root, p.dir, `${p.dir}/keepalived`, dirname(p.ec2.awsCli)]) {
      mkdirSync(d, { recursive: true });
      chmodSync(d, 0o755);
    }
    // the push channel of the nodes' notify scripts (root only, like everything keepalived runs)
    execFileSync("mkfifo", ["-m", "600", p.client.triggerFifo], { timeout: SHORT });
    const { uid, gid } = mysqlIds();
    makeLabTls(p, { uid, gid });
    writeFileSync(p.ec2.awsCli, awsStandInScript(p), { mode: 0o755 });
    writeFileSync(p.ec2.callsLog, "", { mode: 0o644 });
    for (const id of NODE_IDS) {
      const n = p.nodes[id];
      mkdirSync(n.dir, { recursive: true, mode: 0o755 });
      chmodSync(n.dir, 0o755);
      for (const d of [n.mysql.runDir, n.mysql.tmpDir]) {
        mkdirSync(d, { recursive: true, mode: 0o755 });
        chownSync(d, uid, gid);
      }
      writeFileSync(n.mysql.configFile, myCnf(p, n), { mode: 0o644 });
      // keepalived refuses (silently disables) scripts in directories others can write: keep them 0755 root.
      for (const d of [n.keepalived.dir, n.keepalived.dumpDir]) {
        mkdirSync(d, { recursive: true });
        chmodSync(d, 0o755);
      }
      writeFileSync(n.keepalived.configFile, keepalivedConf(p, n), { mode: 0o644 });
      writeFileSync(n.keepalived.checkScript, checkMysqlScript(), { mode: 0o755 });
      writeFileSync(n.keepalived.notifyScript, notifyScript(), { mode: 0o755 });
      writeFileSync(join(n.keepalived.dir, "notify.conf"), notifyConf(p, n), { mode: 0o644 });
      writeFileSync(n.keepalived.transitionsLog, "", { mode: 0o644 });
    }
  }

  private async makeNetwork(): Promise<void> {
    const p = this.plan;
    const c = p.client;
    await ip(["netns", "add", c.ns]);
    await ip(["-n", c.ns, "link", "set", "lo", "up"]);
    await ip(["-n", c.ns, "link", "add", c.bridge, "address", c.mac, "type", "bridge"]);
    await ip(["-n", c.ns, "addr", "add", `${c.ip}/${p.prefixLength}`, "dev", c.bridge]);
    await ip(["-n", c.ns, "link", "set", c.bridge, "up"]);
    for (const id of NODE_IDS) {
      const n = p.nodes[id];
      await ip(["netns", "add", n.ns]);
      await ip(["-n", n.ns, "link", "set", "lo", "up"]);
      // Both ends are created directly inside their namespaces: nothing ever appears in the root one.
      await ip([
        "-n",
        n.ns,
        "link",
        "add",
        n.iface,
        "address",
        n.mac,
        "type",
        "veth",
        "peer",
        "name",
        n.bridgePort,
        "netns",
        c.ns,
      ]);
      await ip(["-n", n.ns, "addr", "add", `${n.ip}/${p.prefixLength}`, "dev", n.iface]);
      await ip(["-n", n.ns, "link", "set", n.iface, "up"]);
      await ip(["-n", c.ns, "link", "set", n.bridgePort, "master", c.bridge]);
      await ip(["-n", c.ns, "link", "set", n.bridgePort, "up"]);
    }
  }

  private async installDatadir(n: LabNodePlan): Promise<void> {
    const r = await run(
      "mariadb-install-db",
      [
        `--defaults-file=${n.mysql.configFile}`,
        "--user=mysql",
        "--skip-test-db",
        "--auth-root-authentication-method=socket",
      ],
      { timeoutMs: 120_000, allowFailure: true },
    );
    if (r.code !== 0) {
      const tail = `${r.stdout}\n${r.stderr}`.trim().split("\n").slice(0, 25).join("\n");
      const log = (readText(n.mysql.errorLog) ?? "").split("\n").slice(-15).join("\n");
      throw new LabError(
        `mariadb-install-db for node ${n.id} failed (exit ${r.code}):\n${tail}\n${n.mysql.errorLog}:\n${log}`,
      );
    }
  }

  async startMysql(id: NodeId): Promise<void> {
    const n = this.plan.nodes[id];
    rmSync(n.mysql.socket, { force: true });
    const pid = spawnInNetns(
      n.ns,
      "mariadbd",
      [`--defaults-file=${n.mysql.configFile}`],
      `${n.dir}/mariadbd.out`,
    );
    this.updateState((s) => {
      s.pids[id].mysqld = pid;
    });
  }

  async waitMysql(id: NodeId, timeoutMs = 60_000): Promise<void> {
    const n = this.plan.nodes[id];
    await waitFor(
      async () => {
        const pid = this.readState()?.pids[id].mysqld;
        if (!isAlive(pid, "mariadbd")) {
          throw new LabError(`mariadbd on node ${id} exited: see ${n.mysql.errorLog}`);
        }
        if (!existsSync(n.mysql.socket)) return false;
        await sql("SELECT 1", { socket: n.mysql.socket, timeoutMs: 3000 });
        return true;
      },
      { timeoutMs, what: `mariadbd on node ${id} to accept connections`, intervalMs: 100 },
    );
  }

  private async createUsers(n: LabNodePlan): Promise<void> {
    const p = this.plan;
    const net = `${p.subnet.replace(/\.0\/24$/, "")}.%`;
    const { replication: r, monitor: m, heartbeat: h } = p.users;
    // Local to each node (not binlogged): replication must not carry account setup around.
    await sql(
      `CREATE USER IF NOT EXISTS '${r.user}'@'${net}' IDENTIFIED BY '${r.password}';
       GRANT REPLICATION SLAVE ON *.* TO '${r.user}'@'${net}';
       -- The prober's users (monitoring, heartbeat) and the heartbeat table: the node kit's own SQL.
       ${renderKit("sql-mariadb", {
         MONITOR_USER: m.user,
         MONITOR_PASSWORD: m.password,
         HEARTBEAT_USER: h.user,
         HEARTBEAT_PASSWORD: h.password,
         CLIENT_HOST: net,
       })}
       -- the consistency check reads the lab's application schema: the node kit's SQL for it
       ${renderKit("sql-compare", { COMPARE_SCHEMA: APP_USER.database, MONITOR_USER: m.user, CLIENT_HOST: net })}
       CREATE USER IF NOT EXISTS '${APP_USER.user}'@'${net}' IDENTIFIED BY '${APP_USER.password}';
       GRANT SELECT, INSERT, UPDATE, DELETE ON ${APP_USER.database}.* TO '${APP_USER.user}'@'${net}';`,
      { socket: n.mysql.socket, noBinlog: true },
    );
  }

  private async startReplication(id: NodeId): Promise<void> {
    const p = this.plan;
    const peer = p.nodes[peerOf(id)];
    await sql(
      `CHANGE MASTER TO master_host='${peer.ip}', master_port=${p.mysqlPort},
         master_user='${p.users.replication.user}', master_password='${p.users.replication.password}',
         master_use_gtid=slave_pos, master_connect_retry=1;
       START SLAVE;`,
      { socket: p.nodes[id].mysql.socket },
    );
  }

  private async waitReplicationRunning(timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        for (const id of NODE_IDS) {
          const r = await this.replicationStatus(id);
          if (r.ioRunning !== "Yes" || r.sqlRunning !== "Yes") return false;
        }
        return true;
      },
      { timeoutMs, what: "replication IO and SQL threads running on both nodes" },
    );
  }

  private async startForwarder(): Promise<void> {
    const p = this.plan;
    const script = fileURLToPath(new URL("./netns-forwarder.mjs", import.meta.url));
    const prefix = `${p.subnet.replace(/0\/24$/, "")}`;
    const pid = spawnInNetns(
      p.client.ns,
      process.execPath,
      [script, p.client.forwarderSocket, prefix],
      `${p.dir}/forwarder.out`,
    );
    this.updateState((s) => {
      s.forwarderPid = pid;
    });
    await waitFor(() => existsSync(p.client.forwarderSocket), {
      timeoutMs: SHORT,
      intervalMs: 50,
      what: "the client-namespace forwarder to listen",
    });
  }

  async startKeepalived(id: NodeId): Promise<void> {
    const k = this.plan.nodes[id].keepalived;
    for (const f of [k.pidFile, k.vrrpPidFile]) rmSync(f, { force: true });
    const pid = spawnInNetns(
      this.plan.nodes[id].ns,
      "keepalived",
      [
        "--dont-fork",
        "--log-console",
        "--log-detail",
        "--no-syslog",
        "--vrrp",
        `--use-file=${k.configFile}`,
        `--pid=${k.pidFile}`,
        `--vrrp_pid=${k.vrrpPidFile}`,
      ],
      k.outputLog,
      { TMPDIR: k.dumpDir },
    );
    this.updateState((s) => {
      s.pids[id].keepalived = pid;
    });
  }

  /** Waits until both keepalived instances run, one MASTER and one BACKUP (none in FAULT). */
  async waitKeepalivedSettled(timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        const s = await this.status();
        const states = NODE_IDS.map((id) => s.nodes[id].keepalived.state).sort();
        return s.vipHolders.length === 1 && states[0] === "BACKUP" && states[1] === "MASTER";
      },
      { timeoutMs, what: "keepalived to settle: one MASTER holding the VIP, one BACKUP" },
    );
  }

  // ---------------------------------------------------------------- status

  async status(): Promise<LabStatus> {
    const p = this.plan;
    const namespaces = new Set(await netnsList());
    const state = this.readState();
    const nodes = {} as Record<NodeId, LabNodeStatus>;
    await Promise.all(
      NODE_IDS.map(async (id) => {
        nodes[id] = await this.nodeStatus(id, namespaces.has(p.nodes[id].ns), state);
      }),
    );
    const clientExists = namespaces.has(p.client.ns);
    return {
      name: p.name,
      subnet: p.subnet,
      dir: p.dir,
      exists: clientExists || NODE_IDS.some((id) => nodes[id].nsExists),
      vip: p.vip,
      vipHolders: NODE_IDS.filter((id) => nodes[id].vipBound),
      mysqlPort: p.mysqlPort,
      client: {
        ns: p.client.ns,
        nsExists: clientExists,
        bridge: p.client.bridge,
        ip: p.client.ip,
        mac: clientExists ? await this.macOf(p.client.ns, p.client.bridge) : null,
        forwarder: {
          pid: isAlive(state?.forwarderPid, "node") ? (state?.forwarderPid ?? null) : null,
          running: isAlive(state?.forwarderPid, "node"),
          socket: p.client.forwarderSocket,
        },
      },
      nodes,
      faults: state?.faults ?? [],
      users: { ...p.users, app: { ...APP_USER } },
    };
  }

  private async nodeStatus(
    id: NodeId,
    nsExists: boolean,
    state: LabState | undefined,
  ): Promise<LabNodeStatus> {
    const n = this.plan.nodes[id];
    const mysqlPid = state?.pids[id].mysqld;
    const kaPid = state?.pids[id].keepalived;
    const mysqlRunning = isAlive(mysqlPid, "mariadbd");
    const kaRunning = isAlive(kaPid, "keepalived");
    return {
      id,
      ns: n.ns,
      nsExists,
      iface: n.iface,
      ip: n.ip,
      mac: nsExists ? await this.macOf(n.ns, n.iface) : null,
      vipBound: nsExists ? await this.vipBoundOn(id) : false,
      mysql: {
        pid: mysqlRunning ? (mysqlPid ?? null) : null,
        running: mysqlRunning,
        stopped: mysqlRunning && processState(mysqlPid ?? 0) === "T",
        port: this.plan.mysqlPort,
        socket: n.mysql.socket,
        configFile: n.mysql.configFile,
        datadir: n.mysql.datadir,
        errorLog: n.mysql.errorLog,
      },
      keepalived: {
        pid: kaRunning ? (kaPid ?? null) : null,
        running: kaRunning,
        state: kaRunning ? readText(n.keepalived.stateFile) : null,
        priority: n.priority,
        configFile: n.keepalived.configFile,
        pidFile: n.keepalived.pidFile,
        stateFile: n.keepalived.stateFile,
        transitionsLog: n.keepalived.transitionsLog,
        dumpDir: n.keepalived.dumpDir,
        outputLog: n.keepalived.outputLog,
      },
      replication:
        mysqlRunning && processState(mysqlPid ?? 0) !== "T"
          ? await this.replicationStatus(id)
          : {
              configured: false,
              error: mysqlRunning ? "mariadbd is stopped (SIGSTOP)" : "mariadbd is not running",
            },
    };
  }

  async replicationStatus(id: NodeId): Promise<ReplicationStatus> {
    try {
      const rows = await sql("SHOW SLAVE STATUS", {
        socket: this.plan.nodes[id].mysql.socket,
        timeoutMs: 3000,
      });
      const r = rows[0];
      if (!r) return { configured: false };
      return {
        configured: true,
        ioRunning: r.Slave_IO_Running ?? undefined,
        sqlRunning: r.Slave_SQL_Running ?? undefined,
        secondsBehind: r.Seconds_Behind_Master == null ? null : Number(r.Seconds_Behind_Master),
        lastIoError: r.Last_IO_Error ?? "",
        lastSqlError: r.Last_SQL_Error ?? "",
        masterHost: r.Master_Host ?? undefined,
        gtidIoPos: r.Gtid_IO_Pos ?? undefined,
      };
    } catch (error) {
      return { configured: false, error: (error as Error).message };
    }
  }

  private async macOf(ns: string, dev: string): Promise<string | null> {
    const r = await ip(["-n", ns, "-j", "link", "show", "dev", dev], true);
    if (r.code !== 0) return null;
    return (JSON.parse(r.stdout) as { address?: string }[])[0]?.address ?? null;
  }

  async vipBoundOn(id: NodeId): Promise<boolean> {
    const n = this.plan.nodes[id];
    const r = await ip(["-n", n.ns, "-j", "addr", "show", "dev", n.iface], true);
    if (r.code !== 0) return false;
    const links = JSON.parse(r.stdout) as { addr_info?: { local?: string }[] }[];
    return links.some((l) => (l.addr_info ?? []).some((a) => a.local === this.plan.vip));
  }

  async vipHolders(): Promise<NodeId[]> {
    const held = await Promise.all(NODE_IDS.map((id) => this.vipBoundOn(id)));
    return NODE_IDS.filter((_, i) => held[i]);
  }

  async waitSingleHolder(timeoutMs: number): Promise<NodeId> {
    return waitFor(
      async () => {
        const h = await this.vipHolders();
        return h.length === 1 ? h[0] : undefined;
      },
      { timeoutMs, what: `the VIP ${this.plan.vip} to be bound on exactly one node` },
    );
  }

  /** Runs SQL as root on one node over its unix socket. */
  async sqlOn(id: NodeId, statements: string, opts: { timeoutMs?: number; noBinlog?: boolean } = {}) {
    return sql(statements, { socket: this.plan.nodes[id].mysql.socket, ...opts });
  }

  /** Runs SQL as the lab's application user from the client namespace, over TCP to `host` (the VIP by default). */
  async sqlFromClient(statements: string, host = this.plan.vip, timeoutMs = SHORT) {
    const r = await run(
      "ip",
      [
        "netns",
        "exec",
        this.plan.client.ns,
        "mariadb",
        "--no-defaults",
        `--host=${host}`,
        `--port=${this.plan.mysqlPort}`,
        `--user=${APP_USER.user}`,
        `--password=${APP_USER.password}`,
        "--connect-timeout=3",
        "--batch",
        APP_USER.database,
      ],
      { timeoutMs, input: statements },
    );
    return parseBatch(r.stdout);
  }

  /** The node-check parameters for one lab node (its VIP, keepalived's files, the notify log). */
  nodeCheckParams(id: NodeId, since?: number): NodeCheckParams {
    const n = this.plan.nodes[id];
    return {
      Vip: this.plan.vip,
      Interface: n.iface,
      MysqlPort: this.plan.mysqlPort,
      KeepalivedPidFile: n.keepalived.pidFile,
      KeepalivedDumpDir: n.keepalived.dumpDir,
      NotifyStateFile: n.keepalived.stateFile,
      NotifyLog: n.keepalived.transitionsLog,
      ...(since !== undefined ? { Since: since } : {}),
    };
  }

  // ---------------------------------------------------------------- faults

  async fault(kind: FaultKind, id: NodeId): Promise<AppliedFault> {
    assertRoot();
    if (!this.readState()) throw new LabError(`lab ${this.plan.name} is not up`);
    const at = new Date().toISOString();
    const detail = await FAULTS[kind].apply(this, id);
    const applied: AppliedFault = { kind, node: id, at, ...(detail ? { detail } : {}) };
    this.updateState((s) => {
      s.faults.push(applied);
    });
    return applied;
  }

  /**
   * A divergence on node `id` (lab/divergence.ts): the drill's tables seeded once through replication (on
   * the other node, then awaited on this one by GTID), then the write on this node with sql_log_bin=0.
   * Never seeded again once they exist: a replicated INSERT of a row this node deleted alone would stop
   * its replication.
   */
  async diverge(kind: DivergenceKind, id: NodeId): Promise<AppliedDivergence> {
    assertRoot();
    if (!this.readState()) throw new LabError(`lab ${this.plan.name} is not up`);
    const peer = peerOf(id);
    const missing = async (table: string) =>
      (await this.sqlOn(peer, `SHOW TABLES FROM lab LIKE '${table}'`)).length === 0;
    const seeds = [
      ...((await missing("drill")) ? [DIVERGENCE_SEED] : []),
      ...((await missing("drill_log")) ? [DIVERGENCE_SEED_KEYLESS] : []),
    ];
    if (seeds.length > 0) {
      await this.sqlOn(peer, seeds.join("\n"), { timeoutMs: 30_000 });
      const [row] = await this.sqlOn(peer, "SELECT @@GLOBAL.gtid_binlog_pos AS p");
      const seeded = MariadbPosition.parse(String(row?.p ?? ""));
      await waitFor(
        async () => {
          const [mine] = await this.sqlOn(id, "SELECT @@GLOBAL.gtid_binlog_pos AS p");
          return MariadbPosition.parse(String(mine?.p ?? "")).contains(seeded);
        },
        { timeoutMs: 30_000, what: `node ${id.toUpperCase()} to apply the drill's tables` },
      );
    }
    const d = divergence(kind, id);
    await this.sqlOn(id, d.sql, { noBinlog: true, timeoutMs: 10_000 });
    return { kind, node: id, at: new Date().toISOString(), describe: d.describe, expected: d.expected };
  }

  /** The pid the lab started for a node's process (FaultContext). */
  pidOf(id: NodeId, what: "mysqld"): number | undefined {
    return this.readState()?.pids[id][what];
  }

  /** keepalived's state on a node, as its notify script last wrote it (FaultContext). */
  keepalivedState(id: NodeId): string | null {
    return readText(this.plan.nodes[id].keepalived.stateFile);
  }

  /**
   * Undoes every fault: resumes or restarts mariadbd, restarts keepalived, removes firewall and
   * bridge rules, repairs broken replication. Then waits for one VIP holder and replication running.
   */
  async heal(opts: { timeoutMs?: number } = {}): Promise<LabStatus> {
    assertRoot();
    const p = this.plan;
    const st = this.readState();
    if (!st) throw new LabError(`lab ${p.name} is not up`);
    const timeoutMs = opts.timeoutMs ?? 60_000;
    // what only the fault itself knows how to undo, then the generic repair
    for (const f of st.faults.filter((x) => x.kind !== "replication-break"))
      await FAULTS[f.kind]?.heal?.(this, f.node, f.detail).catch(() => {}); // a node may be down: the generic repair follows
    for (const id of NODE_IDS) {
      const n = p.nodes[id];
      for (const chain of ["INPUT", "OUTPUT"]) {
        await run("ip", ["netns", "exec", n.ns, "iptables", "-F", chain], {
          timeoutMs: SHORT,
          allowFailure: true,
        });
      }
      await run("bridge", ["-n", p.client.ns, "link", "set", "dev", n.bridgePort, "isolated", "off"], {
        timeoutMs: SHORT,
        allowFailure: true,
      });
      await run(
        "ip",
        ["netns", "exec", p.client.ns, "nft", "delete", "table", "bridge", `lab_blackhole_${id}`],
        {
          timeoutMs: SHORT,
          allowFailure: true,
        },
      );
      const pid = st.pids[id].mysqld;
      if (isAlive(pid, "mariadbd")) {
        signal(pid as number, "SIGCONT");
      } else {
        await this.startMysql(id);
      }
    }
    await Promise.all(NODE_IDS.map((id) => this.waitMysql(id)));
    for (const f of st.faults.filter((x) => x.kind === "replication-break"))
      await FAULTS["replication-break"].heal?.(this, f.node, f.detail);
    for (const id of NODE_IDS) await this.sqlOn(id, "START SLAVE");
    for (const id of NODE_IDS) {
      if ((await pidsByName(p.nodes[id].ns, "keepalived")).length === 0) {
        // A keepalived killed with -9 leaves its VIP behind: remove it before starting afresh.
        const n = p.nodes[id];
        await ip(["-n", n.ns, "addr", "del", `${p.vip}/${p.prefixLength}`, "dev", n.iface], true);
        await this.startKeepalived(id);
      }
    }
    if (!isAlive(this.readState()?.forwarderPid, "node")) await this.startForwarder();
    this.updateState((s) => {
      s.faults = [];
    });
    await this.waitReplicationRunning(timeoutMs);
    await this.waitSingleHolder(timeoutMs);
    await this.waitKeepalivedSettled(timeoutMs);
    await this.healEc2();
    // The client may still map the VIP to the MAC of a node that gave it up (after a split brain the
    // node that kept it sends no gratuitous ARP until its next refresh): forget it, as a known-good
    // state requires.
    await ip(["-n", p.client.ns, "neigh", "flush", "to", p.vip], true);
    return this.status();
  }

  /**
   * The lab's EC2 after a fault: the switch off, and the VIP assigned (and routed) to the holder where
   * the record says otherwise, as an operator would run the notify script's commands by hand.
   */
  private async healEc2(): Promise<void> {
    const p = this.plan;
    rmSync(p.ec2.faultFile, { force: true });
    const holder = (await this.vipHolders())[0];
    if (!holder) return;
    const eni = p.ec2.nodes[holder].networkInterfaceId;
    const world = new Ec2World({
      callsLog: p.ec2.callsLog,
      faultFile: p.ec2.faultFile,
      ...labEc2Topology(p),
    });
    const now = world.state();
    if (now.secondary.get(p.vip) !== eni)
      await run(
        p.ec2.awsCli,
        [
          "ec2",
          "assign-private-ip-addresses",
          "--network-interface-id",
          eni,
          "--private-ip-addresses",
          p.vip,
          "--allow-reassignment",
        ],
        { timeoutMs: SHORT },
      );
    for (const rt of p.ec2.routeTableIds)
      if (now.routes.get(rt)?.get(`${p.vip}/32`) !== eni)
        await run(
          p.ec2.awsCli,
          [
            "ec2",
            "replace-route",
            "--route-table-id",
            rt,
            "--destination-cidr-block",
            `${p.vip}/32`,
            "--network-interface-id",
            eni,
          ],
          { timeoutMs: SHORT },
        );
  }

  // ---------------------------------------------------------------- state file

  private readState(): LabState | undefined {
    try {
      return JSON.parse(readFileSync(this.plan.stateFile, "utf8")) as LabState;
    } catch {
      return undefined;
    }
  }

  private writeState(s: LabState): void {
    writeFileSync(`${this.plan.stateFile}.tmp`, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o644 });
    // rename is atomic: a crash never leaves a half-written state file
    renameSync(`${this.plan.stateFile}.tmp`, this.plan.stateFile);
  }

  private updateState(change: (s: LabState) => void): void {
    const s = this.readState();
    if (!s) throw new LabError(`lab state file ${this.plan.stateFile} is missing`);
    change(s);
    this.writeState(s);
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, "utf8").trim() || null;
  } catch {
    return null;
  }
}

function mysqlIds(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("mysql:"));
  if (!line) throw new LabError("no 'mysql' system user: is mariadb-server installed?");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}
