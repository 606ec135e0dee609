/**
 * With `confirmations: 1` (every change mailed at once), a one-probe outage of a node's mysqld followed by
 * its restart: the outage mail and one recovery mail, and the restart goes with the recovery, never a mail
 * of its own (issue 33, noticed items).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_ALERT_POLICY, decide } from "../../../shared/domain/alert-policy.ts";
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
    const at = (s: string) => new Date(`2026-11-24T10:0${s}Z`);
    const s0 = decide(
      "p",
      null,
      assess(input(upAt("2026-11-24T10:00:00Z", 5000), nodesView("a"))),
      at("0:00"),
      policy,
    );
    const s1 = decide(
      "p",
      s0.state,
      assess(input(sqlView("a", ["b"]), nodesView("a"), s0.state, at("1:00"))),
      at("1:00"),
      policy,
    );
    const s2 = decide(
      "p",
      s1.state,
      assess(input(upAt("2026-11-24T10:02:00Z", 20), nodesView("a"), s1.state, at("2:00"))),
      at("2:00"),
      policy,
    );
    const s3 = decide(
      "p",
      s2.state,
      assess(input(upAt("2026-11-24T10:03:00Z", 80), nodesView("a"), s2.state, at("3:00"))),
      at("3:00"),
      policy,
    );
    const mails = [s1, s2, s3].flatMap((d) => (d.alert ? [d.alert.subject] : []));
    expect(mails).toHaveLength(2);
    expect(mails[0]).toMatch(/HEALTHY -> DEGRADED/);
    expect(mails[1]).toMatch(/DEGRADED -> HEALTHY/);
    expect(s2.opened.map((i) => i.code)).toEqual(["MYSQL_RESTARTED"]);
    expect(s2.alert?.text).toContain("MYSQL_RESTARTED");
  });
});
