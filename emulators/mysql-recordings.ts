/** Builds SqlObservations from the answers of real servers, recorded in emulators/mysql-recordings/. */
import { readFileSync } from "node:fs";
import {
  parseServerInfo,
  type ServerInfo,
  type SqlObservation,
  variablesFromRows,
} from "../shared/domain/sql.ts";
import type { EndpointName } from "../shared/domain/types.ts";

export type FixtureName = "mysql-5.7" | "mysql-8.0" | "mysql-8.4" | "mariadb-10.11";

export interface Fixture {
  statement: string;
  a: { variables: { Variable_name: string; Value: string }[]; replicaRows: Record<string, unknown>[] };
  b: { variables: { Variable_name: string; Value: string }[]; replicaRows: Record<string, unknown>[] };
}

export function loadFixture(name: FixtureName): Fixture {
  return JSON.parse(readFileSync(new URL(`./mysql-recordings/${name}.json`, import.meta.url), "utf8"));
}

export function serverFrom(
  f: Fixture,
  node: "a" | "b",
  vars: Record<string, string> = {},
  row: Record<string, unknown> = {},
): ServerInfo {
  const v = { ...variablesFromRows(f[node].variables), ...vars };
  return parseServerInfo(
    v,
    f[node].replicaRows.map((r) => ({ ...r, ...row })),
  );
}

export function observed(endpoint: EndpointName, host: string, server: ServerInfo): SqlObservation {
  return {
    endpoint,
    host,
    port: 3306,
    observedAt: "2026-11-24T00:00:00.000Z",
    alive: true,
    connected: true,
    connectMs: 3,
    durationMs: 5,
    server,
  };
}

export function failed(
  endpoint: EndpointName,
  host: string,
  cls: NonNullable<SqlObservation["error"]>["class"],
  connected = false,
): SqlObservation {
  return {
    endpoint,
    host,
    port: 3306,
    observedAt: "2026-11-24T00:00:00.000Z",
    alive: connected || cls === "too_many_connections",
    connected,
    connectMs: connected ? 3 : null,
    durationMs: 2000,
    error: { class: cls, message: `simulated ${cls}`, during: connected ? "SHOW REPLICA STATUS" : "connect" },
  };
}
