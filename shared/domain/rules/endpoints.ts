/** Rule group "endpoints": what each SQL endpoint's connection said (errors, and fields not understood). */

import type { Finding } from "../codes.ts";
import { makeFinding } from "../codes.ts";
import type { SqlObservation } from "../sql.ts";

export function endpointFindings(o: SqlObservation): Finding[] {
  return [...errorFindings(o), ...unknownFieldFindings(o)];
}

/** A value the parser did not know makes that field unknown, with one finding naming every such field. */
function unknownFieldFindings(o: SqlObservation): Finding[] {
  const unknown = o.server?.unknown ?? [];
  if (unknown.length === 0) return [];
  return [
    makeFinding(
      "MYSQL_FIELD_UNKNOWN",
      `${cap(where(o))} returned values the prober does not know, so these are unknown: ${unknown
        .map((u) => `${u.field} (${u.problem}${u.value !== undefined ? `: ${JSON.stringify(u.value)}` : ""})`)
        .join("; ")}.`,
      { fields: unknown },
      o.endpoint,
    ),
  ];
}

function where(o: SqlObservation): string {
  return o.endpoint === "vip" ? `the VIP (${o.host})` : `node ${o.endpoint.toUpperCase()} (${o.host})`;
}

function errorFindings(o: SqlObservation): Finding[] {
  if (!o.error) return [];
  const e = o.error;
  const w = where(o);
  const evidence = {
    host: o.host,
    port: o.port,
    class: e.class,
    code: e.code,
    error: e.message,
    during: e.during,
  };
  switch (e.class) {
    case "auth":
      return [
        makeFinding(
          "MYSQL_AUTH_FAILED",
          `The prober could not log in to ${w}: ${e.message} (the prober's configuration: mysql.user and its password).`,
          evidence,
          o.endpoint,
        ),
      ];
    case "too_many_connections":
      return [
        makeFinding(
          "MYSQL_TOO_MANY_CONNECTIONS",
          `${cap(w)} refused the prober: too many connections.`,
          evidence,
          o.endpoint,
        ),
      ];
    case "server_limit":
      return [
        makeFinding(
          "MYSQL_SERVER_LIMIT",
          `${cap(w)} refused the prober for a limit of its own: ${e.message}`,
          evidence,
          o.endpoint,
        ),
      ];
    case "server_error":
      return [
        makeFinding(
          "MYSQL_QUERY_FAILED",
          `${cap(w)} answered ${e.during} with an error: ${e.message}`,
          evidence,
          o.endpoint,
        ),
      ];
    case "privilege":
      return [
        makeFinding(
          "MYSQL_PRIVILEGE_MISSING",
          `The monitoring user lacks a privilege on ${w}: ${e.message}`,
          evidence,
          o.endpoint,
        ),
      ];
    case "tls":
      return [
        makeFinding(
          "MYSQL_TLS_FAILED",
          `TLS to ${w} failed (${e.code ?? "tls"}): ${e.message}. The prober does not fall back to plaintext.`,
          evidence,
          o.endpoint,
        ),
      ];
    case "bad_result":
      return [
        makeFinding("MYSQL_BAD_RESULT", `Unexpected result from ${w}: ${e.message}`, evidence, o.endpoint),
      ];
    default:
      if (o.connected) {
        // connected, then a query failed or hung
        return [
          makeFinding(
            "MYSQL_UNREACHABLE",
            `${cap(w)} stopped answering during ${e.during}: ${e.message}`,
            evidence,
            o.endpoint,
          ),
        ];
      }
      return o.endpoint === "vip"
        ? [
            makeFinding(
              "VIP_UNREACHABLE",
              `No MySQL answered on ${w}: ${e.class} (${e.message}).`,
              evidence,
              "vip",
            ),
          ]
        : [
            makeFinding(
              "MYSQL_UNREACHABLE",
              `MySQL on ${w} did not answer: ${e.class} (${e.message}).`,
              evidence,
              o.endpoint,
            ),
          ];
  }
}

export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
