/**
 * TLS to MySQL in the lab: the lab serves TLS with its own CA and its configuration verifies it
 * (verify-identity). With the monitoring and heartbeat users required to use TLS, the probe is HEALTHY only
 * if it really speaks TLS; verify-identity holds (the certificates name each node's IP and the VIP); a
 * wrong CA gives MYSQL_TLS_FAILED on every endpoint, never a plaintext connection.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { Lab } from "../../lab/lab.ts";
import { labConfig, writeLabConfig } from "../../lab/lab-config.ts";
import { labTlsPaths } from "../../lab/tls.ts";
import { waitFor } from "../../shared/util/wait.ts";
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

  it("the lab's configuration (verify-identity with the lab's CA): HEALTHY over TLS, the heartbeat too", async () => {
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

  /**
   * The acceptance of "nobody can steal its passwords": an impostor takes the lab's VIP from a namespace of
   * its own on the segment (keepalived killed on both nodes, the VIP removed from its holder, the client's
   * ARP cache flushed), and the prober probes with the lab's own configuration.
   */
  describe("an impostor at the VIP gets no password", () => {
    const p = lab.plan;
    const ns = `${p.name}-imp`;
    const out = () => `${p.dir}/impostor.json`;
    let child: ChildProcess | undefined;
    const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: "ignore", timeout: 10_000 });

    beforeAll(async () => {
      for (const id of ["a", "b"] as const) await lab.fault("keepalived-kill", id);
      for (const id of await lab.vipHolders())
        sh("ip", [
          "-n",
          p.nodes[id].ns,
          "addr",
          "del",
          `${p.vip}/${p.prefixLength}`,
          "dev",
          p.nodes[id].iface,
        ]);
      sh("ip", ["netns", "add", ns]);
      sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
      sh("ip", [
        "-n",
        ns,
        "link",
        "add",
        "eth0",
        "type",
        "veth",
        "peer",
        "name",
        "imp0",
        "netns",
        p.client.ns,
      ]);
      sh("ip", ["-n", p.client.ns, "link", "set", "imp0", "master", p.client.bridge]);
      sh("ip", ["-n", p.client.ns, "link", "set", "imp0", "up"]);
      sh("ip", ["-n", ns, "addr", "add", `${p.vip}/${p.prefixLength}`, "dev", "eth0"]);
      sh("ip", ["-n", ns, "link", "set", "eth0", "up"]);
      sh("ip", ["-n", p.client.ns, "neigh", "flush", "dev", p.client.bridge]);
    });
    afterEach(() => {
      child?.kill("SIGKILL");
      child = undefined;
      rmSync(out(), { force: true });
    });
    afterAll(async () => {
      execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      await lab.heal();
    });

    const impostor = async (mode: "rsa" | "tls", key = "", cert = "") => {
      const main = fileURLToPath(new URL("../helpers/impostor-main.ts", import.meta.url));
      child = spawn(
        "ip",
        ["netns", "exec", ns, process.execPath, main, mode, p.vip, "3306", out(), key, cert],
        {
          stdio: "ignore",
        },
      );
      await waitFor(() => existsSync(out()), {
        timeoutMs: 10_000,
        what: "the impostor listening at the VIP",
      });
    };
    const seen = () =>
      JSON.parse(readFileSync(out(), "utf8")) as {
        connections: number;
        received: number;
        stolen: string | null;
      };

    it("its own RSA key on plaintext: nothing sent with the lab's configuration, the key refused with plaintext opted in", async () => {
      await impostor("rsa");
      const r = await cli("probe", "-c", config);
      expect(r.out).toMatch(/MYSQL_TLS_FAILED \(vip\)/);
      await waitFor(() => seen().connections > 0, {
        timeoutMs: 5_000,
        what: "the probe reaching the impostor",
      });
      expect(seen()).toMatchObject({ received: 0, stolen: null });
      const plain = await cli("probe", "-c", withTls({ mode: "disabled" }, "plain-impostor"));
      expect(plain.out).toMatch(/MYSQL_SERVER_KEY_REFUSED/);
      expect(seen().stolen).toBeNull();
    });

    it("a certificate of the lab's CA for another address: refused before any credential, naming the address; verify-ca (opted in) would hand it over", async () => {
      const dir = labTlsPaths(p).dir;
      const other = "198.18.115.99";
      const ssl = (...a: string[]) =>
        execFileSync("openssl", a, { cwd: dir, stdio: "ignore", timeout: 30_000 });
      ssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "imp.key",
        "-out",
        "imp.csr",
        "-subj",
        "/CN=impostor",
      );
      writeFileSync(`${dir}/imp.ext`, `subjectAltName=IP:${other}\n`);
      ssl(
        "x509",
        "-req",
        "-in",
        "imp.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "imp.pem",
        "-days",
        "1",
        "-extfile",
        "imp.ext",
      );
      await impostor("tls", `${dir}/imp.key`, `${dir}/imp.pem`);
      const r = await cli("probe", "-c", config);
      expect(r.out).toMatch(new RegExp(`MYSQL_TLS_FAILED \\(vip\\): .*${p.vip.replaceAll(".", "\\.")}`));
      await waitFor(() => seen().connections > 0, {
        timeoutMs: 5_000,
        what: "the probe reaching the impostor",
      });
      expect(seen()).toMatchObject({ received: 0, stolen: null });
      // the control: the same impostor gets the handshake response when the identity is not checked
      const c = labConfig(lab) as { clusters: { mysql: { tls: { caFile: string } } }[] };
      await cli(
        "probe",
        "-c",
        withTls({ mode: "verify-ca", caFile: c.clusters[0]?.mysql.tls.caFile }, "ca-only"),
      );
      await waitFor(() => seen().stolen !== null, {
        timeoutMs: 5_000,
        what: "the control: the impostor reading the response",
      });
    });
  });
});
