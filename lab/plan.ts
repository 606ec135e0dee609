/**
 * The lab's plan: every name, address and path, computed from a lab name and a subnet. Pure.
 */
import { join } from "node:path";
import * as z from "zod";

export const NODE_IDS = ["a", "b"] as const;
export type NodeId = (typeof NODE_IDS)[number];

/** Where labs keep their files unless MHP_LAB_ROOT says otherwise. Root-owned, 0755. */
export const DEFAULT_LAB_ROOT = "/var/lib/mysql-ha-prober/labs";

export const LabOptionsSchema = z.object({
  /** Lab name, also the network-namespace prefix. Short, so interface names stay under 16 bytes. */
  name: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,7}$/, "must be 1-8 lower-case letters or digits, starting with a letter")
    .default("mhp"),
  /**
   * A /24 inside 198.18.0.0/15 (RFC 2544 benchmarking range), so lab traffic can never be
   * mistaken for, or routed to, a real network.
   */
  subnet: z
    .string()
    .regex(
      /^198\.(18|19)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.0\/24$/,
      "must be a /24 inside 198.18.0.0/15, e.g. 198.18.0.0/24",
    )
    .default("198.18.0.0/24"),
  /** Directory under which the lab's files live. */
  root: z.string().startsWith("/", "must be an absolute path").default(DEFAULT_LAB_ROOT),
});
export type LabOptions = z.input<typeof LabOptionsSchema>;

export interface LabNodePlan {
  id: NodeId;
  ns: string;
  iface: string;
  /** The bridge port in the client namespace that this node's cable plugs into. */
  bridgePort: string;
  ip: string;
  mac: string;
  serverId: number;
  priority: number;
  dir: string;
  mysql: {
    configFile: string;
    datadir: string;
    runDir: string;
    socket: string;
    pidFile: string;
    errorLog: string;
    tmpDir: string;
  };
  keepalived: {
    dir: string;
    configFile: string;
    pidFile: string;
    vrrpPidFile: string;
    checkScript: string;
    notifyScript: string;
    stateFile: string;
    transitionsLog: string;
    /** keepalived's TMPDIR: where its DATA/JSON dumps land (one per node, or they overwrite each other). */
    dumpDir: string;
    outputLog: string;
  };
}

export interface LabPlan {
  name: string;
  subnet: string;
  prefixLength: 24;
  root: string;
  dir: string;
  stateFile: string;
  vip: string;
  mysqlPort: number;
  vrrpInstance: string;
  virtualRouterId: number;
  vrrpPassword: string;
  client: {
    ns: string;
    bridge: string;
    ip: string;
    mac: string;
    /** Unix socket of the forwarder that opens TCP connections from inside the client namespace. */
    forwarderSocket: string;
    /**
     * The prober's push channel: the nodes' notify scripts write a line on every keepalived
     * transition, `watch` probes at once. A FIFO in the lab directory (the namespaces share the files).
     */
    triggerFifo: string;
  };
  nodes: Record<NodeId, LabNodePlan>;
  users: {
    replication: { user: string; password: string };
    monitor: { user: string; password: string };
    /** The heartbeat's own user: SELECT and UPDATE on the heartbeat table, nothing else. */
    heartbeat: { user: string; password: string };
  };
  /**
   * The lab's EC2 (lab/ec2-standin.ts): each node's network interface and instance, two route tables
   * (two "zones"), the stand-in `aws` CLI the notify scripts run, its calls log and its fault switch.
   */
  ec2: {
    awsCli: string;
    callsLog: string;
    faultFile: string;
    nodes: Record<NodeId, { networkInterfaceId: string; instanceId: string }>;
    routeTableIds: string[];
  };
}

export function planLab(input: LabOptions = {}): LabPlan {
  const opts = LabOptionsSchema.parse(input);
  const base = opts.subnet.replace(/\.0\/24$/, "");
  const third = Number(base.split(".")[2]);
  const dir = join(opts.root, opts.name);
  const mac = (host: number) =>
    `02:c6:12:${hex(third)}:${hex(opts.subnet.startsWith("198.19") ? 1 : 0)}:${hex(host)}`;
  const node = (id: NodeId, host: number, serverId: number, priority: number): LabNodePlan => {
    const ndir = join(dir, id);
    const kdir = join(dir, "keepalived", id);
    return {
      id,
      ns: `${opts.name}-${id}`,
      iface: "eth0",
      bridgePort: `p${id}`,
      ip: `${base}.${host}`,
      mac: mac(host),
      serverId,
      priority,
      dir: ndir,
      mysql: {
        configFile: join(ndir, "my.cnf"),
        datadir: join(ndir, "data"),
        runDir: join(ndir, "run"),
        socket: join(ndir, "run", "mysqld.sock"),
        pidFile: join(ndir, "run", "mysqld.pid"),
        errorLog: join(ndir, "run", "mysqld.err"),
        tmpDir: join(ndir, "tmp"),
      },
      keepalived: {
        dir: kdir,
        configFile: join(kdir, "keepalived.conf"),
        pidFile: join(kdir, "keepalived.pid"),
        vrrpPidFile: join(kdir, "vrrp.pid"),
        checkScript: join(kdir, "check_mysql.sh"),
        notifyScript: join(kdir, "notify.sh"),
        stateFile: join(kdir, "state"),
        transitionsLog: join(kdir, "transitions.log"),
        dumpDir: join(kdir, "tmp"),
        outputLog: join(kdir, "keepalived.out"),
      },
    };
  };
  return {
    name: opts.name,
    subnet: opts.subnet,
    prefixLength: 24,
    root: opts.root,
    dir,
    stateFile: join(dir, "lab.json"),
    vip: `${base}.100`,
    mysqlPort: 3306,
    vrrpInstance: "VI_MYSQL",
    virtualRouterId: 51,
    // Lab-only credentials: the lab is isolated in its own namespaces and reachable from nowhere else.
    vrrpPassword: "labvrrp1",
    client: {
      ns: `${opts.name}-c`,
      bridge: "br0",
      ip: `${base}.10`,
      mac: mac(10),
      forwarderSocket: join(dir, "client.sock"),
      triggerFifo: join(dir, "triggers.fifo"),
    },
    nodes: { a: node("a", 11, 1, 100), b: node("b", 12, 2, 90) },
    users: {
      replication: { user: "repl", password: "lab-repl-pw" },
      monitor: { user: "prober", password: "lab-prober-pw" },
      heartbeat: { user: "prober_hb", password: "lab-heartbeat-pw" },
    },
    ec2: {
      awsCli: join(dir, "ec2", "aws"),
      callsLog: join(dir, "ec2", "calls.log"),
      faultFile: join(dir, "ec2", "fault"),
      // the instance ids are the rehearsal's managed-node ids (lab/lab-config.ts LAB_INSTANCE_IDS)
      nodes: {
        a: { networkInterfaceId: "eni-0000000000000000a", instanceId: "i-0000000000000000a" },
        b: { networkInterfaceId: "eni-0000000000000000b", instanceId: "i-0000000000000000b" },
      },
      routeTableIds: ["rtb-00000000000000001", "rtb-00000000000000002"],
    },
  };
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}

export function peerOf(id: NodeId): NodeId {
  return id === "a" ? "b" : "a";
}
