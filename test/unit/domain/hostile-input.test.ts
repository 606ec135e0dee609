/**
 * A hostile or broken server's answers: bounded work and bounded text, an over-cap value is that field
 * unknown (named), never a crash or a stalled probe; and the stored state stays under DynamoDB's limit.
 */
import { describe, expect, it } from "vitest";
import { loadFixture } from "../../../emulators/mysql-recordings.ts";
import { GTID_INTERVAL_LIMIT, GTID_TEXT_LIMIT, GtidSet } from "../../../shared/domain/gtid.ts";
import {
  CHANNEL_LIMIT,
  parseServerInfo,
  serverText,
  VARIABLE_ROWS_LIMIT,
  variablesFromRows,
} from "../../../shared/domain/sql.ts";
import { boundState } from "../../../shared/domain/state-size.ts";

const UA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const f = loadFixture("mysql-8.4");
const vars = () => variablesFromRows(f.a.variables);
/** n single-transaction intervals of one server: 1:3:5:... */
const fragmented = (n: number) => `${UA}:${Array.from({ length: n }, (_, i) => 2 * i + 1).join(":")}`;

describe("GTID sets from a server", () => {
  it("8,000 intervals are read and subtracted (linear: see bench for the time)", () => {
    const a = GtidSet.parse(fragmented(8_000));
    const b = GtidSet.parse(fragmented(7_999));
    expect(a.subtract(b).toString()).toBe(`${UA}:15999`);
  });
  it("more intervals than the cap: gtid_executed unknown with the reason, the rest of the node read", () => {
    const s = parseServerInfo(
      { ...vars(), gtid_executed: fragmented(GTID_INTERVAL_LIMIT + 1) },
      f.a.replicaRows,
    );
    expect(s.gtid).toBeNull();
    expect(s.unknown).toEqual([
      expect.objectContaining({
        field: "@@gtid_executed",
        problem: `more than ${GTID_INTERVAL_LIMIT} intervals: not read`,
      }),
    ]);
    expect(s.serverId).not.toBeNull();
  });
  it("text longer than the cap is not even parsed", () => {
    const s = parseServerInfo(
      { ...vars(), gtid_executed: `${UA}:1-2,`.repeat(GTID_TEXT_LIMIT / 10) },
      f.a.replicaRows,
    );
    expect(s.gtid).toBeNull();
    expect(s.unknown[0]?.problem).toMatch(new RegExp(`^longer than ${GTID_TEXT_LIMIT} characters`));
  });
});

describe("rows and channels", () => {
  it("more variable rows than any server sends for our statement: an error naming it", () => {
    const rows = Array.from({ length: VARIABLE_ROWS_LIMIT + 1 }, (_, i) => ({
      Variable_name: `v${i}`,
      Value: "1",
    }));
    expect(() => variablesFromRows(rows)).toThrow(
      /SHOW GLOBAL VARIABLES: 2001 rows, more than 2000: not read/,
    );
  });
  it("more replication channels than the cap: the first ones read, the rest named unknown", () => {
    const rows = Array.from({ length: CHANNEL_LIMIT + 5 }, (_, i) => ({
      ...f.a.replicaRows[0],
      Channel_Name: `c${i}`,
    }));
    const s = parseServerInfo(vars(), rows);
    expect(s.replication).toHaveLength(CHANNEL_LIMIT);
    expect(s.unknown).toEqual([
      expect.objectContaining({
        problem: `${CHANNEL_LIMIT + 5} replication channels: only the first ${CHANNEL_LIMIT} read`,
      }),
    ]);
  });
});

describe("a server's free text", () => {
  it("control characters (terminal escapes) never reach the operator; long text is cut, saying so", () => {
    expect(serverText("Error \u001b]0;pwned\u0007 in row\u001b[2J")).toBe(
      "Error \ufffd]0;pwned\ufffd in row\ufffd[2J",
    );
    expect(serverText("x".repeat(1_030))).toBe(`${"x".repeat(1_024)}… (6 more characters)`);
    expect(serverText("two\nlines\tkept")).toBe("two\nlines\tkept");
  });
  it("Last_SQL_Error and the host name go through it", () => {
    const s = parseServerInfo({ ...vars(), hostname: "db\u001b[31m" }, [
      { ...f.a.replicaRows[0], Last_SQL_Error: `dup key 'secret\u001b[8m'${"y".repeat(5_000)}` },
    ]);
    expect(s.hostname).toBe("db\ufffd[31m");
    expect(s.replication[0]?.lastSqlError).toMatch(/^dup key 'secret\ufffd\[8m'y+… \(\d+ more characters\)$/);
    expect(s.replication[0]?.lastSqlError.length).toBeLessThan(1_100);
  });
});

describe("the stored state's size (boundState)", () => {
  const state = {
    cluster: "c",
    reasons: ["r"],
    findings: [
      { code: "GTID_DISABLED", severity: "warning", message: "m", evidence: { x: "y".repeat(1_000) } },
      { code: "VIEW_MISSING", severity: "warning", message: "m", evidence: { small: 1 } },
    ],
    memory: {},
  } as never;
  it("a state within the limit is stored as it is", () => {
    expect(boundState(state, 10_000)).toEqual({ state, trimmed: [] });
  });
  it("over the limit, the largest evidence goes first and is named; small evidence stays", () => {
    const r = boundState(state, 600);
    expect(r.trimmed).toEqual([expect.stringMatching(/^evidence of GTID_DISABLED \(\d+ bytes\)$/)]);
    expect((r.state as { findings: { evidence: unknown }[] }).findings[1]?.evidence).toEqual({ small: 1 });
    expect(JSON.stringify(r.state).length).toBeLessThanOrEqual(600);
  });
});
