/**
 * The lab forwarder's client side against a stand-in forwarder on a unix socket: the CONNECT line it
 * sends, the stream it hands over (paused, bytes after OK kept), and each way the forwarder says no.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ForwardedConnectError, forwarderStreamOpener } from "../../../shared/adapters/forwarder-stream.ts";

let dir: string;
let server: Server | undefined;
const lines: string[] = [];

/** A forwarder that reads one CONNECT line and answers with `reply` (nothing when null). */
async function forwarder(reply: string | null): Promise<string> {
  const path = join(dir, "fwd.sock");
  server = createServer((s: Socket) => {
    let got = "";
    s.on("data", (d) => {
      got += d.toString("latin1");
      const nl = got.indexOf("\n");
      if (nl < 0) return;
      lines.push(got.slice(0, nl));
      if (reply !== null) s.write(reply);
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server?.listen(path, r));
  return path;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mhp-fwd-"));
  lines.length = 0;
});
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe("forwarderStreamOpener", () => {
  it("sends CONNECT host port timeout, and on OK hands over the stream with the bytes that followed", async () => {
    const path = await forwarder("OK\nhello");
    const sock = await forwarderStreamOpener(path)("198.18.0.100", 3306, 1500);
    expect(lines).toEqual(["CONNECT 198.18.0.100 3306 1500"]);
    expect(sock.isPaused()).toBe(true);
    const first = await new Promise<string>((r) => {
      sock.once("data", (d) => r(d.toString()));
      sock.resume();
    });
    expect(first).toBe("hello");
    sock.destroy();
  });

  it("ERR <code> <message> rejects with that code and message", async () => {
    const path = await forwarder("ERR ECONNREFUSED connect ECONNREFUSED 198.18.0.11:3306\n");
    const e = await forwarderStreamOpener(path)("198.18.0.11", 3306, 1000).catch((x) => x);
    expect(e).toBeInstanceOf(ForwardedConnectError);
    expect(e).toMatchObject({ code: "ECONNREFUSED", message: "connect ECONNREFUSED 198.18.0.11:3306" });
  });

  it("a line that is neither OK nor ERR rejects as EIO with the line", async () => {
    const path = await forwarder("WHAT\n");
    await expect(forwarderStreamOpener(path)("h", 1, 1000)).rejects.toMatchObject({
      code: "EIO",
      message: "WHAT",
    });
  });

  it("a forwarder that never answers rejects as ETIMEDOUT shortly after the timeout", async () => {
    const path = await forwarder(null);
    const t0 = Date.now();
    await expect(forwarderStreamOpener(path)("198.18.0.11", 3306, 200)).rejects.toMatchObject({
      code: "ETIMEDOUT",
      message: "connect to 198.18.0.11:3306 timed out after 200 ms",
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it("no forwarder at the path rejects naming it, with the socket's code", async () => {
    const path = join(dir, "absent.sock");
    const e = await forwarderStreamOpener(path)("h", 1, 1000).catch((x) => x);
    expect(e).toMatchObject({ code: "ENOENT" });
    expect(e.message).toMatch(new RegExp(`^lab forwarder ${path}: `));
  });
});
