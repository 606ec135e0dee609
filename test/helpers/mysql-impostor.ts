/**
 * Impostors at the VIP: raw MySQL servers playing the two tricks a host that claims the VIP can play.
 * (1) On plaintext, ask for caching_sha2_password's full authentication and send its own RSA key (mysql2
 * would encrypt the password with it, and the impostor holds the private key). (2) With TLS, present a
 * certificate of the right CA issued for another address. Each records what it received and what it could
 * read. Used by the unit test (loopback) and by the lab's acceptance test (in a namespace of its own,
 * through impostor-main.ts).
 */
import { constants, generateKeyPairSync, privateDecrypt } from "node:crypto";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { TLSSocket } from "node:tls";

export const USER = "prober";

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

export interface Impostor {
  port: number;
  /** Everything the client sent after the greeting (and, with TLS, after the handshake). */
  received: Buffer[];
  /** The password, when the impostor could read it. */
  stolen: string | null;
  server: Server;
}

/** A plaintext impostor: asks for full authentication and hands out its own RSA key. */
export async function rsaImpostor(host = "127.0.0.1", port = 0): Promise<Impostor> {
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
  await new Promise<void>((r) => im.server.listen(port, host, r));
  im.port = (im.server.address() as AddressInfo).port;
  return im;
}

/** A TLS impostor holding a certificate of the right CA, issued for another address. */
export async function tlsImpostor(
  key: string,
  cert: string,
  host = "127.0.0.1",
  port = 0,
): Promise<Impostor> {
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
  await new Promise<void>((r) => im.server.listen(port, host, r));
  im.port = (im.server.address() as AddressInfo).port;
  return im;
}
