/**
 * One impostor at an address, run inside a namespace by the lab's acceptance test:
 *   node impostor-main.ts rsa|tls <host> <port> <out.json> [key.pem cert.pem]
 * It writes what it saw to out.json (connections, packets received after the greeting, what it could
 * read) as it happens; the file's existence says it listens.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { rsaImpostor, tlsImpostor } from "./mysql-impostor.ts";

const [mode, host = "", port = "3306", out = "", keyFile = "", certFile = ""] = process.argv.slice(2);
const im =
  mode === "rsa"
    ? await rsaImpostor(host, Number(port))
    : await tlsImpostor(readFileSync(keyFile, "utf8"), readFileSync(certFile, "utf8"), host, Number(port));
let connections = 0;
im.server.on("connection", () => connections++);
const save = () => {
  writeFileSync(
    `${out}.tmp`,
    JSON.stringify({ connections, received: im.received.length, stolen: im.stolen }),
  );
  renameSync(`${out}.tmp`, out);
};
save();
setInterval(save, 50);
