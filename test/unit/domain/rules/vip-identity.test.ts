/** Which node the VIP's SQL connection landed on, by server_uuid, else server_id and hostname. */
import { describe, expect, it } from "vitest";
import { failed, loadFixture, observed, serverFrom } from "../../../../emulators/mysql-recordings.ts";
import { matchVip, type SqlView, vipIdentityFindings } from "../../../../shared/domain/rules/vip-identity.ts";
import type { ServerInfo } from "../../../../shared/domain/sql.ts";
import { PAIR } from "../../../helpers/cluster.ts";

const f = loadFixture("mysql-8.4");
const A = serverFrom(f, "a");
const B = serverFrom(f, "b");
const noUuid = (s: ServerInfo): ServerInfo => ({ ...s, serverUuid: null });

function view(vip: ServerInfo | null, a: ServerInfo | null, b: ServerInfo | null): SqlView {
  return {
    vip: vip ? observed("vip", "192.0.2.100", vip) : failed("vip", "192.0.2.100", "timeout"),
    a: a ? observed("a", PAIR.a.host, a) : failed("a", PAIR.a.host, "refused"),
    b: b ? observed("b", PAIR.b.host, b) : failed("b", PAIR.b.host, "refused"),
  };
}

describe("matchVip", () => {
  it("by server_uuid when both sides have one", () => {
    expect(matchVip(view(A, A, B))).toBe("a");
    expect(matchVip(view(B, A, B))).toBe("b");
    // the same server_id and hostname do not matter when the uuids differ
    expect(
      matchVip(
        view({ ...B, serverId: 1, hostname: A.hostname }, A, {
          ...B,
          serverUuid: "11111111-1111-1111-1111-111111111111",
        }),
      ),
    ).toBeNull();
  });

  it("by server_id and hostname when a uuid is missing (MariaDB)", () => {
    expect(matchVip(view(noUuid(A), noUuid(A), noUuid(B)))).toBe("a");
    expect(matchVip(view(noUuid(B), A, noUuid(B)))).toBe("b");
    // the same server_id on another host is not the same server
    expect(matchVip(view({ ...noUuid(A), hostname: "elsewhere" }, noUuid(A), noUuid(B)))).toBeNull();
    // an unread server_id matches nothing
    expect(
      matchVip(view({ ...noUuid(A), serverId: null }, { ...noUuid(A), serverId: null }, noUuid(B))),
    ).toBeNull();
  });

  it("matching both nodes (a cloned server) tells nothing", () => {
    expect(matchVip(view(A, A, A))).toBeNull();
  });

  it("one node unobserved: the VIP's server is the other node when it differs from the observed one", () => {
    expect(matchVip(view(B, A, null))).toBe("b");
    expect(matchVip(view(A, null, B))).toBe("a");
    // by server_id when a uuid is missing
    expect(matchVip(view(noUuid(B), noUuid(A), null))).toBe("b");
    expect(matchVip(view(noUuid(A), null, noUuid(B)))).toBe("a");
    // the same server_id on both: it cannot be told
    expect(matchVip(view({ ...noUuid(B), serverId: 1, hostname: "x" }, noUuid(A), null))).toBeNull();
    // an unread server_id: it cannot be told
    expect(matchVip(view({ ...noUuid(B), serverId: null }, noUuid(A), null))).toBeNull();
    expect(matchVip(view(noUuid(B), { ...noUuid(A), serverId: null }, null))).toBeNull();
  });

  it("nothing observed, or no VIP answer: null", () => {
    expect(matchVip(view(A, null, null))).toBeNull();
    expect(matchVip(view(null, A, B))).toBeNull();
  });
});

describe("vipIdentityFindings", () => {
  it("VIP_ON_NODE names the node; VIP_IDENTITY_UNKNOWN names the server it found", () => {
    expect(vipIdentityFindings(view(A, A, B), "a")).toEqual([
      {
        code: "VIP_ON_NODE",
        severity: "info",
        subject: "vip",
        message: "The VIP connection landed on node A.",
        evidence: { node: "a", serverId: 1, serverUuid: A.serverUuid, hostname: "db-a" },
      },
    ]);
    expect(vipIdentityFindings(view(A, A, B), null)).toEqual([
      {
        code: "VIP_IDENTITY_UNKNOWN",
        severity: "warning",
        subject: "vip",
        message: "The server on the VIP (server_id 1, db-a) matches neither node.",
        evidence: { serverId: 1, serverUuid: A.serverUuid, hostname: "db-a" },
      },
    ]);
    expect(vipIdentityFindings(view({ ...A, serverId: null }, A, B), null)[0]?.message).toBe(
      "The server on the VIP (server_id ?, db-a) matches neither node.",
    );
    expect(vipIdentityFindings(view(null, A, B), null)).toEqual([]);
  });
});
