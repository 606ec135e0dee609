/**
 * Code bundled exactly as the Lambda function is (infra/bundling.ts), run by a plain node process with
 * no node_modules in reach: what the bundle leaves out or replaces must not be missed on the way.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeServer, mariadbHandler, scriptedServer } from "../../emulators/mysql-server.ts";
import { lambdaEsbuildOptions } from "../../infra/bundling.ts";
import type { SqlObservation } from "../../shared/domain/sql.ts";
import { run } from "../../shared/util/exec.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let dir: string;
let server: FakeServer | undefined;

beforeAll(async () => {
  dir = mkdtempSync(`${tmpdir()}/mhp-bundled-probe-`);
  await build(
    lambdaEsbuildOptions(
      fileURLToPath(new URL("../helpers/bundled-probe-entry.ts", import.meta.url)),
      `${dir}/index.mjs`,
      ROOT,
    ),
  );
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const observe = async (port: number): Promise<SqlObservation> => {
  const r = await run(process.execPath, [`${dir}/index.mjs`, "127.0.0.1", String(port)], {
    timeoutMs: 20_000,
    env: { PATH: process.env.PATH },
  });
  return JSON.parse(r.stdout) as SqlObservation;
};

describe("the bundled SQL probe (mysql2 as the function carries it)", () => {
  it("completes the handshake and reads a server", async () => {
    // Prepare: a well-formed MariaDB as far as the probe can tell
    server = await scriptedServer(
      mariadbHandler({ columns: ["Connection_name", "Slave_IO_Running"], rows: [] }),
    );
    // Act
    const o = await observe(server.port);
    // Assess: through the handshake (mysql2 decodes it as cesu8, through iconv-lite) and the queries
    expect(o.error).toBeUndefined();
    expect(o.connected).toBe(true);
    expect(o.server).toMatchObject({ serverId: 1, hostname: "fake", replication: [] });
  });
});
