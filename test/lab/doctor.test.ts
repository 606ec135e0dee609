/**
 * `doctor` against the lab: every prerequisite holds on the lab as built; each broken prerequisite the
 * lab can produce is named with its exact fix (a wrong keepalived TMPDIR, a missing grant, stopped
 * replication, arping missing), and the exit code says whether all passed.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { Lab } from "../../lab/lab.ts";
import { labConfig, writeLabConfig } from "../../lab/lab-config.ts";
import { cli } from "../helpers/cli.ts";
import { skipLab } from "../helpers/lab-env.ts";

const skip = await skipLab();
const BIN = new URL("../../bin/mysql-ha-prober.mjs", import.meta.url).pathname;

describe.skipIf(skip)("doctor against the lab", () => {
  const lab = new Lab({ name: "mhpt12", subnet: "198.18.112.0/24" });
  let config: string;
  const net = "198.18.112.%";

  beforeAll(async () => {
    await lab.up({ rebuild: true });
    config = writeLabConfig(lab);
  });
  afterAll(async () => {
    await lab.down();
  });

  it("the lab as built: every check ok, exit 0", async () => {
    const r = await cli("doctor", "-c", config);
    expect(r.out).not.toMatch(/^FAIL/m);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/every prerequisite holds/);
  });

  it("a wrong keepalived TMPDIR: the DATA dump check fails and says where to look", async () => {
    const c = labConfig(lab) as { clusters: { nodes: { a: { nodeCheck: Record<string, unknown> } } }[] };
    const cl = c.clusters[0];
    if (cl) cl.nodes.a.nodeCheck.keepalivedDumpDir = "/tmp/mhp-not-keepalived-tmpdir";
    const wrong = config.replace(/\.yaml$/, "-wrong-tmpdir.yaml");
    writeFileSync(wrong, stringify(c));
    const r = await cli("doctor", "-c", wrong);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^FAIL node A: keepalived's DATA dump \(its TMPDIR\): keepalived did not write its DATA dump to \/tmp\/mhp-not-keepalived-tmpdir\/keepalived.data$/m,
    );
    expect(r.out).toMatch(
      /^ {5}fix: set nodeCheck.keepalivedDumpDir to keepalived's TMPDIR \(it is \/tmp\/mhp-not-keepalived-tmpdir now/m,
    );
    expect(r.out).toMatch(/^ok {3}node B: keepalived's DATA dump/m);
  });

  it("a missing grant: the monitoring user's check fails with the GRANT to run", async () => {
    await lab.sqlOn("b", `REVOKE SLAVE MONITOR, BINLOG MONITOR ON *.* FROM 'prober'@'${net}'`, {
      noBinlog: true,
    });
    try {
      const r = await cli("doctor", "-c", config);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(
        /^FAIL node B: the monitoring user 'prober' reads replication status: privilege/m,
      );
      expect(r.out).toMatch(
        /fix: GRANT SLAVE MONITOR, BINLOG MONITOR ON \*\.\* TO 'prober'@'<prober's host>' \(MariaDB\) or GRANT REPLICATION CLIENT/,
      );
    } finally {
      await lab.sqlOn("b", `GRANT SLAVE MONITOR, BINLOG MONITOR ON *.* TO 'prober'@'${net}'`, {
        noBinlog: true,
      });
    }
  });

  it("the compare grant missing on one node: its check fails naming the schema and the kit's SQL", async () => {
    await lab.sqlOn("a", `REVOKE SELECT ON \`lab\`.* FROM 'prober'@'${net}'`, { noBinlog: true });
    try {
      const r = await cli("doctor", "-c", config);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^FAIL node A: prober may read lab \(compare\): no SELECT on lab$/m);
      expect(r.out).toMatch(
        /fix: run node-kit\/sql\/compare\.sql on node A once per schema \(COMPARE_SCHEMA=lab\)/,
      );
      expect(r.out).toMatch(/^ok {3}node B: prober may read lab \(compare\): SELECT granted$/m);
    } finally {
      await lab.sqlOn("a", `GRANT SELECT ON \`lab\`.* TO 'prober'@'${net}'`, { noBinlog: true });
    }
  });

  it("stopped replication: the direction is named, with the statement that restarts it", async () => {
    await lab.fault("replication-stop", "a");
    try {
      const r = await cli("doctor", "-c", config);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^FAIL replication B→A \(read on node A\): running: IO No, SQL No$/m);
      expect(r.out).toMatch(/^ {5}fix: on node A: START SLAVE$/m);
    } finally {
      await lab.heal();
    }
  });

  it("arping missing on the nodes: the arping check fails with the package to install", () => {
    // arping hidden in a private mount namespace (this doctor run and the node checks it starts): the
    // machine's own arping is untouched
    const r = spawnSync(
      "unshare",
      [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        // /usr/sbin replaced by links to everything in it but arping (the original reached through a
        // side mount), as on a node where the package is not installed
        `set -e; orig=$(mktemp -d); view=$(mktemp -d); mount --bind /usr/sbin "$orig"
         for f in "$orig"/*; do [ "$(basename "$f")" = arping ] || ln -s "$f" "$view/"; done
         mount --bind "$view" /usr/sbin
         exec "${process.execPath}" "${BIN}" doctor -c "${config}"`,
      ],
      { encoding: "utf8", timeout: 60_000, env: { ...process.env, MHP_CLI_FROM_SOURCE: "1" } },
    );
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^FAIL node A: arping: not installed$/m);
    expect(r.stdout).toMatch(/^ {5}fix: install arping on the node \(Debian\/Ubuntu: `apt install arping`/m);
    expect(spawnSync("sh", ["-c", "command -v arping"]).status).toBe(0);
  });
});
