/**
 * An impostor at the VIP gets no password. A raw MySQL server on loopback plays the two tricks a host that
 * claims the VIP can play: (1) on plaintext, ask for caching_sha2_password's full authentication and send
 * its own RSA key (mysql2 would encrypt the password with it, and the impostor holds the private key);
 * (2) with TLS, present a certificate of the right CA issued for another address. In both, the probe must
 * stop before any credential leaves. The controls show each impostor does get the password when the
 * defence is off.
 */
import { execFileSync } from "node:child_process";
import { constants, generateKeyPairSync, privateDecrypt } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duplex } from "node:stream";
import { TLSSocket } from "node:tls";
import mysql from "mysql2";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectionFactory, securityOptions } from "../../../shared/adapters/mysql-connect.ts";
import { MysqlProbe } from "../../../shared/adapters/mysql-probe.ts";
import { deadlineIn } from "../../../shared/domain/types.ts";

const USER = "prober";
const PASSWORD = "the-monitoring-password";

const packet = (seq: number, payload: Buffer) => {
  const h = Buffer.alloc(4);
  h.writeUIntLE(payload.length, 0, 3);
  h[3] = seq;
  return Buffer.concat([h, payload]);
};

/** Handshake V10 greeting, caching_sha2_password, with or without CLIENT_SSL. */
function greeting(ssl: boolean): Buffer {
  const caps = 0x1 | 0x200 | 0x8000 | 0x80000 | (ssl ? 0x800 : 0);
  const scramble = Buffer.from("abcdefghijklmnopqrst");
  const p = Buffer.concat([
    Buffer.from([10]),
    Buffer.from("8.0.36\0"),
    Buffer.from([1, 0, 0, 0]),
    scramble.subarray(0, 8),
    Buffer.from([0]),
    Buffer.from([caps & 0xff, (caps >> 8) & 0xff]),
    Buffer.from([255]),
    Buffer.from([2, 0]),
    Buffer.from([(caps >> 16) & 0xff, (caps >> 24) & 0xff]),
    Buffer.from([21]),
    Buffer.alloc(10),
    scramble.subarray(8),
    Buffer.from([0]),
    Buffer.from("caching_sha2_password\0"),
  ]);
  return packet(0, p);
}

interface Impostor {
  port: number;
  /** Everything the client sent after the greeting (and, with TLS, after the handshake). */
  received: Buffer[];
  /** The password, when the impostor could read it. */
  stolen: string | null;
  server: Server;
}

/** A plaintext impostor: asks for full authentication and hands out its own RSA key. */
async function rsaImpostor(): Promise<Impostor> {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = publicKey.export({ type: "spki", format: "pem" }) as string;
  const im: Impostor = { port: 0, received: [], stolen: null, server: createServer() };
  im.server.on("connection", (s: Socket) => {
    s.on("error", () => {});
    s.write(greeting(false));
    let step = 0;
    s.on("data", (d: Buffer) => {
      im.received.push(d);
      step++;
      if (step === 1) {
        // the handshake response: switch to caching_sha2_password
        s.write(
          packet(
            2,
            Buffer.concat([
              Buffer.from([0xfe]),
              Buffer.from("caching_sha2_password\0"),
              Buffer.from("abcdefghijklmnopqrst\0"),
            ]),
          ),
        );
      } else if (step === 2) {
        s.write(packet(4, Buffer.from([0x01, 0x04]))); // perform full authentication
      } else if (step === 3) {
        s.write(packet(6, Buffer.concat([Buffer.from([0x01]), Buffer.from(pem)]))); // here is "my" key
      } else if (step === 4) {
        // the password, encrypted with the impostor's own key (xor with the scramble undone)
        const enc = d.subarray(4);
        const plain = privateDecrypt(
          { key: privateKey, oaepHash: "sha1", padding: constants.RSA_PKCS1_OAEP_PADDING },
          enc,
        );
        const scramble = Buffer.from("abcdefghijklmnopqrst");
        im.stolen = Buffer.from(plain.map((b, i) => b ^ (scramble[i % scramble.length] as number)))
          .toString("utf8")
          .replace(/\0$/, "");
        s.destroy();
      }
    });
  });
  await new Promise<void>((r) => im.server.listen(0, "127.0.0.1", r));
  im.port = (im.server.address() as AddressInfo).port;
  return im;
}

/** A TLS impostor holding a certificate of the right CA, issued for another address. */
async function tlsImpostor(key: string, cert: string): Promise<Impostor> {
  const im: Impostor = { port: 0, received: [], stolen: null, server: createServer() };
  im.server.on("connection", (s: Socket) => {
    s.on("error", () => {});
    s.write(greeting(true));
    // the first 36 bytes are the SSL request; the rest is TLS: a duplex over the socket carries it
    let skipped = 0;
    const raw = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, done) {
        s.write(chunk, done);
      },
    });
    s.on("data", (d: Buffer) => {
      const rest = d.subarray(Math.max(0, 36 - skipped));
      skipped += d.length - rest.length;
      if (rest.length) raw.push(rest);
    });
    s.on("close", () => raw.push(null));
    const t = new TLSSocket(raw, { isServer: true, key, cert });
    t.on("error", () => {});
    t.on("data", (d: Buffer) => {
      // the handshake response: the user name and the auth data
      im.received.push(d);
      if (d.includes(Buffer.from(USER))) im.stolen = "the handshake response (user and auth data)";
      s.destroy();
    });
  });
  await new Promise<void>((r) => im.server.listen(0, "127.0.0.1", r));
  im.port = (im.server.address() as AddressInfo).port;
  return im;
}

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
