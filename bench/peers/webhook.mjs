// The peers bench's Alertmanager receiver: appends one JSON line per notification, with the time it arrived.
// Usage: node webhook.mjs <port> <file>   (run inside the lab's client namespace, on loopback)
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";

const [port, file] = process.argv.slice(2);
createServer((req, res) => {
  let body = "";
  req.on("data", (c) => {
    body += c;
  });
  req.on("end", () => {
    appendFileSync(file, `${JSON.stringify({ at: Date.now(), body: JSON.parse(body || "null") })}\n`);
    res.end("ok");
  });
}).listen(Number(port), "127.0.0.1");
