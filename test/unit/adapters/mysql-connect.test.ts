/**
 * An impostor at the VIP gets no password. A raw MySQL server on loopback plays the two tricks a host that
 * claims the VIP can play: (1) on plaintext, ask for caching_sha2_password's full authentication and send
 * its own RSA key (mysql2 would encrypt the password with it, and the impostor holds the private key);
 * (2) with TLS, present a certificate of the right CA issued for another address. In both, the probe must
 * stop before any credential leaves. The controls show each impostor does get the password when the
 * defence is off.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectionFactory, securityOptions } from "../../../shared/adapters/mysql-connect.ts";
import { MysqlProbe } from "../../../shared/adapters/mysql-probe.ts";
import { deadlineIn } from "../../../shared/domain/types.ts";
import { type Impostor, rsaImpostor, tlsImpostor, USER } from "../../helpers/mysql-impostor.ts";

const PASSWORD = "the-monitoring-password";

let ca = "";
const certs: Record<string, { key: string; cert: string }> = {};
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "mhp-impostor-"));
  const ssl = (...a: string[]) => execFileSync("openssl", a, { cwd: dir, stdio: "ignore" });
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=lab CA",
  );
  for (const [name, ip] of [
    ["other", "127.0.0.9"],
    ["right", "127.0.0.1"],
  ] as const) {
    ssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=${name}`,
    );
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=IP:${ip}\n`);
    ssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
    );
    certs[name] = {
      key: readFileSync(join(dir, `${name}.key`), "utf8"),
      cert: readFileSync(join(dir, `${name}.pem`), "utf8"),
    };
  }
  ca = readFileSync(join(dir, "ca.pem"), "utf8");
});

let impostor: Impostor | undefined;
afterEach(() => impostor?.server.close());

const probe = (
  tls: ConstructorParameters<typeof MysqlProbe>[0]["tls"],
  createConnection?: (o: mysql.ConnectionOptions) => mysql.Connection,
) =>
  new MysqlProbe({
    user: USER,
    password: PASSWORD,
    ...(tls ? { tls } : {}),
    ...(createConnection ? { createConnection } : {}),
  });
const observe = (p: MysqlProbe, port: number) =>
  p.observe({ name: "vip", host: "127.0.0.1", port }, deadlineIn(4000));

describe("no password for an impostor", () => {
  it("plaintext: a server-supplied RSA key is refused, and the impostor reads nothing", async () => {
    impostor = await rsaImpostor();
    const o = await observe(probe({ mode: "disabled" }), impostor.port);
    expect(o.connected).toBe(false);
    expect(o.error).toMatchObject({ class: "tls", code: "MYSQL_SERVER_KEY_REFUSED" });
    expect(impostor.stolen).toBeNull();
  });

  it("control: mysql2 as it comes encrypts the password with the impostor's key (it reads the password)", async () => {
    impostor = await rsaImpostor();
    // mysql2 as it comes: without the refusing auth plugins
    await observe(
      probe({ mode: "disabled" }, (o: mysql.ConnectionOptions) =>
        mysql.createConnection({ ...o, authPlugins: {} }),
      ),
      impostor.port,
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(impostor.stolen).toBe(PASSWORD);
  });

  it("verify-identity: a certificate of the right CA for another address ends the connection before the credentials", async () => {
    impostor = await tlsImpostor(certs.other?.key ?? "", certs.other?.cert ?? "");
    const o = await observe(probe({ mode: "verify-identity", ca }), impostor.port);
    expect(o.connected).toBe(false);
    expect(JSON.stringify(o)).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate/);
    expect(impostor.stolen).toBeNull();
    expect(impostor.received).toEqual([]);
  });

  it("control: the same impostor gets the handshake response when the name is checked only after connecting", async () => {
    impostor = await tlsImpostor(certs.other?.key ?? "", certs.other?.cert ?? "");
    // mysql2 as it comes with the CA: the chain is checked, the IP is not
    await observe(probe({ mode: "verify-identity", ca }, mysql.createConnection), impostor.port);
    await new Promise((r) => setTimeout(r, 100));
    expect(impostor.stolen).not.toBeNull();
  });

  it("verify-identity: a certificate naming the dialled address passes the check (the handshake response goes out)", async () => {
    impostor = await tlsImpostor(certs.right?.key ?? "", certs.right?.cert ?? "");
    await observe(probe({ mode: "verify-identity", ca }), impostor.port);
    await new Promise((r) => setTimeout(r, 100));
    expect(impostor.stolen).not.toBeNull();
  });

  it("the options: TLS modes map to mysql2's ssl, plaintext brings the refusing auth plugins", () => {
    expect(securityOptions({ mode: "verify-ca", ca: "PEM" })).toEqual({
      ssl: { ca: "PEM", rejectUnauthorized: true, verifyIdentity: false },
    });
    expect(Object.keys(securityOptions({ mode: "disabled" }).authPlugins ?? {}).sort()).toEqual([
      "caching_sha2_password",
      "sha256_password",
    ]);
    expect(connectionFactory({ mode: "verify-ca" })).toBe(mysql.createConnection);
    expect(connectionFactory({ mode: "verify-identity" })).not.toBe(mysql.createConnection);
  });
});
