import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.ts";
import { ConfigError, mysqlPassword, parseConfig } from "../../shared/config.ts";
import { loadConfig } from "../../shared/config-file.ts";

const good = () => ({
  clusters: [
    {
      name: "prod",
      vip: { host: "10.0.0.100" },
      mysql: { user: "prober", passwordEnv: "MHP_PASSWORD", tls: { mode: "disabled" } },
      nodes: {
        a: { host: "10.0.0.11", runner: { type: "ssm", instanceId: "i-0123456789abcdef0" } },
        b: { host: "10.0.0.12", runner: { type: "ssm", instanceId: "mi-0123456789abcdef0" } },
      },
    },
  ],
  mail: { type: "ses", from: "prober@example.com", to: ["ops@example.com"] },
  store: { type: "dynamodb", tableName: "mysql-ha-prober" },
});

describe("configuration", () => {
  it("fills in the documented defaults", () => {
    const c = parseConfig(good());
    const cl = c.clusters[0];
    expect(cl?.vip.port).toBe(3306);
    expect(cl?.mysql).toMatchObject({ connectTimeoutMs: 2000, queryTimeoutMs: 2000, totalTimeoutMs: 5000 });
    expect(cl?.nodes.a.nodeCheck).toMatchObject({
      keepalivedPidFile: "/run/keepalived.pid",
      keepalivedDumpDir: "/tmp",
      arpCount: 3,
      arpWaitMs: 20,
    });
    expect(cl?.nodes.a.runner).toMatchObject({ documentName: "mysql-ha-prober-node-check" });
    expect(cl?.alerting).toEqual({
      confirmations: 2,
      splitBrainRepeatMinutes: 15,
      repeatHours: 4,
      failoverGraceSeconds: 10,
      incidentExpiryHours: 24,
    });
    expect(cl?.thresholds).toEqual({ lagWarningSeconds: 30, lagCriticalSeconds: 300 });
  });

  const cases: [string, (c: ReturnType<typeof good>) => void, RegExp][] = [
    ["no clusters", (c) => (c.clusters = []), /^clusters: list at least one cluster$/m],
    [
      "a bad VIP",
      (c) => ((c.clusters[0] as { vip: { host: string } }).vip.host = "10.0.0.300"),
      /clusters\[0\]\.vip\.host: must be an IPv4 address/,
    ],
    [
      "a bad instance id",
      (c) => ((c.clusters[0]?.nodes.a.runner as { instanceId: string }).instanceId = "db-a"),
      /clusters\[0\]\.nodes\.a\.runner\.instanceId: must be an EC2 \(i-\) or hybrid \(mi-\) managed node id/,
    ],
    [
      "an unknown runner",
      (c) => ((c.clusters[0]?.nodes.b.runner as { type: string }).type = "telnet"),
      /clusters\[0\]\.nodes\.b\.runner\.type: /,
    ],
    [
      "no password",
      (c) => ((c.clusters[0] as { mysql: object }).mysql = { user: "prober", tls: { mode: "disabled" } }),
      /clusters\[0\]\.mysql: give password or passwordEnv/,
    ],
    [
      "a relative path",
      (c) => ((c.clusters[0]?.nodes.a as { nodeCheck?: object }).nodeCheck = { notifyLog: "log/x" }),
      /clusters\[0\]\.nodes\.a\.nodeCheck\.notifyLog: must be an absolute path/,
    ],
    [
      "a path with shell characters",
      (c) =>
        ((c.clusters[0]?.nodes.a as { nodeCheck?: object }).nodeCheck = { keepalivedPidFile: "/run/$(id)" }),
      /keepalivedPidFile: must be an absolute path/,
    ],
    [
      "an interface with an option in it",
      (c) => ((c.clusters[0]?.nodes.a as { nodeCheck?: object }).nodeCheck = { interface: "eth0 -x" }),
      /clusters\[0\]\.nodes\.a\.nodeCheck\.interface: /,
    ],
    [
      "a document name with shell characters",
      (c) => ((c.clusters[0]?.nodes.a.runner as { documentName?: string }).documentName = "doc;$(id)"),
      /clusters\[0\]\.nodes\.a\.runner\.documentName: must be an SSM document name or ARN/,
    ],
    [
      "an ssh user with a separator",
      (c) =>
        ((c.clusters[0]?.nodes.b as { runner: object }).runner = {
          type: "ssh",
          host: "db-b",
          user: "ops;id",
        }),
      /clusters\[0\]\.nodes\.b\.runner\.user: /,
    ],
    [
      "an ssh host with a space",
      (c) => ((c.clusters[0]?.nodes.b as { runner: object }).runner = { type: "ssh", host: "db-b -oX" }),
      /clusters\[0\]\.nodes\.b\.runner\.host: must be a host name or an IP address/,
    ],
    [
      "a lab namespace with a slash",
      (c) => ((c.clusters[0]?.nodes.b as { runner: object }).runner = { type: "netns", namespace: "../x" }),
      /clusters\[0\]\.nodes\.b\.runner\.namespace: must be a network namespace name/,
    ],
    [
      "a lab namespace that reads as an option of ip netns exec",
      (c) => ((c.clusters[0]?.nodes.b as { runner: object }).runner = { type: "netns", namespace: "-all" }),
      /clusters\[0\]\.nodes\.b\.runner\.namespace: must be a network namespace name/,
    ],
    [
      "no recipient",
      (c) => ((c.mail as { to: string[] }).to = []),
      /^mail\.to: give at least one recipient$/m,
    ],
    [
      "a short table name",
      (c) => ((c.store as { tableName: string }).tableName = "x"),
      /^store\.tableName: /m,
    ],
    [
      "lag thresholds inverted",
      (c) =>
        ((c.clusters[0] as { thresholds?: object }).thresholds = {
          lagWarningSeconds: 60,
          lagCriticalSeconds: 10,
        }),
      /lagCriticalSeconds must be >= lagWarningSeconds/,
    ],
    [
      "a duplicate cluster name",
      (c) => c.clusters.push(structuredClone(c.clusters[0] as never)),
      /the name "prod" is used twice/,
    ],
  ];
  it.each(cases)("%s gets a message naming the path", (_, mutate, message) => {
    const c = good();
    mutate(c);
    const e = (() => {
      try {
        parseConfig(c, "test.yaml");
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).toMatch(/^invalid configuration in test\.yaml:/);
    expect((e as ConfigError).issues.join("\n")).toMatch(message);
  });

  it("reports unreadable files and bad YAML with the file name", () => {
    expect(() => loadConfig("/nonexistent/x.yaml")).toThrow(
      /\/nonexistent\/x\.yaml:[\s\S]*cannot read the file: no such file \(`lab up` prints the lab's; `cli-config` writes one/,
    );
    const dir = mkdtempSync(join(tmpdir(), "mhp-cfg-"));
    writeFileSync(join(dir, "bad.yaml"), "clusters: [\n");
    expect(() => loadConfig(join(dir, "bad.yaml"))).toThrow(/not valid YAML/);
    // the parser's excerpt stays: the offending line and the caret under it
    writeFileSync(join(dir, "flow.yaml"), "clusters:\n  - name: x\n    vip: { host: 1.2.3.4\n");
    expect(() => loadConfig(join(dir, "flow.yaml"))).toThrow(
      /not valid YAML: .*at line 4, column 1:\n\s+vip: \{ host: 1\.2\.3\.4\n\s+\^/,
    );
  });

  it("a deployment file given to the CLI is refused with the way to point the CLI at the deployed table", () => {
    const example = new URL("../../infra/deploy.example.yaml", import.meta.url).pathname;
    const e = (() => {
      try {
        loadConfig(example);
      } catch (x) {
        return x as ConfigError;
      }
      throw new Error("accepted");
    })();
    expect(e.issues).toEqual([
      expect.stringMatching(
        /^this is a deployment file \(it has `deploy:`\).*mysql-ha-prober cli-config -d <this file> --out prober.yaml/,
      ),
    ]);
  });

  it("reads the password from the named environment variable, and says when it is missing", () => {
    const c = parseConfig(good()).clusters[0];
    if (!c) throw new Error("no cluster");
    expect(mysqlPassword(c, { MHP_PASSWORD: "s3cret" })).toBe("s3cret");
    expect(() => mysqlPassword(c, {})).toThrow(/MHP_PASSWORD is not set/);
  });

  it("the CLI exits 3 on a configuration error and prints the problems", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mhp-cfg-"));
    const file = join(dir, "c.yaml");
    writeFileSync(file, "clusters: []\n");
    const err: string[] = [];
    const code = await main(
      ["node", "x", "probe", "-c", file],
      () => {},
      (s) => err.push(s),
    );
    expect(code).toBe(3);
    expect(err.join("\n")).toMatch(/clusters: list at least one cluster/);
  });
});

describe("the lab schema apart from the deployed one", () => {
  const labCluster = () => ({
    ...good().clusters[0],
    mysql: { user: "monitor", password: "lab-only", tls: { mode: "disabled" } },
    nodes: {
      a: { host: "198.18.0.11", runner: { type: "netns", namespace: "mhp-a" } },
      b: { host: "198.18.0.12", runner: { type: "netns", namespace: "mhp-b" } },
    },
    forwarderSocket: "/var/lib/mysql-ha-prober/labs/mhp/client.sock",
  });

  it("the CLI reads a lab cluster: namespace runners, an inline password, the forwarder", () => {
    const c = parseConfig({ clusters: [labCluster()] }).clusters[0];
    expect(c?.nodes.a.runner).toEqual({ type: "netns", namespace: "mhp-a" });
    expect(c?.forwarderSocket).toMatch(/client\.sock$/);
  });

  it("the deployed schema (the function's, the deployment file's) has none of it", async () => {
    const { ClusterSchema } = await import("../../shared/config.ts");
    const r = ClusterSchema.safeParse(labCluster());
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues.map((i) => i.path.join(".")))).toContain("nodes.a.runner");
    // a password or a forwarder in a deployed pair is refused by name, not carried or silently dropped
    const bad = ClusterSchema.safeParse({
      ...good().clusters[0],
      forwarderSocket: "/x",
      mysql: { user: "u", password: "p", tls: { mode: "disabled" } },
    });
    expect(bad.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([
      'mysql: unknown key "password" (did you mean "passwordEnv"?)',
      ': unknown key "forwarderSocket" (known: name, vip, mysql, heartbeat, nodes, witnesses, thresholds, alerting, historySamples, ec2, compare)',
    ]);
  });

  it("TLS is verify-identity unless chosen otherwise explicitly: without a CA the error names the field and the opt-in", () => {
    const c = good();
    (c.clusters[0] as { mysql: object }).mysql = { user: "prober", password: "p" };
    expect(() => parseConfig(c)).toThrow(
      /clusters\[0\]\.mysql\.tls: verify-identity \(the default\) and verify-ca need the CA: ca or caFile\. Plaintext only as an explicit choice: tls: \{ mode: disabled \}/,
    );
    (c.clusters[0] as { mysql: object }).mysql = {
      user: "prober",
      password: "p",
      tls: { caFile: "/etc/mhp/ca.pem" },
    };
    expect(parseConfig(c).clusters[0]?.mysql.tls.mode).toBe("verify-identity");
  });

  it("the CLI still needs a password source for each cluster", () => {
    const c = good();
    (c.clusters[0] as { mysql: object }).mysql = { user: "prober", tls: { mode: "disabled" } };
    expect(() => parseConfig(c)).toThrow(/clusters\[0\]\.mysql: give password or passwordEnv/);
  });
});
