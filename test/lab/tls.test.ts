/**
 * TLS to MySQL in the lab: the lab serves TLS with its own CA and its configuration verifies it
 * (verify-ca). With the monitoring and heartbeat users required to use TLS, the probe is HEALTHY only
 * if it really speaks TLS; verify-identity holds (the certificates name each node's IP and the VIP); a
 * wrong CA gives MYSQL_TLS_FAILED on every endpoint, never a plaintext connection.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { Lab } from "../../lab/lab.ts";
import { labConfig, writeLabConfig } from "../../lab/target.ts";
import { cli } from "../helpers/cli.ts";
import { skipLab } from "../helpers/lab-env.ts";

const skip = await skipLab();

describe.skipIf(skip)("TLS to MySQL in the lab", () => {
  const lab = new Lab({ name: "mhpt15", subnet: "198.18.115.0/24" });
  let config: string;
  const withTls = (tls: Record<string, unknown>, file: string) => {
    const c = labConfig(lab) as { clusters: { mysql: Record<string, unknown> }[] };
    const cl = c.clusters[0];
    if (cl) cl.mysql.tls = tls;
    const path = config.replace(/\.yaml$/, `-${file}.yaml`);
    writeFileSync(path, stringify(c));
    return path;
  };

  beforeAll(async () => {
    await lab.up({ rebuild: true });
    config = writeLabConfig(lab);
    // plaintext is refused from here on: a HEALTHY probe proves TLS
    for (const id of ["a", "b"] as const)
      await lab.sqlOn(
        id,
        "ALTER USER 'prober'@'198.18.115.%' REQUIRE SSL; ALTER USER 'prober_hb'@'198.18.115.%' REQUIRE SSL;",
        { noBinlog: true },
      );
  });
  afterAll(async () => {
    await lab.down();
  });

  it("the lab's configuration (verify-ca with the lab's CA): HEALTHY over TLS, the heartbeat too", async () => {
    const r = await cli("probe", "-c", config);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/HEALTHY/);
  });

  it("plaintext is refused by the server (so the HEALTHY above was TLS)", async () => {
    const r = await cli("probe", "-c", withTls({ mode: "disabled" }, "plain"));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/MYSQL_AUTH_FAILED/);
  });

  it("verify-identity: the certificates name each node's IP and the VIP", async () => {
    const c = labConfig(lab) as { clusters: { mysql: { tls: { caFile: string } } }[] };
    const r = await cli(
      "probe",
      "-c",
      withTls({ mode: "verify-identity", caFile: c.clusters[0]?.mysql.tls.caFile }, "identity"),
    );
    expect(r.code, r.out).toBe(0);
  });

  it("a wrong CA: MYSQL_TLS_FAILED on every endpoint naming why, and no plaintext attempt", async () => {
    const other = `${lab.plan.dir}/other-ca.pem`;
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=not the lab CA",
        "-keyout",
        `${other}.key`,
        "-out",
        other,
      ],
      { stdio: "ignore" },
    );
    const r = await cli("probe", "-c", withTls({ mode: "verify-ca", caFile: other }, "wrong-ca"));
    expect(r.code).not.toBe(0);
    for (const where of ["vip", "a", "b"])
      expect(r.out).toMatch(
        new RegExp(
          `MYSQL_TLS_FAILED \\(${where}\\): TLS to .* failed \\(HANDSHAKE_SSL_ERROR\\): self-signed certificate in certificate chain`,
        ),
      );
    expect(r.out).not.toMatch(/Access denied/);
  });
});
