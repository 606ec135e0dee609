/**
 * Detection truth, in the lab: nothing that happens between probes is lost, and no outage reads
 * HEALTHY. The operator's flow runs `watch` on the configuration `lab up` writes (embedded store and
 * mail, the heartbeat on); the faults between two probes run the pipeline in process against dynalite
 * and aws-ses-v2-local, so each probe is one call and "between two probes" is exact.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embeddedStoreClient } from "../../cli/services.ts";
import {
  fetchMails,
  type LocalDynamo,
  type LocalSes,
  startDynalite,
  startSesLocal,
} from "../../emulators/aws.ts";
import { Lab } from "../../lab/lab.ts";
import { labConfig, labPorts, labProbeTarget, writeLabConfig } from "../../lab/lab-config.ts";
import { DynamoStore } from "../../shared/adapters/dynamo-store.ts";
import { SesNotifier } from "../../shared/adapters/ses-notifier.ts";
import { deadlineIn, type NodeId } from "../../shared/domain/types.ts";
import { type PipelineDeps, probeCluster } from "../../shared/pipeline.ts";
import { waitFor } from "../../shared/util/wait.ts";
import { cli } from "../helpers/cli.ts";
import { skipLab } from "../helpers/lab-env.ts";

const skip = await skipLab();
const BIN = new URL("../../bin/mysql-ha-prober.mjs", import.meta.url).pathname;

describe.skipIf(skip)("detection truth in the lab", () => {
  const lab = new Lab({ name: "mhpt11", subnet: "198.18.111.0/24" });
  let configPath: string;

  beforeAll(async () => {
    await lab.up({ rebuild: true });
    configPath = writeLabConfig(lab);
  });
  afterAll(async () => {
    await lab.down();
  });

  const holderAndStandby = async (): Promise<[NodeId, NodeId]> => {
    const h = await lab.waitSingleHolder(30_000);
    return [h, h === "a" ? "b" : "a"];
  };

  describe("watch on the lab's own configuration", () => {
    let watch: ChildProcess | undefined;
    let output = "";
    const cfg = () =>
      labConfig(lab) as { store: { dataDir: string }; mail: { port: number }; clusters: { name: string }[] };
    // the store `watch` serves, over its unix socket (cli/local-access.ts)
    const store = () =>
      new DynamoStore({ client: embeddedStoreClient(cfg().store.dataDir), tableName: "mysql-ha-prober" });
    const samples = async () =>
      (
        await store().history(cfg().clusters[0]?.name ?? "", new Date(0), new Date(Date.now() + 60_000), [
          "sample",
        ])
      ).map((h) => Date.parse(h.at));

    afterAll(async () => {
      if (watch && watch.exitCode === null) {
        const done = new Promise((r) => watch?.once("exit", r));
        watch.kill("SIGTERM");
        await done;
      }
    });

    it("one raw INSERT on the standby: exactly one mail naming ERRANT_WRITES_ON_STANDBY within two probes, open until ack", async () => {
      // Prepare: `watch` running on the generated configuration, probing every second
      watch = spawn(process.execPath, [BIN, "watch", "-c", configPath, "--interval", "1s"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      watch.stdout?.on("data", (d: Buffer) => (output += d.toString()));
      await waitFor(() => /HEALTHY/.test(output), { timeoutMs: 60_000, what: "watch to declare HEALTHY" });
      await waitFor(async () => (await samples()).length >= 2, {
        timeoutMs: 30_000,
        what: "two probes stored",
      });
      const mailPort = cfg().mail.port;
      expect(await fetchMails(mailPort)).toEqual([]);
      const [, standby] = await holderAndStandby();

      // Act: one INSERT on the standby's real IP (bypassing the VIP)
      const faultAt = Date.now();
      await lab.fault("errant-write", standby);
      const mail = await waitFor(
        async () => (await fetchMails(mailPort)).find((m) => m.subject.includes("ERRANT_WRITES_ON_STANDBY")),
        { timeoutMs: 30_000, what: "the errant-write mail" },
      );

      // Assess: within two probes of the write; the incident id is in the mail
      const probesBefore = (await samples()).filter((t) => t > faultAt && t <= Date.parse(mail.at) + 1000);
      expect(probesBefore.length).toBeLessThanOrEqual(2);
      expect(mail.subject).toMatch(
        new RegExp(`INCIDENT ERRANT_WRITES_ON_STANDBY on node ${standby.toUpperCase()}`),
      );
      const id = /id (errant-writes-on-standby-[ab]-[0-9a-f]{8})/.exec(mail.text)?.[1];
      expect(id).toBeDefined();
      // three more probes: still open, still one mail
      const seen = (await samples()).length;
      await waitFor(async () => (await samples()).length >= seen + 3, {
        timeoutMs: 30_000,
        what: "three more probes",
      });
      expect((await fetchMails(mailPort)).map((m) => m.subject)).toEqual([mail.subject]);
      const stored = await store().load(cfg().clusters[0]?.name ?? "");
      expect(stored?.state.incidents?.filter((i) => !i.acknowledged).map((i) => i.id)).toEqual([id]);

      // ack (while watch runs: the CLI uses watch's store), then the incident is closed
      const acked = await cli(
        "ack",
        "-c",
        configPath,
        "--cluster",
        cfg().clusters[0]?.name ?? "",
        id as string,
      );
      expect(acked.code).toBe(0);
      expect(acked.out).toContain(`acknowledged ${id}`);
      const after = await store().load(cfg().clusters[0]?.name ?? "");
      expect(after?.state.incidents?.filter((i) => !i.acknowledged)).toEqual([]);
      expect(
        (await cli("ack", "-c", configPath, "--cluster", cfg().clusters[0]?.name ?? "", "all")).code,
      ).toBe(1);
    });
  });

  describe("writes the holder cannot take: not HEALTHY within one probe", () => {
    it("read_only on the holder: DOWN, exit 2 (applications cannot write), HOLDER_READ_ONLY, HOLDER_WRITES_FAILED", async () => {
      const [holder] = await holderAndStandby();
      await lab.fault("read-only", holder);
      try {
        const r = await cli("probe", "-c", configPath);
        expect(r.code, r.out).toBe(2);
        expect(r.out).toMatch(/\bDOWN\b/);
        expect(r.out).toContain("HOLDER_READ_ONLY");
        expect(r.out).toContain("HOLDER_WRITES_FAILED");
      } finally {
        await lab.heal();
      }
    });

    it("a held global read lock on the holder: DOWN, exit 2, HOLDER_WRITES_FAILED within the heartbeat's deadline", async () => {
      const [holder] = await holderAndStandby();
      await lab.fault("global-read-lock", holder);
      try {
        const r = await cli("probe", "-c", configPath);
        expect(r.code, r.out).toBe(2);
        expect(r.out).toMatch(/\bDOWN\b/);
        expect(r.out).toMatch(/HOLDER_WRITES_FAILED.*(Lock wait timeout|no answer within)/);
      } finally {
        await lab.heal();
      }
      // the lock's session is gone with the heal, and the heartbeat writes again
      const after = await cli("probe", "-c", configPath);
      expect(after.out).not.toContain("HOLDER_WRITES_FAILED");
      expect(after.code, after.out).toBe(0);
    });
  });

  describe("what applications see decides the status (the definitions of DOWN and DEGRADED)", () => {
    it("a hung holder (SIGSTOP: accepts TCP, answers nothing) where keepalived cannot move the VIP: DOWN, exit 2", async () => {
      // keepalived killed with -9 on both nodes leaves the VIP bound on the holder: no failover can come
      const [holder, standby] = await holderAndStandby();
      await lab.fault("keepalived-kill", standby);
      await lab.fault("keepalived-kill", holder);
      await lab.fault("mysql-hang", holder);
      try {
        const r = await cli("probe", "-c", configPath);
        expect(r.code, r.out).toBe(2);
        expect(r.out).toMatch(/\bDOWN\b/);
      } finally {
        await lab.heal();
      }
    });

    it("a hung standby: DEGRADED, exit 1 (applications still write through the VIP)", async () => {
      const [, standby] = await holderAndStandby();
      await lab.fault("mysql-hang", standby);
      try {
        const r = await cli("probe", "-c", configPath);
        expect(r.code, r.out).toBe(1);
        expect(r.out).toMatch(/\bDEGRADED\b/);
        expect(r.out).toContain("MYSQL_UNREACHABLE");
      } finally {
        await lab.heal();
      }
    });

    it("a read-only standby is no problem at all (a common guard against errant writes): HEALTHY, exit 0", async () => {
      const [, standby] = await holderAndStandby();
      await lab.fault("read-only", standby);
      try {
        const r = await cli("probe", "-c", configPath);
        expect(r.code, r.out).toBe(0);
        expect(r.out).toMatch(/\bHEALTHY\b/);
      } finally {
        await lab.heal();
      }
    });
  });

  describe("events entirely between two probes are mailed", () => {
    let dynamo: LocalDynamo;
    let ses: LocalSes;
    let deps: PipelineDeps;
    const target = () => labProbeTarget(lab, "lab-truth");
    const probe = () => probeCluster(target(), deps, deadlineIn(8000));
    const subjects = async () => (await ses.mails()).map((m) => m.subject);
    /** Probes until HEALTHY (a bounded number of probes). */
    const healthy = async () => {
      for (let i = 0; i < 10; i++) {
        const r = await probe();
        if (r.state.status === "HEALTHY" && r.state.probeStatus === "HEALTHY") return r;
      }
      throw new Error("not HEALTHY within 10 probes");
    };
    /** The lab at rest: one holder, keepalived settled, replication running both ways. */
    const settled = async () => {
      await lab.waitKeepalivedSettled(60_000);
      await waitFor(
        async () => {
          const s = await lab.status();
          return (["a", "b"] as const).every(
            (id) =>
              s.nodes[id].replication?.ioRunning === "Yes" && s.nodes[id].replication?.sqlRunning === "Yes",
          );
        },
        { timeoutMs: 60_000, what: "replication running both ways" },
      );
    };

    beforeAll(async () => {
      [dynamo, ses] = await Promise.all([startDynalite("mhp-truth"), startSesLocal()]);
      deps = {
        ...labPorts(lab),
        store: new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName }),
        notifier: new SesNotifier({
          client: ses.client,
          from: "prober@example.com",
          to: ["ops@example.com"],
        }),
      };
    });
    afterAll(async () => {
      await Promise.all([dynamo?.stop(), ses?.stop()]);
    });

    it.each([
      ["mysql-restart", "standby", "MYSQL_RESTARTED"],
      ["keepalived-restart", "standby", "KEEPALIVED_RESTARTED"],
      ["keepalived-flap", "holder", "KEEPALIVED_FLAPPED"],
    ] as const)(
      "%s on the %s: one incident mail naming %s, at the next probe; the status stays HEALTHY",
      async (kind, on, code) => {
        await settled();
        await healthy();
        const before = await subjects();
        const [holder, standby] = await holderAndStandby();
        // Act: the whole fault between two probes
        await lab.fault(kind, on === "holder" ? holder : standby);
        await settled();
        const r = await probe();
        // Assess
        expect(r.opened.map((i) => i.code)).toContain(code);
        const added = (await subjects()).slice(before.length);
        expect(added).toHaveLength(1);
        expect(added[0]).toMatch(new RegExp(`INCIDENT .*${code}`));
        expect(r.state.status).toBe("HEALTHY");
        await lab.heal();
      },
    );

    it("keepalived restarted on the holder: the VIP moves, and one mail names the failover and the restart", async () => {
      await settled();
      await healthy();
      const before = await subjects();
      const [holder, standby] = await holderAndStandby();
      // Act: the restart between two probes; nopreempt keeps the VIP where it went
      await lab.fault("keepalived-restart", holder);
      await settled();
      const r = await probe();
      const r2 = await probe();
      // Assess: one mail, at whichever of the two probes, naming the move and the incident
      expect([...r.opened, ...r2.opened].map((i) => i.code)).toContain("KEEPALIVED_RESTARTED");
      const added = (await subjects()).slice(before.length);
      expect(added).toEqual([
        `[mysql-ha] lab-truth: FAILOVER ${holder.toUpperCase()} -> ${standby.toUpperCase()}, INCIDENT KEEPALIVED_RESTARTED on node ${holder.toUpperCase()} (status HEALTHY)`,
      ]);
      await lab.heal();
    });

    it("replication stopped and started again between two probes: REPLICATION_RESTARTED", async () => {
      await settled();
      await healthy();
      const before = await subjects();
      const [, standby] = await holderAndStandby();
      await lab.fault("replication-stop", standby);
      await lab.sqlOn(standby, "START SLAVE");
      await settled();
      const r = await probe();
      expect(r.opened.map((i) => `${i.code}@${i.subject}`)).toContain(`REPLICATION_RESTARTED@${standby}`);
      expect((await subjects()).slice(before.length)).toHaveLength(1);
      await lab.heal();
    });
  });
});
