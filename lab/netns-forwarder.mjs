#!/usr/bin/env node
import { rmSync } from "node:fs";
// Runs inside the lab's client namespace and lets processes outside it open TCP connections from
// there: a client connects to the unix socket given as argument, sends one line
// "CONNECT <ipv4> <port> <timeoutMs>\n", and receives "OK\n" (then the bytes are relayed both ways) or
// "ERR <code> <message>\n". Only addresses of the lab's own subnet are accepted.
import { connect, createServer } from "node:net";

const [socketPath, subnetPrefix] = process.argv.slice(2);
if (!socketPath || !subnetPrefix) {
  console.error("usage: netns-forwarder.mjs <unix-socket> <subnet prefix, e.g. 198.18.0.>");
  process.exit(2);
}
rmSync(socketPath, { force: true });

const server = createServer((client) => {
  let header = "";
  const onData = (chunk) => {
    header += chunk.toString("latin1");
    const nl = header.indexOf("\n");
    if (nl < 0) {
      if (header.length > 200) client.destroy();
      return;
    }
    client.off("data", onData);
    client.pause();
    const rest = Buffer.from(header.slice(nl + 1), "latin1");
    const m = /^CONNECT (\d{1,3}(?:\.\d{1,3}){3}) (\d{1,5}) (\d{1,6})$/.exec(header.slice(0, nl));
    if (!m?.[1].startsWith(subnetPrefix)) {
      client.end("ERR EINVAL bad request or address outside the lab\n");
      return;
    }
    const upstream = connect({ host: m[1], port: Number(m[2]) });
    const timer = setTimeout(() => {
      upstream.destroy();
      client.end("ERR ETIMEDOUT connect timed out\n");
    }, Number(m[3]));
    upstream.once("error", (e) => {
      clearTimeout(timer);
      if (!client.destroyed) client.end(`ERR ${e.code ?? "EIO"} ${e.message}\n`);
    });
    upstream.once("connect", () => {
      clearTimeout(timer);
      client.write("OK\n");
      if (rest.length) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      client.on("close", () => upstream.destroy());
    });
  };
  client.on("data", onData);
  client.on("error", () => {});
});
server.listen(socketPath, () => console.error(`forwarding from ${socketPath}`));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
