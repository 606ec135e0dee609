/** The endpoints rule group: one finding per failed connection, by class, and one naming unknown fields. */
import { describe, expect, it } from "vitest";
import { failed, loadFixture, observed, serverFrom } from "../../../../emulators/mysql-recordings.ts";
import { endpointFindings } from "../../../../shared/domain/rules/mysql-endpoints.ts";
import type { SqlObservation } from "../../../../shared/domain/sql.ts";

const one = (o: SqlObservation) => {
  const f = endpointFindings(o);
  expect(f).toHaveLength(1);
  return { code: f[0]?.code, subject: f[0]?.subject, message: f[0]?.message, evidence: f[0]?.evidence };
};

describe("endpoint findings", () => {
  it.each([
    [
      "auth",
      "a",
      false,
      "MYSQL_AUTH_FAILED",
      "The prober could not log in to node A (192.0.2.11): simulated auth (the prober's configuration: mysql.user and its password).",
    ],
    [
      "too_many_connections",
      "b",
      false,
      "MYSQL_TOO_MANY_CONNECTIONS",
      "Node B (192.0.2.11) refused the prober: too many connections.",
    ],
    [
      "privilege",
      "a",
      true,
      "MYSQL_PRIVILEGE_MISSING",
      "The monitoring user lacks a privilege on node A (192.0.2.11): simulated privilege",
    ],
    [
      "tls",
      "vip",
      false,
      "MYSQL_TLS_FAILED",
      "TLS to the VIP (192.0.2.11) failed (tls): simulated tls. The prober does not fall back to plaintext.",
    ],
    [
      "bad_result",
      "b",
      true,
      "MYSQL_BAD_RESULT",
      "Unexpected result from node B (192.0.2.11): simulated bad_result",
    ],
    [
      "timeout",
      "a",
      true,
      "MYSQL_UNREACHABLE",
      "Node A (192.0.2.11) stopped answering during SHOW REPLICA STATUS: simulated timeout",
    ],
    [
      "refused",
      "vip",
      false,
      "VIP_UNREACHABLE",
      "No MySQL answered on the VIP (192.0.2.11): refused (simulated refused).",
    ],
    [
      "refused",
      "b",
      false,
      "MYSQL_UNREACHABLE",
      "MySQL on node B (192.0.2.11) did not answer: refused (simulated refused).",
    ],
  ] as const)("%s on %s (connected %s): %s", (cls, endpoint, connected, code, message) => {
    const f = one(failed(endpoint, "192.0.2.11", cls, connected));
    expect(f).toMatchObject({ code, subject: endpoint, message });
    expect(f.evidence).toMatchObject({ host: "192.0.2.11", port: 3306, class: cls });
  });

  it("a TLS failure names its code when the driver gives one", () => {
    const o = failed("a", "192.0.2.11", "tls");
    if (o.error) o.error = { ...o.error, code: "HANDSHAKE_SSL_ERROR" } as never;
    expect(one(o).message).toBe(
      "TLS to node A (192.0.2.11) failed (HANDSHAKE_SSL_ERROR): simulated tls. The prober does not fall back to plaintext.",
    );
  });

  it("values the parser did not know: one MYSQL_FIELD_UNKNOWN naming each field, its problem and value", () => {
    const server = serverFrom(loadFixture("mysql-8.0"), "b");
    server.unknown = [
      { field: "read_only", problem: "not ON or OFF", value: "MAYBE" },
      { field: "Seconds_Behind_Source", problem: "missing" },
    ] as never;
    const f = one(observed("b", "192.0.2.12", server));
    expect(f).toMatchObject({
      code: "MYSQL_FIELD_UNKNOWN",
      subject: "b",
      message:
        'Node B (192.0.2.12) returned values the prober does not know, so these are unknown: read_only (not ON or OFF: "MAYBE"); Seconds_Behind_Source (missing).',
    });
    expect(endpointFindings(observed("b", "192.0.2.12", serverFrom(loadFixture("mysql-8.0"), "b")))).toEqual(
      [],
    );
  });
});
