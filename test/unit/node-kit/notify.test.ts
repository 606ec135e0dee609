/**
 * The node kit's notify script, run for real (sh, as keepalived runs it): it records a transition only
 * from a configuration and into a directory nobody but root could have written.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const SCRIPT = new URL("../../../node-kit/notify.sh", import.meta.url).pathname;

let dir: string;
let state: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mhp-notify-"));
  chmodSync(dir, 0o755);
  state = join(dir, "state");
  copyFileSync(SCRIPT, join(dir, "notify.sh"));
  writeFileSync(join(dir, "notify.conf"), `STATE_DIR=${state}\nCLUSTER=lab\nNODE=a\n`, { mode: 0o644 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const notify = () =>
  spawnSync("sh", [join(dir, "notify.sh"), "INSTANCE", "VI_1", "MASTER", "150"], {
    encoding: "utf8",
    timeout: 10_000,
  });

describe("notify.sh", () => {
  it("records the state (renamed from a fresh temporary name) and appends the transition", () => {
    expect(notify().status).toBe(0);
    expect(readFileSync(join(state, "state"), "utf8")).toBe("MASTER\n");
    expect(readFileSync(join(state, "transitions.log"), "utf8")).toMatch(
      /^\d+\.\d{3} \S+Z VI_1 MASTER 150\n$/,
    );
    expect(readdirSync(state).sort()).toEqual(["state", "transitions.log"]);
  });

  it.each([
    ["writable by others", () => chmodSync(join(dir, "notify.conf"), 0o666)],
    [
      "a symbolic link",
      () => {
        writeFileSync(join(dir, "real.conf"), `STATE_DIR=${state}\n`, { mode: 0o644 });
        rmSync(join(dir, "notify.conf"));
        symlinkSync(join(dir, "real.conf"), join(dir, "notify.conf"));
      },
    ],
  ])("a notify.conf %s is not sourced: nothing recorded, the refusal said", (_n, spoil) => {
    spoil();
    const r = notify();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/notify\.conf is not trusted/);
    expect(existsSync(state)).toBe(false);
  });

  it("a state directory others may write is refused (someone could swap the state file)", () => {
    mkdirSync(state, { mode: 0o777 });
    chmodSync(state, 0o777);
    const r = notify();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/is not trusted/);
    expect(readdirSync(state)).toEqual([]);
  });
});
