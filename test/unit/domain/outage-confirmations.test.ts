/**
 * With `confirmations: 1` (every change mailed at once), a one-probe outage of a node's mysqld followed by
 * its restart: the outage mail and one recovery mail, and the restart goes with the recovery, never a mail
 * of its own (issue 33, noticed items).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_ALERT_POLICY, type Decision, decide } from "../../../shared/domain/alert-policy.ts";
import { assess } from "../../../shared/domain/assess.ts";
import type { SqlObservation } from "../../../shared/domain/sql.ts";
import { input, nodesView, sqlView } from "../../helpers/cluster.ts";

const withUptime = (o: SqlObservation, uptimeSeconds: number): SqlObservation => ({
  ...o,
  ...(o.server ? { server: { ...o.server, uptimeSeconds, replicaStops: 1 } } : {}),
});
const upAt = (iso: string, uptimeB: number) => {
  const v = sqlView("a");
  return { ...v, b: withUptime({ ...v.b, observedAt: iso }, uptimeB) };
};

describe("confirmations: 1, a one-probe outage, then the restart", () => {
  it("two mails: the outage, and the recovery that names the restart", () => {
    const policy = { ...DEFAULT_ALERT_POLICY, confirmations: 1 };
    // one probe a minute, each decided on the state the previous one left
    const probe = (previous: Decision | null, minute: number, sql: ReturnType<typeof sqlView>) => {
      const at = new Date(`2026-11-24T10:0${minute}:00Z`);
      const state = previous?.state ?? null;
      return decide("p", state, assess(input(sql, nodesView("a"), state, at)), at, policy);
    };
    const s0 = probe(null, 0, upAt("2026-11-24T10:00:00Z", 5000));
    const s1 = probe(s0, 1, sqlView("a", ["b"]));
    const s2 = probe(s1, 2, upAt("2026-11-24T10:02:00Z", 20));
    const s3 = probe(s2, 3, upAt("2026-11-24T10:03:00Z", 80));
    const mails = [s1, s2, s3].flatMap((d) => (d.alert ? [d.alert.subject] : []));
    expect(mails).toHaveLength(2);
    expect(mails[0]).toMatch(/HEALTHY -> DEGRADED/);
    expect(mails[1]).toMatch(/DEGRADED -> HEALTHY/);
    expect(s2.opened.map((i) => i.code)).toEqual(["MYSQL_RESTARTED"]);
    expect(s2.alert?.text).toContain("MYSQL_RESTARTED");
  });
});
