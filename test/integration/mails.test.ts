/**
 * The embedded mail keeps what it accepted on disk: after `test-mail` (whose viewer stops with it),
 * `mails` lists the mail and shows its text. The embedded store and aws-ses-v2-local, started by the CLI.
 */
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { freePort } from "../../emulators/aws.ts";
import { cli } from "../helpers/cli.ts";

describe("mails kept by the embedded mail", () => {
  it("test-mail, then mails lists it and shows its text after the viewer is gone", async () => {
    // Prepare: a configuration with the embedded store and mail
    const dir = mkdtempSync(join(tmpdir(), "mhp-mails-"));
    const config = join(dir, "prober.yaml");
    writeFileSync(
      config,
      stringify({
        clusters: [
          {
            name: "kept",
            vip: { host: "192.0.2.100" },
            mysql: { user: "prober", password: "unused", tls: { mode: "disabled" } },
            nodes: {
              a: { host: "192.0.2.11", runner: { type: "ssh", host: "192.0.2.11", user: "ops" } },
              b: { host: "192.0.2.12", runner: { type: "ssh", host: "192.0.2.12", user: "ops" } },
            },
          },
        ],
        store: { type: "embedded", dataDir: join(dir, "store") },
        mail: { type: "embedded", port: await freePort() },
      }),
    );
    expect((await cli("mails", "-c", config)).out).toMatch(/no mail kept in .*mails\.jsonl yet/);
    // Act
    const sent = await cli("test-mail", "-c", config);
    expect(sent.code, sent.err).toBe(0);
    expect(sent.out).toMatch(/the mail is kept in .*mails\.jsonl: `mails -c /);
    // Assess: listed, shown, private
    const list = await cli("mails", "-c", config);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^\S+Z {2}\[mysql-ha\] kept: TEST/m);
    const show = await cli("mails", "-c", config, "--show", "1");
    expect(show.out).toContain("TEST MAIL from mysql-ha-prober: no action needed.");
    expect(statSync(join(dir, "store", "mails.jsonl")).mode & 0o777).toBe(0o600);
  }, 60_000);
});
