/**
 * The lab's faults, one entry each: how to apply it to a node and, when the generic heal (restart what
 * is down, flush firewalls, repair replication, wait for one VIP holder) is not enough, how to undo it.
 * A new fault is one entry here; the CLI, `heal` and the bench read this table.
 */
import { rmSync, writeFileSync } from "node:fs";
import { run } from "../shared/util/exec.ts";
import { waitFor } from "../shared/util/wait.ts";
import { FAULT_KINDS, type FaultKind } from "./fault-kinds.ts";
import type { LabPlan, NodeId } from "./plan.ts";
import { peerOf } from "./plan.ts";
import { isAlive, LabError, pidsByName, SHORT, signal, spawnInNetns } from "./system.ts";
import { keepalivedConf } from "./templates.ts";

export type FaultDetail = Record<string, string | number>;

/** What a fault may do to the lab (implemented by Lab). */
export interface FaultContext {
  readonly plan: LabPlan;
  pidOf(id: NodeId, what: "mysqld"): number | undefined;
  sqlOn(id: NodeId, statements: string, opts?: { timeoutMs?: number; noBinlog?: boolean }): Promise<unknown>;
  sqlFromClient(statements: string, host?: string): Promise<unknown>;
  startMysql(id: NodeId): Promise<void>;
  waitMysql(id: NodeId, timeoutMs?: number): Promise<void>;
  startKeepalived(id: NodeId): Promise<void>;
  vipBoundOn(id: NodeId): Promise<boolean>;
  keepalivedState(id: NodeId): string | null;
}

export interface Fault {
  /** One line for `lab fault --help` and docs/lab.md's table. */
  readonly describe: string;
  apply(lab: FaultContext, id: NodeId): Promise<FaultDetail | undefined>;
  /** Undoes what the generic heal does not. */
  heal?(lab: FaultContext, id: NodeId, detail: FaultDetail | undefined): Promise<void>;
}

const LONG = 30_000;

async function liveMysqld(lab: FaultContext, id: NodeId): Promise<number> {
  const pid = lab.pidOf(id, "mysqld");
  if (!isAlive(pid, "mariadbd")) throw new LabError(`mariadbd is not running on node ${id}`);
  return pid as number;
}

async function keepalivedPids(lab: FaultContext, id: NodeId): Promise<number[]> {
  const pids = await pidsByName(lab.plan.nodes[id].ns, "keepalived");
  if (pids.length === 0) throw new LabError(`keepalived is not running on node ${id}`);
  return pids;
}

/** The flag file the lab's track script honours: while it exists, that node's MySQL check fails. */
export function forceFaultFile(plan: LabPlan, id: NodeId): string {
  return `${plan.nodes[id].keepalived.dir}/force-fault`;
}

async function waitState(lab: FaultContext, id: NodeId, state: string, what: string): Promise<void> {
  await waitFor(() => lab.keepalivedState(id) === state, { timeoutMs: LONG, intervalMs: 50, what });
}

/** Sets the lab's EC2 fault switch (lab/ec2-standin.ts); heal removes it and repairs the assignment. */
function ec2Fault(describe: string, content: string): Fault {
  return {
    describe,
    apply: async (lab) => {
      writeFileSync(lab.plan.ec2.faultFile, `${content}\n`, { mode: 0o644 });
      return undefined;
    },
    heal: async (lab) => rmSync(lab.plan.ec2.faultFile, { force: true }),
  };
}

export const FAULTS: Record<FaultKind, Fault> = {
  "ec2-assign-fail": ec2Fault(
    "the notify scripts' `aws ec2` calls fail from now on (the node is ignored): the next failover leaves EC2 routing the VIP to the old holder",
    "fail",
  ),
  "ec2-assign-lag": ec2Fault(
    "the notify scripts' `aws ec2` calls take effect 20 s late from now on (the node is ignored): EC2 remaps asynchronously",
    "lag 20",
  ),
  "ec2-api-throttle": ec2Fault(
    "the EC2 API answers RequestLimitExceeded to the prober's Describe calls (the node is ignored)",
    "api-throttle",
  ),
  "keepalived-conf-master": keepalivedConfFault(
    "keepalived restarted on this node with `state MASTER` (keepalived then clears nopreempt)",
    (c) => c.replace(/^(\s+)state BACKUP$/m, "$1state MASTER"),
  ),
  "keepalived-conf-advert": keepalivedConfFault(
    "keepalived restarted on this node with advert_int 2 (the peer has 1): adverts are dropped",
    (c) => c.replace(/^(\s+)advert_int 1$/m, "$1advert_int 2"),
  ),
  "keepalived-conf-priority": keepalivedConfFault(
    "keepalived restarted on this node with the peer's priority",
    (c, lab, id) => c.replace(/^(\s+)priority \d+$/m, `$1priority ${lab.plan.nodes[peerOf(id)].priority}`),
  ),
  "keepalived-conf-preempt": keepalivedConfFault("keepalived restarted on this node without nopreempt", (c) =>
    c.replace(/^\s+nopreempt\n/m, ""),
  ),
  "mysql-kill": {
    describe: "kill -9 mariadbd (no restart)",
    apply: async (lab, id) => {
      signal(await liveMysqld(lab, id), "SIGKILL");
      return undefined;
    },
  },
  "mysql-stop": {
    describe: "a clean shutdown of mariadbd (SIGTERM)",
    apply: async (lab, id) => {
      const pid = await liveMysqld(lab, id);
      signal(pid, "SIGTERM");
      await waitFor(() => !isAlive(pid, "mariadbd"), {
        timeoutMs: 60_000,
        what: `mariadbd on ${id} to stop`,
      });
      return undefined;
    },
  },
  "mysql-hang": {
    describe: "SIGSTOP mariadbd: connections hang",
    apply: async (lab, id) => {
      signal(await liveMysqld(lab, id), "SIGSTOP");
      return undefined;
    },
  },
  "mysql-restart": {
    describe:
      "a crash and an immediate restart of mariadbd (as mysqld_safe or systemd would), over within seconds",
    apply: async (lab, id) => {
      const pid = await liveMysqld(lab, id);
      signal(pid, "SIGKILL");
      await waitFor(() => !isAlive(pid, "mariadbd"), { timeoutMs: SHORT, what: `mariadbd on ${id} to die` });
      await lab.startMysql(id);
      await lab.waitMysql(id);
      return { killedPid: pid };
    },
  },
  "keepalived-kill": {
    describe: "kill -9 keepalived (the VIP stays bound where it was)",
    apply: async (lab, id) => {
      for (const pid of await keepalivedPids(lab, id)) signal(pid, "SIGKILL");
      await waitFor(async () => (await pidsByName(lab.plan.nodes[id].ns, "keepalived")).length === 0, {
        timeoutMs: SHORT,
        what: `keepalived on ${id} to die`,
      });
      return undefined;
    },
  },
  "keepalived-restart": {
    describe: "stop keepalived cleanly and start it again (a package upgrade, a config reload gone wrong)",
    apply: async (lab, id) => {
      const ns = lab.plan.nodes[id].ns;
      for (const pid of await keepalivedPids(lab, id)) signal(pid, "SIGTERM");
      await waitFor(async () => (await pidsByName(ns, "keepalived")).length === 0, {
        timeoutMs: SHORT,
        what: `keepalived on ${id} to stop`,
      });
      await lab.startKeepalived(id);
      await waitFor(async () => ["MASTER", "BACKUP"].includes(lab.keepalivedState(id) ?? ""), {
        timeoutMs: LONG,
        what: `keepalived on ${id} to run again`,
      });
      return undefined;
    },
  },
  "keepalived-flap": {
    describe:
      "the VIP holder loses MASTER and regains it within seconds (its track script fails, then the peer's): a flap between probes",
    apply: async (lab, id) => {
      const peer = peerOf(id);
      if (!(await lab.vipBoundOn(id)))
        throw new LabError(`node ${id} does not hold the VIP: flap the holder`);
      const flag = (n: NodeId) => forceFaultFile(lab.plan, n);
      writeFileSync(flag(id), "keepalived-flap\n");
      await waitFor(() => lab.vipBoundOn(peer), {
        timeoutMs: LONG,
        intervalMs: 50,
        what: `the VIP to move to ${peer}`,
      });
      rmSync(flag(id), { force: true });
      await waitState(lab, id, "BACKUP", `node ${id} to be BACKUP again`);
      writeFileSync(flag(peer), "keepalived-flap\n");
      await waitFor(() => lab.vipBoundOn(id), {
        timeoutMs: LONG,
        intervalMs: 50,
        what: `the VIP to come back to ${id}`,
      });
      rmSync(flag(peer), { force: true });
      await waitState(lab, peer, "BACKUP", `node ${peer} to be BACKUP again`);
      return undefined;
    },
    heal: async (lab) => {
      for (const n of ["a", "b"] as const) rmSync(forceFaultFile(lab.plan, n), { force: true });
    },
  },
  "vrrp-block": {
    describe: "drop VRRP both ways on this node: both nodes become MASTER (split brain)",
    apply: async (lab, id) => {
      // The seed design's split-brain cause: a firewall on one node that drops VRRP. Dropped both
      // ways, so neither node hears the other whatever their priorities: both become MASTER.
      // (Dropping only INPUT splits the brain only when this node has the lower priority.)
      for (const chain of ["INPUT", "OUTPUT"]) {
        await run(
          "ip",
          ["netns", "exec", lab.plan.nodes[id].ns, "iptables", "-I", chain, "-p", "vrrp", "-j", "DROP"],
          {
            timeoutMs: SHORT,
          },
        );
      }
      return undefined;
    },
  },
  partition: {
    describe: "the nodes cannot reach each other; the client still reaches both",
    apply: async (lab) => {
      // Isolated bridge ports cannot talk to each other; the client (the bridge itself) still reaches both.
      for (const other of ["a", "b"] as const) {
        await run(
          "bridge",
          [
            "-n",
            lab.plan.client.ns,
            "link",
            "set",
            "dev",
            lab.plan.nodes[other].bridgePort,
            "isolated",
            "on",
          ],
          {
            timeoutMs: SHORT,
          },
        );
      }
      return undefined;
    },
  },
  blackhole: {
    describe: "the client's frames to this node's MAC vanish (its IP, and the VIP when it holds it)",
    apply: async (lab, id) => {
      await run("ip", ["netns", "exec", lab.plan.client.ns, "nft", "-f", "-"], {
        timeoutMs: SHORT,
        input: blackholeRules(id, lab.plan.nodes[id].mac),
      });
      return undefined;
    },
  },
  "replication-stop": {
    describe: "STOP SLAVE on this node (replication into it)",
    apply: async (lab, id) => {
      await lab.sqlOn(id, "STOP SLAVE");
      return undefined;
    },
  },
  "replication-break": {
    describe: "a duplicate-key conflict: the SQL thread into this node stops with error 1062",
    apply: async (lab, id) => {
      // A row that exists only on this node (not binlogged), then the same key written on the
      // peer: when it replicates here, the SQL thread stops on a duplicate-key error (1062).
      const key = Date.now();
      await lab.sqlOn(id, `INSERT INTO lab.conflicts (id, node) VALUES (${key}, '${id}')`, {
        noBinlog: true,
      });
      await lab.sqlOn(peerOf(id), `INSERT INTO lab.conflicts (id, node) VALUES (${key}, '${peerOf(id)}')`);
      return { conflictId: key };
    },
    heal: async (lab, id, detail) => {
      await lab.sqlOn(id, `DELETE FROM lab.conflicts WHERE id = ${Number(detail?.conflictId)}`, {
        noBinlog: true,
      });
    },
  },
  "errant-write": {
    describe: "one INSERT straight to this node's real IP, bypassing the VIP (as a misconfigured app would)",
    apply: async (lab, id) => {
      await lab.sqlFromClient(`INSERT INTO writes (via) VALUES ('errant:${id}')`, lab.plan.nodes[id].ip);
      return undefined;
    },
  },
  "read-only": {
    describe: "SET GLOBAL read_only = ON (on the holder: every application write fails)",
    apply: async (lab, id) => {
      await lab.sqlOn(id, "SET GLOBAL read_only = ON");
      return undefined;
    },
    heal: async (lab, id) => {
      await lab.sqlOn(id, "SET GLOBAL read_only = OFF");
    },
  },
  "global-read-lock": {
    describe: "a session holding FLUSH TABLES WITH READ LOCK (a backup tool left it): writes hang",
    apply: async (lab, id) => {
      const n = lab.plan.nodes[id];
      const marker = `mhp-lab-global-read-lock-${Date.now()}`;
      // The lock lives as long as this session: a client left running in the node's namespace.
      const pid = spawnInNetns(
        n.ns,
        "mariadb",
        [
          "--no-defaults",
          `--socket=${n.mysql.socket}`,
          "-uroot",
          "-e",
          `FLUSH TABLES WITH READ LOCK; SELECT '${marker}', SLEEP(86400)`,
        ],
        `${n.keepalived.dir}/global-read-lock.out`,
      );
      await waitFor(
        async () =>
          JSON.stringify(
            await lab.sqlOn(
              id,
              "SELECT INFO FROM information_schema.PROCESSLIST WHERE INFO LIKE '%SLEEP(86400)%'",
            ),
          ).includes(marker),
        { timeoutMs: SHORT, intervalMs: 50, what: `the read lock on ${id} to be held` },
      );
      return { clientPid: pid, marker };
    },
    heal: async (lab, id, detail) => {
      // The server keeps a sleeping session (and its lock) after its client dies: KILL it there.
      const rows = (await lab.sqlOn(
        id,
        `SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%${String(detail?.marker)}%' AND INFO NOT LIKE '%PROCESSLIST%'`,
      )) as { ID?: string | null }[];
      for (const r of rows) if (r.ID) await lab.sqlOn(id, `KILL ${Number(r.ID)}`);
      const pid = Number(detail?.clientPid);
      if (pid > 0) signal(pid, "SIGKILL");
      await waitFor(() => !isAlive(pid, "mariadb"), {
        timeoutMs: SHORT,
        what: "the read-lock client to end",
      });
    },
  },
};

/** Restarts keepalived on a node with `config` (a clean stop, then a start), and waits until it runs. */
async function restartKeepalivedWith(lab: FaultContext, id: NodeId, config: string): Promise<void> {
  const ns = lab.plan.nodes[id].ns;
  writeFileSync(lab.plan.nodes[id].keepalived.configFile, config, { mode: 0o644 });
  for (const pid of await keepalivedPids(lab, id)) signal(pid, "SIGTERM");
  await waitFor(async () => (await pidsByName(ns, "keepalived")).length === 0, {
    timeoutMs: SHORT,
    what: `keepalived on ${id} to stop`,
  });
  await lab.startKeepalived(id);
  await waitFor(
    async () =>
      ["MASTER", "BACKUP"].includes(lab.keepalivedState(id) ?? "") &&
      (await pidsByName(ns, "keepalived")).length > 0,
    {
      timeoutMs: LONG,
      what: `keepalived on ${id} to run again`,
    },
  );
}

/** A fault that runs keepalived on the node with its configuration changed; heal restores it. */
function keepalivedConfFault(
  describe: string,
  change: (conf: string, lab: FaultContext, id: NodeId) => string,
): Fault {
  return {
    describe,
    apply: async (lab, id) => {
      const conf = keepalivedConf(lab.plan, lab.plan.nodes[id]);
      const changed = change(conf, lab, id);
      if (changed === conf) throw new LabError("the keepalived configuration did not change");
      await restartKeepalivedWith(lab, id, changed);
      return undefined;
    },
    heal: async (lab, id) => {
      await restartKeepalivedWith(lab, id, keepalivedConf(lab.plan, lab.plan.nodes[id]));
    },
  };
}

/** nftables rules for the client namespace: frames the client sends to this node's MAC are dropped. */
export function blackholeRules(id: NodeId, mac: string): string {
  return `table bridge lab_blackhole_${id} {
  chain out_to_node {
    type filter hook output priority 0; policy accept;
    ether daddr ${mac} drop
  }
}
`;
}

// every kind has exactly one entry (the type says so; this says it at run time too, for the bench)
for (const k of FAULT_KINDS) if (!FAULTS[k]) throw new Error(`fault ${k} has no entry`);
