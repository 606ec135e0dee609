import { describe, expect, it } from "vitest";
import type { NodeReport } from "../../../../shared/domain/node.ts";
import { keepalivedPairFindings } from "../../../../shared/domain/rules/keepalived-pair.ts";
import { MAC, report } from "../../../helpers/node-reports.ts";

const HOSTS = { a: "192.0.2.11", b: "192.0.2.12" };
const pair = () => ({
  a: report({ mac: MAC.a, bound: true, keepalived: "MASTER" }),
  b: report({ mac: MAC.b, keepalived: "BACKUP" }),
});
const set = (r: NodeReport, change: Partial<NodeReport["keepalived"]["instances"][number]>) => {
  const i = r.keepalived.instances[0];
  if (i) Object.assign(i, change);
};
const codes = (p: Partial<Record<"a" | "b", NodeReport>>) =>
  keepalivedPairFindings(p, HOSTS).map((f) => `${f.code}@${f.subject}`);

describe("the keepalived pair rules", () => {
  it("the seed design's pair (both nopreempt, same vrid/advert/auth/VIP, 100 and 90) gives no finding", () => {
    expect(codes(pair())).toEqual([]);
  });

  it("a node that preempts (nopreempt missing, or cleared by an initial state MASTER)", () => {
    const p = pair();
    set(p.b, { preempt: true });
    expect(codes(p)).toEqual(["KEEPALIVED_PREEMPT_ON@b"]);
  });

  it.each([
    [{ vrid: 52 }, "virtual_router_id A=51 B=52"],
    [{ advertMs: 2000 }, "advert_int (ms) A=1000 B=2000"],
    [{ auth: "IPSEC_AH" }, "authentication A=SIMPLE_PASSWORD B=IPSEC_AH"],
    [{ vips: ["192.0.2.101/24"] }, "virtual IPs A=192.0.2.100/24 B=192.0.2.101/24"],
  ])("a difference: %j", (change, text) => {
    const p = pair();
    set(p.b, change);
    const f = keepalivedPairFindings(p, HOSTS);
    expect(f.map((x) => x.code)).toEqual(["KEEPALIVED_PAIR_MISMATCH"]);
    expect(f[0]?.message).toContain(text);
  });

  it("equal priorities", () => {
    const p = pair();
    set(p.b, { basePriority: 100 });
    expect(codes(p)).toEqual(["KEEPALIVED_EQUAL_PRIORITIES@pair"]);
  });

  it("unicast peers must point at each other", () => {
    const p = pair();
    set(p.a, { unicastPeers: ["192.0.2.12"] });
    set(p.b, { unicastPeers: ["192.0.2.99"] });
    const f = keepalivedPairFindings(p, HOSTS);
    expect(f[0]?.message).toContain("node B's unicast peers (192.0.2.99) lack node A (192.0.2.11)");
    set(p.b, { unicastPeers: ["192.0.2.11"] });
    expect(codes(p)).toEqual([]);
  });

  it("a node not seen (no dump): no comparison, never a guess", () => {
    expect(codes({ a: pair().a })).toEqual([]);
  });
});
