/**
 * Opens a TCP connection from inside the lab's client namespace through the lab's forwarder
 * (lab/netns-forwarder.mjs), so a process outside the lab sees the network as the lab's client does.
 */
import { connect, type Socket } from "node:net";

/** Opens a connected TCP stream, handed over paused: the caller resumes it once it listens for data. */
export type StreamOpener = (host: string, port: number, timeoutMs: number) => Promise<Socket>;

/** An error with the errno-style code the forwarder reported (ECONNREFUSED, ETIMEDOUT, ...). */
export class ForwardedConnectError extends Error {
  override readonly name = "ForwardedConnectError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function forwarderStreamOpener(socketPath: string): StreamOpener {
  return (host, port, timeoutMs) =>
    new Promise<Socket>((resolve, reject) => {
      const sock = connect(socketPath);
      let buffered = Buffer.alloc(0);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(
          new ForwardedConnectError(
            "ETIMEDOUT",
            `connect to ${host}:${port} timed out after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs + 250);
      const fail = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      sock.once("error", (e: NodeJS.ErrnoException) =>
        fail(new ForwardedConnectError(e.code ?? "EIO", `lab forwarder ${socketPath}: ${e.message}`)),
      );
      const onData = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const nl = buffered.indexOf(10);
        if (nl < 0) return;
        sock.off("data", onData);
        sock.pause();
        const line = buffered.subarray(0, nl).toString("latin1");
        const rest = buffered.subarray(nl + 1);
        if (line === "OK") {
          clearTimeout(timer);
          sock.removeAllListeners("error");
          if (rest.length > 0) sock.unshift(rest);
          resolve(sock);
        } else {
          const m = /^ERR (\S+) (.*)$/.exec(line);
          sock.destroy();
          fail(new ForwardedConnectError(m?.[1] ?? "EIO", m?.[2] ?? line));
        }
      };
      sock.on("data", onData);
      sock.once("connect", () => sock.write(`CONNECT ${host} ${port} ${timeoutMs}\n`));
    });
}
