/**
 * The node report's schema field by field: each wrong value is refused naming its field (the check is
 * then a failure with that reason, never a report), each optional field gets its stated default, and
 * the parser's reasons and details are the ones the mail shows.
 */
import { describe, expect, it } from "vitest";
import { parseNodeCheckOutput } from "../../../shared/domain/node.ts";
import { report } from "../../helpers/node-reports.ts";

const base = () => JSON.parse(JSON.stringify(report({ bound: true, keepalived: "MASTER" })));

function withValue(path: string, value: unknown): string {
  const doc = base();
  const keys = path.split(".");
  let at = doc;
  for (const k of keys.slice(0, -1)) at = at[k];
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return JSON.stringify(doc);
}

const detailOf = (stdout: string) => {
  const r = parseNodeCheckOutput(stdout, 1);
  return r.ok ? "ok" : `${r.reason}: ${r.detail}`;
};

describe("the node report's schema refuses each wrong value, naming its field", () => {
  it.each<[string, unknown]>([
    ["v", 2],
    ["script", 1],
    ["host", null],
    ["time", 0],
    ["epoch", -1],
    ["epoch", 1.5],
    ["epoch", "1"],
    ["vip.address", 1],
    ["vip.bound", "true"],
    ["vip.interface", null],
    ["vip.mac", "02:00:00:00:00:0A"],
    ["vip.mac", "02:00:00:00:00"],
    ["vip.mac", "02:00:00:00:00:0a:ff"],
    ["vip.mac", "x02:00:00:00:00:0a"],
    ["vip.mac", "02-00-00-00-00-0a"],
    ["vip.link", "sideways"],
    ["vip.prefix", 33],
    ["vip.prefix", -1],
    ["vip.prefix", 24.5],
    ["arp.tool", "nmap"],
    ["arp.exit", 0.5],
    ["arp.exit", "0"],
    ["arp.count", 1.5],
    ["arp.sent", -1],
    ["arp.sent", 1.5],
    ["arp.replies", ["02:00:00:00:00:0a", "zz"]],
    ["arp.replies", "02:00:00:00:00:0a"],
    ["keepalived.running", "yes"],
    ["keepalived.pid", 4.2],
    ["keepalived.source", "file"],
    ["keepalived.instances", {}],
    ["keepalived.transitionsSource", "syslog"],
    ["keepalived.since", "0"],
    ["keepalived.transitions", [{ at: "1", instance: "VI_1", state: "MASTER", priority: 1 }]],
    ["keepalived.transitions", [{ at: 1, instance: "VI_1", state: "MASTER" }]],
    ["mysqld.port", 3306.5],
    ["mysqld.listening", "yes"],
    ["mysqld.addresses", [1]],
    ["mysqld.process", null],
    ["mysqld.pid", 1.5],
    ["errors", "none"],
    ["errors", [1]],
  ])("%s = %j", (path, value) => {
    const d = detailOf(withValue(path, value));
    expect(d).toMatch(/^malformed: /);
    expect(d.slice("malformed: ".length).startsWith(path)).toBe(true);
  });

  it.each<[string, unknown]>([
    ["keepalived.instances.0.name", 1],
    ["keepalived.instances.0.state", null],
    ["keepalived.instances.0.priority", "100"],
    ["keepalived.instances.0.lastTransition", "0"],
    ["keepalived.instances.0.vips", "192.0.2.100"],
    ["keepalived.instances.0.vrid", 51.5],
    ["keepalived.instances.0.basePriority", 1.5],
    ["keepalived.instances.0.advertMs", 1.5],
    ["keepalived.instances.0.preempt", "no"],
    ["keepalived.instances.0.auth", 0],
    ["keepalived.instances.0.unicastPeers", "192.0.2.12"],
  ])("an instance's %s = %j", (path, value) => {
    const d = detailOf(withValue(path, value));
    expect(d).toMatch(/^malformed: /);
    expect(d.slice("malformed: ".length).startsWith(path)).toBe(true);
  });

  it("accepts the boundaries: an empty MAC, prefix 0 and 32, epoch 0, nulls where the script may not know", () => {
    for (const [path, value] of [
      ["vip.mac", ""],
      ["vip.prefix", 0],
      ["vip.prefix", 32],
      ["vip.prefix", null],
      ["epoch", 0],
      ["arp.exit", null],
      ["arp.sent", null],
      ["arp.sent", 0],
      ["arp.replies", []],
      ["keepalived.pid", null],
      ["mysqld.listening", null],
      ["mysqld.pid", null],
      ["keepalived.instances.0.priority", null],
      ["keepalived.instances.0.vrid", null],
      ["keepalived.instances.0.preempt", null],
      ["keepalived.transitions", [{ at: 1, instance: "VI_1", state: "MASTER", priority: null }]],
    ] as [string, unknown][])
      expect(detailOf(withValue(path, value)), `${path}=${JSON.stringify(value)}`).toBe("ok");
  });
});

describe("the optional fields take their stated defaults (an older script)", () => {
  it.each<[string, unknown]>([
    ["vip.link", "unknown"],
    ["vip.prefix", null],
    ["mysqld.addresses", []],
    ["keepalived.instances.0.vips", []],
    ["keepalived.instances.0.vrid", null],
    ["keepalived.instances.0.basePriority", null],
    ["keepalived.instances.0.advertMs", null],
    ["keepalived.instances.0.preempt", null],
    ["keepalived.instances.0.auth", ""],
    ["keepalived.instances.0.unicastPeers", []],
  ])("%s absent: %j", (path, expected) => {
    const r = parseNodeCheckOutput(withValue(path, undefined), 1);
    if (!r.ok) throw new Error(`refused: ${r.detail}`);
    let at: unknown = r.report;
    for (const k of path.split(".")) at = (at as Record<string, unknown>)[k];
    expect(at).toEqual(expected);
  });
});

describe("the parser's reasons, details and duration", () => {
  const good = JSON.stringify(base());

  it("a report carries the duration it was given", () => {
    expect(parseNodeCheckOutput(good, 1234)).toMatchObject({ ok: true, durationMs: 1234 });
  });

  it("nothing printed", () => {
    expect(parseNodeCheckOutput(" \n\t", 7)).toEqual({
      ok: false,
      reason: "empty",
      detail: "the node check printed nothing",
      durationMs: 7,
    });
  });

  it("at the output limit: truncated, with the limit named; just under it parses", () => {
    expect(parseNodeCheckOutput(good, 7, { truncatedAt: good.length })).toEqual({
      ok: false,
      reason: "truncated",
      detail: `output reached the ${good.length}-character limit and was cut off`,
      durationMs: 7,
    });
    expect(parseNodeCheckOutput(good, 7, { truncatedAt: good.length + 1 }).ok).toBe(true);
  });

  it("the last JSON line counts: shell noise before it is ignored, a later line wins", () => {
    const other = JSON.stringify({ ...base(), host: "later" });
    const r = parseNodeCheckOutput(`bash: warning: something\n${good}\n  ${other}\ntrailing words\n`, 1);
    expect(r.ok && r.report.host).toBe("later");
  });

  it("a cut-off line is truncated; text that is not JSON is malformed; both say why", () => {
    const cut = parseNodeCheckOutput(good.slice(0, 80), 2);
    expect(cut).toMatchObject({ ok: false, reason: "truncated", durationMs: 2 });
    expect(!cut.ok && cut.detail).toMatch(/^output was cut off: /);
    const noise = parseNodeCheckOutput("Segmentation fault", 2);
    expect(noise).toMatchObject({ ok: false, reason: "malformed" });
    expect(!noise.ok && noise.detail).toMatch(/^output is not JSON: /);
    // a line that starts like JSON and ends with } but is not JSON is malformed, not cut off
    const broken = parseNodeCheckOutput("{oops}", 2);
    expect(broken).toMatchObject({ ok: false, reason: "malformed" });
    expect(!broken.ok && broken.detail).toMatch(/^output is not JSON: /);
  });

  it("the script's own fatal error is a script-error with its text", () => {
    expect(parseNodeCheckOutput('{"v":1,"fatal":"parameter Vip is required"}', 3)).toEqual({
      ok: false,
      reason: "script-error",
      detail: "parameter Vip is required",
      durationMs: 3,
    });
  });

  it("a JSON value that is not an object is refused at the root", () => {
    expect(detailOf("{}")).toMatch(/^malformed: v: /);
    const r = parseNodeCheckOutput('["v"]\n{"x"', 1);
    expect(r.ok).toBe(false);
  });
});
