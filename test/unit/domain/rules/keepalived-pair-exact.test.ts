/** The keepalived pair rules, every comparison and its words, called directly. */
import { describe, expect, it } from "vitest";
import type { NodeReport } from "../../../../shared/domain/node.ts";
import { keepalivedPairFindings } from "../../../../shared/domain/rules/keepalived-pair.ts";
import { MAC, report } from "../../../helpers/node-reports.ts";

type Inst = NodeReport["keepalived"]["instances"][number];
const HOSTS = { a: "192.0.2.11", b: "192.0.2.12" };
const node = (mac: string, over: Partial<Inst> = {}, patch: (r: NodeReport) => void = () => {}) => {
  const r = report({ mac, keepalived: mac === MAC.a ? "MASTER" : "BACKUP", bound: mac === MAC.a });
  const i = r.keepalived.instances[0];
  if (i) Object.assign(i, over);
  patch(r);
  return r;
};
const pair = (a: Partial<Inst> = {}, b: Partial<Inst> = {}) => ({ a: node(MAC.a, a), b: node(MAC.b, b) });

describe("keepalivedPairFindings, exact", () => {
  it("every difference named with both values, in one finding, with both instances' settings", () => {
    const out = keepalivedPairFindings(
      pair(
        { vrid: 51, advertMs: 1000, auth: "PASS", vips: ["192.0.2.100/24", "192.0.2.101/24"] },
        { vrid: 52, advertMs: 2000, auth: "AH", vips: ["192.0.2.101/24"] },
      ),
      HOSTS,
    );
    expect(out).toEqual([
      {
        code: "KEEPALIVED_PAIR_MISMATCH",
        severity: "warning",
        subject: "pair",
        message:
          "The two keepalived configurations disagree: virtual_router_id A=51 B=52; advert_int (ms) A=1000 B=2000; authentication A=PASS B=AH; virtual IPs A=192.0.2.100/24,192.0.2.101/24 B=192.0.2.101/24.",
        evidence: {
          differ: [
            "virtual_router_id A=51 B=52",
            "advert_int (ms) A=1000 B=2000",
            "authentication A=PASS B=AH",
            "virtual IPs A=192.0.2.100/24,192.0.2.101/24 B=192.0.2.101/24",
          ],
          a: {
            instance: "VI_1",
            vrid: 51,
            advertMs: 1000,
            auth: "PASS",
            vips: ["192.0.2.100/24", "192.0.2.101/24"],
            priority: 100,
            preempt: false,
            unicastPeers: [],
          },
          b: {
            instance: "VI_1",
            vrid: 52,
            advertMs: 2000,
            auth: "AH",
            vips: ["192.0.2.101/24"],
            priority: 90,
            preempt: false,
            unicastPeers: [],
          },
        },
      },
    ]);
  });

  it("the same VIPs in another order, and values one side does not report, are no difference", () => {
    expect(
      keepalivedPairFindings(
        pair(
          { vips: ["192.0.2.100/24", "192.0.2.101/24"], vrid: null, advertMs: null, auth: "" },
          { vips: ["192.0.2.101/24", "192.0.2.100/24"], vrid: 52, advertMs: 3000, auth: "PASS" },
        ),
        HOSTS,
      ),
    ).toEqual([]);
  });

  it("unicast: each side must list the other; a side with none is named as none", () => {
    const m = (a: string[], b: string[]) =>
      keepalivedPairFindings(pair({ unicastPeers: a }, { unicastPeers: b }), HOSTS).map((f) => f.message);
    expect(m([HOSTS.b], [HOSTS.a])).toEqual([]);
    expect(m([HOSTS.b], [])).toEqual([
      "The two keepalived configurations disagree: node B's unicast peers (none) lack node A (192.0.2.11).",
    ]);
    expect(m(["192.0.2.99", "192.0.2.98"], [HOSTS.a])).toEqual([
      "The two keepalived configurations disagree: node A's unicast peers (192.0.2.99,192.0.2.98) lack node B (192.0.2.12).",
    ]);
    expect(m([], [])).toEqual([]);
  });

  it("preempt on either node, named per node; null (unknown) is not preempt", () => {
    const out = keepalivedPairFindings(pair({ preempt: true }, { preempt: true }), HOSTS);
    expect(out.map((f) => [f.code, f.subject, f.severity])).toEqual([
      ["KEEPALIVED_PREEMPT_ON", "a", "warning"],
      ["KEEPALIVED_PREEMPT_ON", "b", "warning"],
    ]);
    expect(out[1]).toMatchObject({
      message:
        "keepalived on node B preempts (nopreempt is missing, or keepalived cleared it because the instance's initial state is MASTER): a recovered node takes the VIP back.",
      evidence: { instance: "VI_1" },
    });
    expect(keepalivedPairFindings(pair({ preempt: null }, { preempt: null }), HOSTS)).toEqual([]);
  });

  it("preempt is reported from one node's dump even when the other node was not seen", () => {
    const out = keepalivedPairFindings({ a: node(MAC.a, { preempt: true }) }, HOSTS);
    expect(out.map((f) => f.code)).toEqual(["KEEPALIVED_PREEMPT_ON"]);
  });

  it("equal priorities, with the priority; unknown priorities are not equal", () => {
    expect(keepalivedPairFindings(pair({ basePriority: 100 }, { basePriority: 100 }), HOSTS)).toEqual([
      {
        code: "KEEPALIVED_EQUAL_PRIORITIES",
        severity: "warning",
        subject: "pair",
        message:
          "Both nodes have priority 100 for the VIP's instance: which one wins an election is left to chance (the higher IP address).",
        evidence: { priority: 100 },
      },
    ]);
    expect(keepalivedPairFindings(pair({ basePriority: null }, { basePriority: null }), HOSTS)).toEqual([]);
  });

  it("only DATA dumps of a running keepalived count (a notify file carries no settings)", () => {
    const differ = (patch: (r: NodeReport) => void) =>
      keepalivedPairFindings({ a: node(MAC.a, { vrid: 51 }, patch), b: node(MAC.b, { vrid: 52 }) }, HOSTS);
    expect(differ(() => {})).toHaveLength(1);
    expect(differ((r) => (r.keepalived.source = "notify"))).toEqual([]);
    expect(differ((r) => (r.keepalived.running = false))).toEqual([]);
  });

  it("the configured instance is the one compared", () => {
    const second = (vrid: number) => (r: NodeReport) => {
      const i = r.keepalived.instances[0];
      if (i) r.keepalived.instances.push({ ...i, name: "VI_2", vrid, vips: ["198.51.100.9/24"] });
    };
    const reports = { a: node(MAC.a, { vrid: 51 }, second(60)), b: node(MAC.b, { vrid: 51 }, second(61)) };
    expect(keepalivedPairFindings(reports, HOSTS)).toEqual([]);
    expect(keepalivedPairFindings(reports, HOSTS, "VI_2").map((f) => f.evidence.differ)).toEqual([
      ["virtual_router_id A=60 B=61"],
    ]);
  });
});
