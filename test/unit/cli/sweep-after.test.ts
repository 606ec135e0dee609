/**
 * The CLI's sweep slices run beside its probe loop: `after` returns at once (the next probe is never late
 * for a slice), one slice at a time per cluster, `close` waits for it; a node that cannot be reached is
 * named in what the slice says. Only loopback: the nodes are closed ports on 127.0.0.1.
 */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { sweeperFor } from "../../../cli/sweep-after.ts";
import { parseConfig } from "../../../shared/config.ts";
import type { ClusterState } from "../../../shared/domain/state.ts";
import { targetFromConfig } from "../../../shared/target.ts";
import { MemorySweepStore } from "../../helpers/fake-ports.ts";

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const healthy = {
  status: "HEALTHY",
  vipOwner: "a",
  nodes: { b: { replication: { io: "Yes", sql: true, lagSeconds: 0 } } },
} as unknown as ClusterState;

describe("the CLI's sweep slices", () => {
  it("beside the loop: after() returns at once, one slice at a time, close() waits; the unreachable node is named", async () => {
    // Prepare
    const port = await closedPort();
    const cfg = parseConfig({
      clusters: [
        {
          name: "lab",
          vip: { host: "127.0.0.1", port },
          mysql: { user: "prober", password: "p", tls: { mode: "disabled" } },
          nodes: {
            a: { host: "127.0.0.1", port, runner: { type: "netns", namespace: "none-a" } },
            b: { host: "127.0.0.1", port, runner: { type: "netns", namespace: "none-b" } },
          },
          compare: { schemas: ["shop"], sweep: { sliceSeconds: 2 } },
        },
      ],
    });
    const c = cfg.clusters[0] as (typeof cfg.clusters)[number];
    const lines: string[] = [];
    const store = new MemorySweepStore();
    store.loadDelayMs = 50;
    const sweeper = sweeperFor(c, targetFromConfig(c), store, (l) => lines.push(l));
    // Act
    const started = performance.now();
    sweeper.after(healthy);
    sweeper.after(healthy);
    const returnedMs = performance.now() - started;
    await sweeper.close();
    // Assess
    expect(returnedMs).toBeLessThan(20);
    expect(store.loads).toBe(1);
    expect(lines).toEqual([
      expect.stringMatching(/^ {2}consistency sweep: pass error: node A \(127\.0\.0\.1:\d+\): connect: /),
    ]);
    expect(store.item?.record.lastSlice).toMatchObject({ outcome: "error" });
  });
});
