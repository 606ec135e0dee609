/** doctor's fixes for what the lab cannot produce (the lab test covers what it can). */
import { describe, expect, it } from "vitest";
import { doctorChecks } from "../../shared/doctor.ts";
import { assess } from "../../shared/domain/assess.ts";
import type { ProbeTarget } from "../../shared/pipeline.ts";
import { nodesView, PAIR, scriptedTarget, sqlView } from "../helpers/cluster.ts";

const target: ProbeTarget = scriptedTarget("prod");

function checksWith(nodeB: Parameters<typeof doctorChecks>[0]["observed"]["nodes"]["b"]) {
  const sql = sqlView("a");
  const nodes = { ...nodesView("a"), b: nodeB };
  const assessment = assess({ sql, nodes, pair: PAIR, previous: null, now: new Date() });
  return doctorChecks({
    target,
    observed: { sql, nodes: { a: nodes.a, b: nodeB } },
    assessment,
    monitorUser: "prober",
  });
}

describe("doctor", () => {
  it.each([
    ["script-error", "parameter Vip is required", /update the SSM agent to 3\.3\.2746 or later/],
    ["script-error", "ip addr show failed: Cannot open netlink socket", /install iproute2/],
    ["undeliverable", "the agent is offline", /start the SSM agent/],
    ["access-denied", "not authorized", /allow ssm:SendCommand/],
  ] as const)("a node check that fails with %s (%s) names its fix", (reason, detail, fix) => {
    const c = checksWith({ ok: false, reason, detail, durationMs: 5 }).find(
      (x) => x.what === "node B: the node check runs",
    );
    expect(c).toMatchObject({ ok: false });
    expect(c?.fix).toMatch(fix);
  });
});
