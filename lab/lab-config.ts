/** What the prober needs to probe a lab: the target and the ports wired to the lab's namespaces. */
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { type LabClusterConfig, LabClusterSchema } from "../shared/config.ts";
import type { Ec2Mode } from "../shared/domain/ec2.ts";
import type { ProbeTarget } from "../shared/pipeline.ts";
import { targetFromConfig } from "../shared/target.ts";
import { type Observers, observersFor } from "../shared/wiring.ts";
import { APP_USER, type Lab } from "./lab.ts";

import { labTlsPaths } from "./tls.ts";

/**
 * The lab's EC2 view choice: off (the lab's default: on its L2 segment ARP is the truth), or one of
 * the EC2 modes answered by the lab's EC2 stand-in (the ARP view is then not applicable).
 */
export type LabEc2Option = { ec2?: Ec2Mode };

/** The lab's cluster, parsed with the CLI's schema (what `lab up` writes). */
export function labCluster(lab: Lab, name?: string, o: LabEc2Option = {}): LabClusterConfig {
  const c = LabClusterSchema.parse((labConfig(lab, o) as { clusters: unknown[] }).clusters[0]);
  return name ? { ...c, name } : c;
}

/** The EC2 view of the lab in the given mode: the lab's interfaces, instances and route tables. */
export function labEc2(lab: Lab, mode: Ec2Mode) {
  const e = lab.plan.ec2;
  return {
    mode,
    ...(mode === "route-table" ? { routeTableIds: e.routeTableIds } : {}),
    nodes: e.nodes,
    // the lab's stand-in lags 20 s under ec2-assign-lag: a grace that outlasts it, and tells a failure apart
    graceSeconds: 30,
  };
}

/** The probe target of the lab, as the CLI builds it from the lab's configuration. */
export function labProbeTarget(lab: Lab, name?: string): ProbeTarget {
  return targetFromConfig(labCluster(lab, name));
}

/** The lab's observers, built by the same wiring as the CLI and the function. */
export function labPorts(lab: Lab): Observers {
  return observersFor(labCluster(lab), {
    password: lab.plan.users.monitor.password,
    heartbeatPassword: lab.plan.users.heartbeat.password,
  });
}

/** The node check's settings for a lab node: its interface and keepalived's files. */
function labNodeCheck(lab: Lab, id: "a" | "b") {
  const n = lab.plan.nodes[id];
  return {
    interface: n.iface,
    keepalivedPidFile: n.keepalived.pidFile,
    keepalivedDumpDir: n.keepalived.dumpDir,
    notifyStateFile: n.keepalived.stateFile,
    notifyLog: n.keepalived.transitionsLog,
  };
}

/**
 * The loopback ports of a lab's embedded store and mail viewer, from its name and subnet (FNV-1a into
 * 20000-27999, the store even, the mail odd): two labs never share them because they share a subnet's
 * third octet, as they did when the ports came from it alone.
 */
export function labServicePorts(plan: { name: string; subnet: string }): { store: number; mail: number } {
  let h = 0x811c9dc5;
  for (const ch of `${plan.name}|${plan.subnet}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const store = 20000 + (h % 4000) * 2;
  return { store, mail: store + 1 };
}

/** A ready prober configuration for this lab (netns runners, the forwarder, embedded store and mail). */
export function labConfig(lab: Lab, o: LabEc2Option = {}): Record<string, unknown> {
  const p = lab.plan;
  const ports = labServicePorts(p);
  const node = (id: "a" | "b") => ({
    host: p.nodes[id].ip,
    port: p.mysqlPort,
    runner: { type: "netns", namespace: p.nodes[id].ns },
    nodeCheck: labNodeCheck(lab, id),
  });
  return {
    clusters: [
      {
        name: p.name === "mhp" ? "lab" : `lab-${p.name}`,
        vip: { host: p.vip, port: p.mysqlPort },
        // TLS verified against the lab's own CA: every lab test probes over TLS
        mysql: {
          user: p.users.monitor.user,
          password: p.users.monitor.password,
          tls: { mode: "verify-identity", caFile: labTlsPaths(p).caFile },
        },
        heartbeat: { user: p.users.heartbeat.user, password: p.users.heartbeat.password },
        nodes: { a: node("a"), b: node("b") },
        forwarderSocket: p.client.forwarderSocket,
        push: { fifo: p.client.triggerFifo },
        // the consistency check reads the application's schema (the monitoring user has SELECT on it);
        // the sweep compares it after the probes
        compare: LAB_COMPARE,
        historySamples: true,
        ...(o.ec2
          ? {
              ec2: labEc2(lab, o.ec2),
              ec2StandIn: { callsLog: p.ec2.callsLog, faultFile: p.ec2.faultFile },
            }
          : {}),
      },
    ],
    // each lab its own store and mail ports (labServicePorts), so two labs' `watch`, `ack` and viewers
    // find their own
    store: { type: "embedded", dataDir: `${p.dir}/store`, tableName: "mysql-ha-prober", port: ports.store },
    mail: { type: "embedded", port: ports.mail, from: "prober@lab.invalid", to: ["ops@lab.invalid"] },
  };
}

export function labConfigPath(lab: Lab): string {
  return `${lab.plan.dir}/prober.yaml`;
}

/**
 * The consistency check of the lab's pairs: the application's schema, and the sweep after the probes (a
 * slice of 5 s at most; a pass is a few hundred rows, then an hour's rest unless a split brain in which
 * both nodes took writes ends).
 */
export const LAB_COMPARE = {
  schemas: [APP_USER.database],
  sweep: { sliceSeconds: 5, restMinutes: 60, chunkTimeMs: 250, maxLoad: 25 },
};

/** The managed-node ids the rehearsal's SSM endpoint maps to the lab's node namespaces. */
export const LAB_INSTANCE_IDS = { a: "i-0000000000000000a", b: "i-0000000000000000b" } as const;

/**
 * The rehearsal account's SES: the sender identity has this default configuration set (as a real account's
 * often has), so every mail is authorized on it too; the lab's deployment file names it.
 */
export const LAB_SES_CONFIGURATION_SET = "mysql-ha-prober-lab";
/** The rehearsal account's database nodes' security group (a placeholder: the ingress rule is synthesized). */
export const LAB_MYSQL_SECURITY_GROUP = "sg-0a0b0c0d0e0f01234";

/** The rehearsal's account: placeholders from the documentation ranges, never a real one. */
export const REHEARSAL_ACCOUNT = { account: "123456789012", region: "eu-west-1" } as const;

/**
 * A deployment file (infra/deploy-config.ts) for this lab, as a user would write it: the nodes as SSM
 * managed nodes, the password in a secret, placeholder VPC ids. `lab rehearse` synthesizes the CDK app
 * with it.
 */
export function labDeployment(lab: Lab, o: LabEc2Option = {}): Record<string, unknown> {
  const p = lab.plan;
  const name = labCluster(lab).name;
  const node = (id: "a" | "b") => ({
    host: p.nodes[id].ip,
    port: p.mysqlPort,
    runner: { type: "ssm", instanceId: LAB_INSTANCE_IDS[id] },
    nodeCheck: labNodeCheck(lab, id),
  });
  return {
    deploy: {
      ...REHEARSAL_ACCOUNT,
      vpc: {
        vpcId: "vpc-0123456789abcdef0",
        availabilityZones: [`${REHEARSAL_ACCOUNT.region}a`],
        privateSubnetIds: ["subnet-0123456789abcdef0"],
      },
      passwordSecretArn: `arn:aws:secretsmanager:${REHEARSAL_ACCOUNT.region}:${REHEARSAL_ACCOUNT.account}:secret:mysql-ha-prober/${name}-AbCdEf`,
      heartbeatPasswordSecretArn: `arn:aws:secretsmanager:${REHEARSAL_ACCOUNT.region}:${REHEARSAL_ACCOUNT.account}:secret:mysql-ha-prober/${name}-heartbeat-AbCdEf`,
      mailFrom: "prober@lab.invalid",
      mailTo: ["ops@lab.invalid"],
      // the sender identity's default configuration set (SES authorizes the mail on it too)
      sesConfigurationSet: LAB_SES_CONFIGURATION_SET,
      // the nodes' group lets the function's group reach MySQL
      mysqlSecurityGroupIds: [LAB_MYSQL_SECURITY_GROUP],
      alarmEmail: "ops@lab.invalid",
      scheduleRateMinutes: 1,
      // every feature the lab supports: its notify scripts push
      push: true,
    },
    clusters: [
      {
        name,
        vip: { host: p.vip, port: p.mysqlPort },
        // the lab's CA file: read at synth and carried inline to the function (infra/app.ts)
        mysql: {
          user: p.users.monitor.user,
          tls: { mode: "verify-identity", caFile: labTlsPaths(p).caFile },
        },
        heartbeat: { user: p.users.heartbeat.user },
        nodes: { a: node("a"), b: node("b") },
        compare: LAB_COMPARE,
        // the EC2 view maps the nodes by their SSM instance ids, as a user's deployment would
        ...(o.ec2
          ? {
              ec2: {
                mode: o.ec2,
                ...(o.ec2 === "route-table" ? { routeTableIds: p.ec2.routeTableIds } : {}),
                graceSeconds: 30,
              },
            }
          : {}),
      },
    ],
  };
}

/** Writes the lab's ready prober configuration and returns its path. */
export function writeLabConfig(lab: Lab, o: LabEc2Option = {}): string {
  const path = labConfigPath(lab);
  writeFileSync(
    path,
    `# Written by \`mysql-ha-prober lab up\` for lab ${lab.plan.name}\n${stringify(labConfig(lab, o))}`,
    { mode: 0o600 },
  );
  return path;
}
