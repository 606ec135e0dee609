/** What the prober needs to probe a lab: the target and the ports wired to the lab's namespaces. */
import { forwarderStreamOpener } from "../shared/adapters/forwarder-stream.ts";
import { MysqlProbe } from "../shared/adapters/mysql-probe.ts";
import { NetnsNodeChecker } from "../shared/adapters/netns-runner.ts";
import type { ProbeTarget } from "../shared/pipeline.ts";
import type { NodeChecker, SqlProbe } from "../shared/ports.ts";
import type { Lab } from "./lab.ts";

export function labProbeTarget(lab: Lab, name = lab.plan.name): ProbeTarget {
  const p = lab.plan;
  const node = (id: "a" | "b") => {
    const { Since: _s, ...nodeCheck } = lab.nodeCheckParams(id);
    return { host: p.nodes[id].ip, port: p.mysqlPort, nodeCheck };
  };
  return { name, vip: { host: p.vip, port: p.mysqlPort }, nodes: { a: node("a"), b: node("b") } };
}

export function labPorts(lab: Lab): { sql: SqlProbe; nodeCheckers: Record<"a" | "b", NodeChecker> } {
  const p = lab.plan;
  return {
    sql: new MysqlProbe({
      user: p.users.monitor.user,
      password: p.users.monitor.password,
      openStream: forwarderStreamOpener(p.client.forwarderSocket),
    }),
    nodeCheckers: { a: new NetnsNodeChecker(p.nodes.a.ns), b: new NetnsNodeChecker(p.nodes.b.ns) },
  };
}

/** A ready prober configuration for this lab (netns runners, the forwarder, embedded store and mail). */
export function labConfig(lab: Lab): Record<string, unknown> {
  const p = lab.plan;
  const third = Number(p.subnet.split(".")[2]);
  const node = (id: "a" | "b") => ({
    host: p.nodes[id].ip,
    port: p.mysqlPort,
    runner: { type: "netns", namespace: p.nodes[id].ns },
    nodeCheck: {
      interface: p.nodes[id].iface,
      keepalivedPidFile: p.nodes[id].keepalived.pidFile,
      keepalivedDumpDir: p.nodes[id].keepalived.dumpDir,
      notifyStateFile: p.nodes[id].keepalived.stateFile,
      notifyLog: p.nodes[id].keepalived.transitionsLog,
    },
  });
  return {
    clusters: [
      {
        name: p.name === "mhp" ? "lab" : `lab-${p.name}`,
        vip: { host: p.vip, port: p.mysqlPort },
        mysql: { user: p.users.monitor.user, password: p.users.monitor.password },
        nodes: { a: node("a"), b: node("b") },
        forwarderSocket: p.client.forwarderSocket,
      },
    ],
    store: { type: "embedded", dataDir: `${p.dir}/store`, tableName: "mysql-ha-prober" },
    // one mail port per lab subnet, so two labs' viewers do not collide
    mail: { type: "embedded", port: 8005 + third, from: "prober@lab.invalid", to: ["ops@lab.invalid"] },
  };
}

export function labConfigPath(lab: Lab): string {
  return `${lab.plan.dir}/prober.yaml`;
}
