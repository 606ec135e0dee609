/** Rule group "endpoints": what each SQL endpoint's connection said (errors, and fields not understood). */

import type { Finding, FindingCode } from "../codes.ts";
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

type SqlErr = NonNullable<SqlObservation["error"]>;

/** The server answered, with a refusal or an error the class names: one finding per class. */
const ANSWERED: Partial<
  Record<SqlErr["class"], { code: FindingCode; say: (w: string, e: SqlErr) => string }>
> = {
  auth: {
    code: "MYSQL_AUTH_FAILED",
    say: (w, e) =>
      `The prober could not log in to ${w}: ${e.message} (the prober's configuration: mysql.user and its password).`,
  },
  too_many_connections: {
    code: "MYSQL_TOO_MANY_CONNECTIONS",
    say: (w) => `${cap(w)} refused the prober: too many connections.`,
  },
  server_limit: {
    code: "MYSQL_SERVER_LIMIT",
    say: (w, e) => `${cap(w)} refused the prober for a limit of its own: ${e.message}`,
  },
  server_error: {
    code: "MYSQL_QUERY_FAILED",
    say: (w, e) => `${cap(w)} answered ${e.during} with an error: ${e.message}`,
  },
  privilege: {
    code: "MYSQL_PRIVILEGE_MISSING",
    say: (w, e) => `The monitoring user lacks a privilege on ${w}: ${e.message}`,
  },
  tls: {
    code: "MYSQL_TLS_FAILED",
    say: (w, e) =>
      `TLS to ${w} failed (${e.code ?? "tls"}): ${e.message}. The prober does not fall back to plaintext.`,
  },
  bad_result: { code: "MYSQL_BAD_RESULT", say: (w, e) => `Unexpected result from ${w}: ${e.message}` },
};

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
  const answered = ANSWERED[e.class];
  if (answered) return [makeFinding(answered.code, answered.say(w, e), evidence, o.endpoint)];
  // connected, then a query failed or hung
  if (o.connected)
    return [
      makeFinding(
        "MYSQL_UNREACHABLE",
        `${cap(w)} stopped answering during ${e.during}: ${e.message}`,
        evidence,
        o.endpoint,
      ),
    ];
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

export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
