/** The five views of who is primary: compared, what is missing named, the owner they point to. */
import { describe, expect, it } from "vitest";
import type { NodeCheckResult, NodeReport } from "../../../../shared/domain/node.ts";
import {
  arpOwners,
  disagreementFindings,
  missingViews,
  silentArpFindings,
  type Views,
  viewMissingFindings,
  vipOwnerOf,
} from "../../../../shared/domain/rules/cross-check.ts";
import { healthy, MAC, report } from "../../../helpers/node-reports.ts";

const NONE: Views = {
  keepalivedMaster: null,
  vipBound: null,
  arpAnswer: null,
  vipSqlLandedOn: null,
  takingWrites: null,
};
const views = (v: Partial<Views>): Views => ({ ...NONE, ...v });
const failedCheck: NodeCheckResult = { ok: false, reason: "timeout", detail: "x", durationMs: 1 };
const withArp = (arp: Partial<NodeReport["arp"]>): NodeCheckResult => {
  const r = report({ mac: MAC.b, keepalived: "BACKUP" });
  return { ok: true, report: { ...r, arp: { ...r.arp, ...arp } }, durationMs: 1 };
};

describe("arpOwners", () => {
  it("each MAC as the node it belongs to, or foreign; a node not checked owns nothing", () => {
    const n = healthy();
    expect(arpOwners([MAC.a, MAC.b, "02:00:00:00:00:ee"], n)).toEqual([
      "a",
      "b",
      "foreign:02:00:00:00:00:ee",
    ]);
    expect(arpOwners([MAC.a, MAC.b], { a: n.a, b: failedCheck })).toEqual(["a", `foreign:${MAC.b}`]);
    const noMac = withArp({});
    if (noMac.ok) noMac.report.vip.mac = "";
    expect(arpOwners([""], { a: noMac, b: noMac })).toEqual(["foreign:"]);
  });
});

describe("missingViews", () => {
  it("names the node check, the VIP's identity and each node's SQL that were not seen", () => {
    expect(missingViews(NONE, { a: false, b: false })).toEqual([
      "keepalived state and VIP binding (node check)",
      "the VIP's SQL identity",
      "node A over SQL",
      "node B over SQL",
    ]);
    expect(
      missingViews(views({ keepalivedMaster: ["a"], vipBound: ["a"], vipSqlLandedOn: ["a"] }), {
        a: true,
        b: true,
      }),
    ).toEqual([]);
    expect(
      missingViews(views({ keepalivedMaster: [], vipBound: null, vipSqlLandedOn: [] }), {
        a: true,
        b: false,
      }),
    ).toEqual(["keepalived state and VIP binding (node check)", "node B over SQL"]);
    expect(
      missingViews(views({ keepalivedMaster: null, vipBound: ["a"], vipSqlLandedOn: ["a"] }), {
        a: true,
        b: true,
      }),
    ).toEqual(["keepalived state and VIP binding (node check)"]);
  });

  it("VIEW_MISSING lists them, none when nothing is missing", () => {
    expect(viewMissingFindings(["x", "y"])).toEqual([
      {
        code: "VIEW_MISSING",
        severity: "warning",
        subject: "pair",
        message: "Not observed: x; y.",
        evidence: { missing: ["x", "y"] },
      },
    ]);
    expect(viewMissingFindings([])).toEqual([]);
  });
});

describe("silentArpFindings: the node without the VIP must hear the holder", () => {
  const bound = views({ vipBound: ["a"] });
  it("silence from the other node after arping sent requests is VIEWS_DISAGREE, naming both", () => {
    for (const tool of ["habets", "iputils"] as const) {
      const out = silentArpFindings(bound, { a: healthy().a, b: withArp({ tool, sent: 2, replies: [] }) });
      expect(out).toEqual([
        {
          code: "VIEWS_DISAGREE",
          severity: "warning",
          subject: "pair",
          message: "Node A has the VIP bound, but nobody answers ARP for it from node B.",
          evidence: { views: bound, silentArpFrom: "b" },
        },
      ]);
    }
    const onB = views({ vipBound: ["b"] });
    expect(silentArpFindings(onB, { a: withArp({ sent: 1, replies: [] }), b: healthy().a })[0]?.message).toBe(
      "Node B has the VIP bound, but nobody answers ARP for it from node A.",
    );
  });

  it("nothing when a reply came, arping sent nothing or did not run, the check failed, or the holder is not one node", () => {
    const n = healthy();
    expect(silentArpFindings(bound, n)).toEqual([]);
    for (const arp of [
      { sent: 0 },
      { sent: null },
      { tool: "skipped" as const },
      { tool: "none" as const },
      { tool: "unknown" as const },
    ])
      expect(
        silentArpFindings(bound, { a: n.a, b: withArp({ replies: [], sent: 2, ...arp }) }),
        JSON.stringify(arp),
      ).toEqual([]);
    expect(silentArpFindings(bound, { a: n.a, b: failedCheck })).toEqual([]);
    for (const v of [null, [], ["a", "b"]])
      expect(
        silentArpFindings(views({ vipBound: v }), { a: n.a, b: withArp({ sent: 2, replies: [] }) }),
      ).toEqual([]);
  });
});

describe("disagreementFindings", () => {
  it("views that agree (in any order), or that are empty or missing, are no finding", () => {
    expect(
      disagreementFindings(views({ keepalivedMaster: ["a"], vipBound: ["a"], arpAnswer: ["a"] })),
    ).toEqual([]);
    expect(disagreementFindings(views({ keepalivedMaster: ["a", "b"], vipBound: ["b", "a"] }))).toEqual([]);
    expect(disagreementFindings(views({ keepalivedMaster: ["a"], vipBound: [], arpAnswer: null }))).toEqual(
      [],
    );
    expect(disagreementFindings(NONE)).toEqual([]);
  });

  it("two views that differ: every present view named with its nodes", () => {
    const v = views({ keepalivedMaster: ["a"], vipBound: ["a", "b"], arpAnswer: [], takingWrites: ["b"] });
    expect(disagreementFindings(v)).toEqual([
      {
        code: "VIEWS_DISAGREE",
        severity: "warning",
        subject: "pair",
        message: "The views of who is primary disagree: keepalivedMaster=a, vipBound=a+b, takingWrites=b.",
        evidence: { views: v },
      },
    ]);
  });
});

describe("vipOwnerOf", () => {
  it("both in a split; else one bound node, else where the VIP's SQL landed, else the one MASTER", () => {
    expect(vipOwnerOf(views({ vipBound: ["a"] }), true)).toBe("both");
    expect(
      vipOwnerOf(views({ vipBound: ["b"], vipSqlLandedOn: ["a"], keepalivedMaster: ["a"] }), false),
    ).toBe("b");
    expect(vipOwnerOf(views({ vipBound: ["a", "b"], vipSqlLandedOn: ["a"] }), false)).toBe("a");
    expect(vipOwnerOf(views({ vipBound: [], vipSqlLandedOn: null, keepalivedMaster: ["b"] }), false)).toBe(
      "b",
    );
    expect(
      vipOwnerOf(
        views({ vipBound: ["foreign:x"], vipSqlLandedOn: ["c"], keepalivedMaster: ["a", "b"] }),
        false,
      ),
    ).toBeNull();
    expect(vipOwnerOf(NONE, false)).toBeNull();
  });
});
