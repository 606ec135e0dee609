/**
 * Local mode for the prober's user only. The embedded store is served on a unix socket inside its data
 * directory (mode 0700, owned by this user): no other local user can connect to it, and nobody can
 * answer in its place. The mail stand-in's viewer must stay reachable by a browser (loopback TCP): a
 * process that answers on its port is used only when this user owns the listening socket (Linux
 * /proc/net/tcp, the `uid` column), else the port is an error naming its owner.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from "node:fs";
import { Agent } from "node:http";
import { createConnection } from "node:net";
import { join } from "node:path";

export class LocalAccessError extends Error {
  override readonly name = "LocalAccessError";
}

const me = () => process.getuid?.() ?? 0;

/** The embedded store's data directory, made private (0700) and checked to be this user's. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory())
    throw new LocalAccessError(
      `the store's data directory ${dir} is not a directory (a symbolic link?): refusing it`,
    );
  if (st.uid !== me())
    throw new LocalAccessError(
      `the store's data directory ${dir} belongs to uid ${st.uid}, not to you (uid ${me()}): refusing it (give store.dataDir a directory of yours)`,
    );
  chmodSync(dir, 0o700);
}

/** The socket the store is served on, inside its private data directory (a unix socket path holds 107 bytes). */
export function storeSocket(dataDir: string): string {
  const path = join(dataDir, "store.sock");
  if (Buffer.byteLength(path) > 107)
    throw new LocalAccessError(
      `store.dataDir ${dataDir} is too long for a unix socket in it (${path}): give a shorter one`,
    );
  return path;
}

/** A socket left by a process that is gone: removed (it is in our private directory). */
export function removeStaleSocket(path: string): void {
  if (existsSync(path)) unlinkSync(path);
}

/** An HTTP agent whose every connection goes to the unix socket `path` (the AWS SDK's requests too). */
export function unixSocketAgent(path: string): Agent {
  const agent = new Agent({ keepAlive: true });
  (agent as unknown as { createConnection: typeof createConnection }).createConnection = ((
    _opts: unknown,
    cb?: () => void,
  ) => createConnection(path, cb)) as typeof createConnection;
  return agent;
}

/**
 * The uid owning the socket that listens on 127.0.0.1:`port`, from /proc/net/tcp; null when nothing
 * listens there. Columns: sl, local_address (hex IP:port, the IP little-endian), rem_address, st (0A is
 * LISTEN), tx/rx queues, tr:when, retrnsmt, uid (Linux Documentation/networking/proc_net_tcp.txt).
 */
export function loopbackListenerUid(port: number, table = readProc("/proc/net/tcp")): number | null {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const any = `00000000:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const line of table.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if ((f[1] === want || f[1] === any) && f[3] === "0A") return Number(f[7]);
  }
  return null;
}

function readProc(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Refuses a loopback port held by another user: what answers there is not ours to trust. */
export function assertOwnListener(port: number, what: string): void {
  const uid = loopbackListenerUid(port);
  if (uid !== null && uid !== me())
    throw new LocalAccessError(
      `port ${port} on 127.0.0.1 (${what}) is held by a process of uid ${uid}, not yours (uid ${me()}): refusing to use what answers there. Stop that process or give ${what} another port`,
    );
}
