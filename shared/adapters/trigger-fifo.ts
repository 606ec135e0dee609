/**
 * The push channel of the lab's notify scripts: a FIFO read without blocking (opened read-write, so it
 * never sees end-of-file when a writer closes, and a pipe socket, so closing it never leaves a read
 * pending). Each line is a hint that keepalived changed state: the caller probes at once.
 */
import { constants, openSync } from "node:fs";
import { Socket } from "node:net";
import { createInterface } from "node:readline";

export interface TriggerListener {
  /** Lines received so far. */
  readonly received: number;
  close(): void;
}

export function triggerListener(fifo: string, onLine: (line: string) => void): TriggerListener {
  const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  const socket = new Socket({ fd, readable: true, writable: false });
  let received = 0;
  createInterface({ input: socket }).on("line", (line) => {
    received++;
    onLine(line);
  });
  socket.on("error", () => {});
  return {
    get received() {
      return received;
    },
    close: () => socket.destroy(),
  };
}
