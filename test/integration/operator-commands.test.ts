/**
 * The operator's commands (`status`, `silence`, `unsilence`, `test-mail`) run as the CLI runs them, on a
 * configuration that points at dynalite and aws-ses-v2-local started here; the state they read and
 * change is the one the pipeline commits (the deployed function's code path), on a scripted cluster.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type LocalDynamo, type LocalSes, startDynalite, startSesLocal } from "../../emulators/aws.ts";
import { DynamoStore } from "../../shared/adapters/dynamo-store.ts";
import { SesNotifier } from "../../shared/adapters/ses-notifier.ts";
import { deadlineIn } from "../../shared/domain/types.ts";
import { type PipelineDeps, type ProbeTarget, probeCluster } from "../../shared/pipeline.ts";
import { changeStoredState } from "../../shared/stored-state.ts";
import { cli } from "../helpers/cli.ts";
import { nodesView, PAIR, scriptedTarget, sqlView } from "../helpers/cluster.ts";
import { ScriptedCluster } from "../helpers/fake-ports.ts";

let dynamo: LocalDynamo;
let ses: LocalSes;
let config: string;
const NAME = "ops-db";
const cluster = new ScriptedCluster(sqlView("a"), nodesView("a"));

beforeAll(async () => {
  [dynamo, ses] = await Promise.all([startDynalite("mhp-ops"), startSesLocal()]);
  process.env.AWS_ACCESS_KEY_ID = "local";
  process.env.AWS_SECRET_ACCESS_KEY = "local";
  const dir = mkdtempSync(join(tmpdir(), "mhp-ops-"));
  config = join(dir, "prober.yaml");
  const node = (host: string) => ({ host, runner: { type: "ssh", host, user: "ops" } });
  writeFileSync(
    config,
    stringify({
      clusters: [
        {
          name: NAME,
          vip: { host: "192.0.2.100" },
          mysql: { user: "prober", password: "unused", tls: { mode: "disabled" } },
          nodes: { a: node(PAIR.a.host), b: node(PAIR.b.host) },
        },
      ],
      store: { type: "dynamodb", tableName: dynamo.tableName, endpoint: dynamo.endpoint, region: "local" },
      mail: {
        type: "ses",
        endpoint: `http://127.0.0.1:${ses.port}`,
        region: "local",
        from: "prober@example.com",
        to: ["ops@example.com"],
      },
    }),
  );
});
afterAll(async () => {
  await Promise.all([dynamo?.stop(), ses?.stop()]);
});

const target: ProbeTarget = scriptedTarget(NAME);
const deps = (): PipelineDeps => ({
  sql: cluster.probe,
  nodeCheckers: { a: cluster.checker("a"), b: cluster.checker("b") },
  store: new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName }),
  notifier: new SesNotifier({ client: ses.client, from: "prober@example.com", to: ["ops@example.com"] }),
});
/** One probe as the deployed function makes it (same pipeline, same store code). */
const probe = () => probeCluster(target, deps(), deadlineIn(10_000));
const subjects = async () => (await ses.mails()).map((m) => m.subject).filter((s) => s.includes(NAME));

describe("the operator's commands against the stored state", () => {
  it("status before anything was stored: says so, exit 3", async () => {
    const r = await cli("status", "-c", config);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/nothing stored yet/);
  });

  it("status reads what the pipeline committed: status, since, VIP owner, silence, unsent mails; exit as probe", async () => {
    await probe();
    const r = await cli("status", "-c", config);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^cluster ${NAME}: HEALTHY since `, "m"));
    expect(r.out).toMatch(/VIP owner A/);
    expect(r.out).toMatch(/not silenced/);
    expect(r.out).toMatch(/unsent mails: none/);
    const j = JSON.parse((await cli("status", "-c", config, "--json")).out);
    expect(j[0]).toMatchObject({ cluster: NAME, state: { status: "HEALTHY" }, unsentMails: [] });
  });

  it("silence: the pipeline keeps recording but mails nothing; status says so; unsilence gives one mail", async () => {
    const s = await cli(
      "silence",
      "-c",
      config,
      "--cluster",
      NAME,
      "--for",
      "2h",
      "--reason",
      "planned failover",
      "--by",
      "alice",
    );
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/silenced until .* by alice: planned failover/);
    // both MySQL servers go down during the work: recorded, not mailed
    cluster.set(sqlView("down", ["a", "b"]), nodesView("a"));
    const r = await probe();
    expect(r.state.status).toBe("DOWN");
    expect(r.silenced).toBe(true);
    expect(await subjects()).toEqual([]);
    const st = await cli("status", "-c", config);
    expect(st.code).toBe(2);
    expect(st.out).toMatch(/SILENCED: silenced until .* by alice: planned failover/);
    // the work ends with the cluster still down: lifting the silence mails once what it is now
    const lifted = await cli("unsilence", "-c", config, "--cluster", NAME);
    expect(lifted.code).toBe(0);
    expect(lifted.out).toMatch(/silence lifted \(it was: silenced until .* by alice: planned failover/);
    // a second time there is nothing to lift, and it says so
    const again = await cli("unsilence", "-c", config, "--cluster", NAME);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/was not silenced; nothing changed/);
    await probe();
    expect(await subjects()).toEqual([`[mysql-ha] ${NAME}: still DOWN (since ${r.state.statusSince})`]);
    cluster.set(sqlView("a"), nodesView("a"));
  });

  it("ack with an id that matches nothing: exit 1, and the open incidents are named", async () => {
    // Prepare: one open incident in the stored state
    await probe();
    const store = new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName });
    const at = new Date().toISOString();
    const incident = {
      id: "mysql-restarted-b-0badc0de",
      code: "MYSQL_RESTARTED" as const,
      severity: "warning" as const,
      subject: "b" as const,
      message: "mysqld on node B restarted",
      evidence: {},
      key: "k",
      openedAt: at,
      lastSeenAt: at,
      seen: 1,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    };
    await changeStoredState(store, NAME, (state) => ({
      state: { ...state, incidents: [...(state.incidents ?? []), incident] },
      result: null,
    }));
    // Act
    const r = await cli("ack", "-c", config, "--cluster", NAME, "mysql-restarted-b-typo");
    // Assess
    expect(r.code).toBe(1);
    expect(r.err).toContain(`no incident mysql-restarted-b-typo in cluster ${NAME}`);
    expect(r.err).toContain("open incidents: mysql-restarted-b-0badc0de (MYSQL_RESTARTED)");
    expect((await cli("ack", "-c", config, "--cluster", NAME, "mysql-restarted-b-0badc0de")).code).toBe(0);
  });

  it("test-mail: accepted, with the message id; refused, with the reason and the fix", async () => {
    const ok = await cli("test-mail", "-c", config, "--cluster", NAME);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(
      /^accepted by SES \(local\) from prober@example.com to ops@example.com: message id \S+/,
    );
    expect(await subjects()).toContain(`[mysql-ha] ${NAME}: TEST MAIL (no action needed)`);
    await ses.stop();
    try {
      const refused = await cli("test-mail", "-c", config);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/^refused by SES/m);
      expect(refused.err).toMatch(/^fix: check the network path to the mail endpoint/m);
    } finally {
      await ses.start();
    }
  });
});
