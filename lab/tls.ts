/**
 * The lab's TLS: its own CA and a certificate per node naming the node's IP and the VIP (so
 * verify-identity holds whichever node holds the VIP), made with openssl when the lab is built.
 */
import { execFileSync } from "node:child_process";
import { chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabPlan, NodeId } from "./plan.ts";

export interface LabTls {
  dir: string;
  caFile: string;
  node: Record<NodeId, { cert: string; key: string }>;
}

export function labTlsPaths(plan: LabPlan): LabTls {
  const dir = join(plan.dir, "tls");
  return {
    dir,
    caFile: join(dir, "ca.pem"),
    node: {
      a: { cert: join(dir, "a.pem"), key: join(dir, "a.key") },
      b: { cert: join(dir, "b.pem"), key: join(dir, "b.key") },
    },
  };
}

const openssl = (args: string[]) =>
  execFileSync("openssl", args, { timeout: 30_000, stdio: ["ignore", "ignore", "pipe"] });

/** Makes the CA and both node certificates; the keys readable by mysqld's user only. */
export function makeLabTls(plan: LabPlan, mysql: { uid: number; gid: number }): LabTls {
  const t = labTlsPaths(plan);
  mkdirSync(t.dir, { recursive: true, mode: 0o755 });
  const caKey = join(t.dir, "ca.key");
  openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "30",
    "-subj",
    `/CN=mysql-ha-prober lab ${plan.name} CA`,
    "-keyout",
    caKey,
    "-out",
    t.caFile,
  ]);
  for (const id of ["a", "b"] as const) {
    const n = plan.nodes[id];
    const csr = join(t.dir, `${id}.csr`);
    const ext = join(t.dir, `${id}.ext`);
    writeFileSync(ext, `subjectAltName=IP:${n.ip},IP:${plan.vip}\n`);
    openssl([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${n.ip}`,
      "-keyout",
      t.node[id].key,
      "-out",
      csr,
    ]);
    openssl([
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      t.caFile,
      "-CAkey",
      caKey,
      "-CAcreateserial",
      "-days",
      "30",
      "-extfile",
      ext,
      "-out",
      t.node[id].cert,
    ]);
    chownSync(t.node[id].key, mysql.uid, mysql.gid);
  }
  return t;
}
