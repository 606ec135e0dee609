/** Replication rules called directly: finding the channel from the peer, the lag's source and thresholds. */
import { describe, expect, it } from "vitest";
import { loadFixture, serverFrom } from "../../../../emulators/mysql-recordings.ts";
import {
  channelFromPeer,
  DEFAULT_SQL_THRESHOLDS,
  heartbeatLagMs,
  lagOf,
  replicationFindings,
} from "../../../../shared/domain/rules/replication.ts";
import type { ReplicationChannel, ServerInfo } from "../../../../shared/domain/sql.ts";

const f = loadFixture("mysql-8.4");
const A = serverFrom(f, "a");
const B = serverFrom(f, "b");
const channel = (over: Partial<ReplicationChannel>): ReplicationChannel => ({
  ...(B.replication[0] as ReplicationChannel),
  ...over,
});
const on = (s: ServerInfo, ...cs: ReplicationChannel[]): ServerInfo => ({ ...s, replication: cs });

describe("channelFromPeer", () => {
  const peer = { host: "192.0.2.11", aliases: ["DB-A.example"] };
  it("by the peer's address or an alias, in any case", () => {
    const c = channel({ sourceHost: "db-a.EXAMPLE", sourceUuid: null, sourceServerId: null });
    expect(channelFromPeer(on(B, c), peer)).toBe(c);
    expect(channelFromPeer(on(B, c), { host: "192.0.2.11" })).toBeNull();
  });

  it("else by the peer's server_uuid, else its server_id; unknown values match nothing", () => {
    const byUuid = channel({ sourceHost: "x", sourceUuid: A.serverUuid, sourceServerId: null });
    expect(channelFromPeer(on(B, byUuid), { host: "y" }, A)).toBe(byUuid);
    const byId = channel({ sourceHost: "x", sourceUuid: null, sourceServerId: 1 });
    expect(channelFromPeer(on(B, byId), { host: "y" }, A)).toBe(byId);
    expect(channelFromPeer(on(B, byId), { host: "y" })).toBeNull();
    const unknown = channel({ sourceHost: "x", sourceUuid: null, sourceServerId: null });
    expect(
      channelFromPeer(on(B, unknown), { host: "y" }, { ...A, serverUuid: null, serverId: null }),
    ).toBeNull();
    const other = channel({
      sourceHost: "x",
      sourceUuid: "11111111-1111-1111-1111-111111111111",
      sourceServerId: 7,
    });
    expect(channelFromPeer(on(B, other), { host: "y" }, A)).toBeNull();
  });
});

describe("the lag", () => {
  it("the heartbeat: 0 when the node has the last write, else since the oldest write it lacks; unknown without a read or writes", () => {
    expect(heartbeatLagMs(300, [100, 200, 300], 1000)).toBe(0);
    expect(heartbeatLagMs(100, [100, 200, 300], 1000)).toBe(800);
    expect(heartbeatLagMs(0, [100], 50)).toBe(0); // clock behind the write: never negative
    expect(heartbeatLagMs(null, [100], 1000)).toBeNull();
    expect(heartbeatLagMs(undefined, [100], 1000)).toBeNull();
    expect(heartbeatLagMs(100, [], 1000)).toBeNull();
  });

  it("the heartbeat wins over Seconds_Behind_Source (tenths of a second); a NULL Seconds_Behind is unknown", () => {
    expect(lagOf(channel({ lagSeconds: 9 }), 1234)).toEqual({ seconds: 1.2, source: "heartbeat" });
    expect(lagOf(channel({ lagSeconds: 9 }), null)).toEqual({ seconds: 9, source: "seconds_behind_source" });
    expect(lagOf(channel({ lagSeconds: 0 }), null)).toEqual({ seconds: 0, source: "seconds_behind_source" });
    expect(lagOf(channel({ lagSeconds: null }), null)).toBeNull();
    expect(lagOf(null, null)).toBeNull();
  });

  it("at the critical threshold it is a warning; past it, critical", () => {
    const sev = (s: number) =>
      replicationFindings("b", "A→B", channel({}), DEFAULT_SQL_THRESHOLDS, {
        seconds: s,
        source: "heartbeat",
      }).map((x) => `${x.severity} ${x.message}`);
    expect(sev(300)).toEqual(["warning Replication A→B lags 300 s (heartbeat) (threshold 30 s)."]);
    expect(sev(300.1)).toEqual(["critical Replication A→B lags 300.1 s (heartbeat) (threshold 300 s)."]);
  });

  it("the evidence names the source with its port, or ? when unknown", () => {
    const [x] = replicationFindings(
      "b",
      "A→B",
      channel({ sourcePort: null, ioRunning: false, ioState: "No" }),
      DEFAULT_SQL_THRESHOLDS,
      null,
    );
    expect(x?.evidence).toMatchObject({
      source: `${B.replication[0]?.sourceHost}:?`,
      lagSeconds: null,
      lagSource: null,
    });
  });
});
