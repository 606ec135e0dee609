/**
 * Local mode for the prober's user only (cli/local-access.ts, cli/services.ts): the embedded store on a
 * unix socket in a private directory, and the mail port used only when this user holds it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loopbackListenerUid } from "../../cli/local-access.ts";
import { openServices } from "../../cli/services.ts";
import { freePort } from "../../emulators/aws.ts";
import { parseConfig } from "../../shared/config.ts";
import { waitFor } from "../../shared/util/wait.ts";

const root = process.getuid?.() === 0;
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function config(dataDir: string, mailPort: number) {
  return parseConfig({
    store: { type: "embedded", dataDir },
    mail: { type: "embedded", port: mailPort, from: "p@lab.invalid", to: ["o@lab.invalid"] },
    clusters: [
      {
        name: "c",
        vip: { host: "192.0.2.100" },
        mysql: { user: "prober", password: "x", tls: { mode: "disabled" } },
        nodes: {
          a: { host: "192.0.2.11", runner: { type: "ssh", host: "192.0.2.11", user: "ops" } },
          b: { host: "192.0.2.12", runner: { type: "ssh", host: "192.0.2.12", user: "ops" } },
        },
      },
    ],
  });
}

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "mhp-local-"));
  dirs.push(d);
  return d;
};

describe("/proc/net/tcp: who holds a loopback port", () => {
  it("reads the LISTEN socket's uid for 127.0.0.1 and 0.0.0.0, and null when nothing listens", () => {
    const table = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:1F45 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0 0 0 0",
      "   1: 00000000:1F46 00000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 2 1 0 0 0 0",
      "   2: 0100007F:1F47 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 3 1 0 0 0 0",
    ].join("\n");
    expect(loopbackListenerUid(8005, table)).toBe(1000);
    expect(loopbackListenerUid(8006, table)).toBe(33);
    expect(loopbackListenerUid(8007, table)).toBeNull(); // an established connection, not a listener
  });
});

describe("the embedded store and mail, for this user only", () => {
  it("serves the store on a unix socket (0600) in a 0700 data directory; a second process uses the first's", async () => {
    const dataDir = join(tmp(), "store");
    const cfg = config(dataDir, await freePort());
    const first = await openServices(cfg);
    try {
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, "store.sock")).mode & 0o777).toBe(0o600);
      const second = await openServices(cfg);
      try {
        expect(await second.store.load("c")).toBeNull();
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });

  it.skipIf(!root && !process.env.CI)("a data directory of another user is refused, naming it", async () => {
    const dataDir = join(tmp(), "store");
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o777);
    const { chownSync } = await import("node:fs");
    chownSync(dataDir, 65534, 65534);
    await expect(openServices(config(dataDir, await freePort()))).rejects.toThrow(
      /data directory .*store belongs to uid 65534, not to you/,
    );
  });

  it.skipIf(!root && !process.env.CI)(
    "a mail port another user took first is refused, naming the port and its owner",
    async () => {
      const port = await freePort();
      // another user's process answering on the mail port (it could swallow every alert)
      const impostor = spawn(
        process.execPath,
        ["-e", `require("http").createServer((q, s) => s.end("[]")).listen(${port}, "127.0.0.1")`],
        { uid: 65534, gid: 65534, stdio: "ignore" },
      );
      children.push(impostor);
      await waitFor(() => loopbackListenerUid(port) === 65534, {
        timeoutMs: 10_000,
        what: "the impostor listening",
      });
      await expect(openServices(config(join(tmp(), "store"), port))).rejects.toThrow(
        new RegExp(`port ${port} on 127.0.0.1 \\(mail.port\\) is held by a process of uid 65534, not yours`),
      );
    },
  );
});
