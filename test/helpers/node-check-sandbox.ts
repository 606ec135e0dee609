/**
 * Runs the real node-check.sh without root: stand-ins for ip, ss, arping, keepalived and journalctl on
 * PATH, a stand-in /sys for the interface, and a process named `keepalived` that writes a fixture dump
 * when signalled, as keepalived does on SIGUSR1 (`--signum=DATA`). Each stand-in prints what the real
 * tool prints (formats in the fixtures and below), so the script's parsing is tested as it runs.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NodeCheckResult, parseNodeCheckOutput } from "../../shared/domain/node.ts";

const SCRIPT = new URL("../../shared/node-check/node-check.sh", import.meta.url).pathname;
export const KEEPALIVED_FIXTURES = new URL("../fixtures/keepalived/", import.meta.url).pathname;

export interface SandboxSpec {
  /** `ip -o -4 addr show` lines; default: the VIP on eth0. */
  addrLines?: string[];
  /** eth0's operstate. @default up */
  operstate?: string;
  /** The dump keepalived writes (a fixture file name); null: no keepalived running. */
  dump?: string | null;
  /** Where keepalived writes it, relative to the sandbox. @default tmp/keepalived.data */
  dumpPath?: string;
  /** ss: "modern" (knows -H), "old" (iproute2 < 4.7: rejects -H), "broken" (cannot run). @default modern */
  ss?: "modern" | "old" | "broken";
  /** Local addresses listening on 3306. @default ["0.0.0.0:3306"] */
  listening?: string[];
  /** journalctl lines (short-unixtime) for the transitions; "broken": journalctl fails. */
  journal?: string[] | "broken";
  /** `ip addr` fails (no permission, a broken iproute2). */
  ipBroken?: boolean;
  /** Extra parameters (SSM_<Name>); "{dir}" stands for the sandbox's directory. */
  params?: Record<string, string>;
  /**
   * How the keepalived stand-in writes the dump ("$2" the fixture, "$3" the dump's path); the change must
   * appear at once, as a rename does. @default cp "$2" "$3.new" && mv "$3.new" "$3"
   */
  writeDump?: string;
  /** Extra environment, as the SSM agent sets it (AWS_SSM_INSTANCE_ID). */
  env?: Record<string, string>;
}

export const VIP = "192.0.2.100";
const MAC = "02:00:00:00:00:0a";

export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), "mhp-nc-"));
  private daemon?: ChildProcess;

  constructor(private readonly spec: SandboxSpec = {}) {
    const bin = join(this.dir, "bin");
    mkdirSync(bin);
    mkdirSync(join(this.dir, "tmp"));
    mkdirSync(join(this.dir, "sys/class/net/eth0"), { recursive: true });
    writeFileSync(join(this.dir, "sys/class/net/eth0/address"), `${MAC}\n`);
    writeFileSync(join(this.dir, "sys/class/net/eth0/operstate"), `${spec.operstate ?? "up"}\n`);
    const addr = spec.addrLines ?? [
      "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever",
      "2: eth0    inet 192.0.2.11/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever",
      `2: eth0    inet ${VIP}/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever`,
    ];
    this.tool(
      "ip",
      spec.ipBroken
        ? `echo "Cannot open netlink socket: Permission denied" >&2; exit 1`
        : `case "$*" in *"addr show"*) cat <<'EOF'\n${addr.join("\n")}\nEOF\n;; *"route get"*) echo "${VIP} dev eth0 src 192.0.2.11 uid 0";; esac`,
    );
    // Thomas Habets' arping 2.23: one reply from the holder's MAC per request
    this.tool(
      "arping",
      `case "$1" in --help) echo "ARPing 2.23, by Thomas Habets <thomas@habets.se>"; exit 0;; esac
for i in 1 2 3; do echo "60 bytes from 02:00:00:00:00:0a (${VIP}): index=$((i-1)) time=1.1 msec"; done
echo; echo "--- ${VIP} statistics ---"; echo "3 packets transmitted, 3 packets received,   0% unanswered (0 extra)"`,
    );
    const listen = (spec.listening ?? ["0.0.0.0:3306"]).map(
      (a) => `LISTEN 0      80     ${a}      0.0.0.0:*    users:(("mariadbd",pid=77,fd=20))`,
    );
    const header = "State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess";
    this.tool(
      "ss",
      spec.ss === "broken"
        ? `echo "Cannot open netlink socket: Protocol not supported" >&2; exit 1`
        : spec.ss === "old"
          ? `for a in "$@"; do case "$a" in -*H*) echo "ss: invalid option -- 'H'" >&2; exit 255;; esac; done\ncat <<'EOF'\n${[header, ...listen].join("\n")}\nEOF`
          : `cat <<'EOF'\n${listen.join("\n")}\nEOF`,
    );
    if (spec.journal === "broken")
      this.tool(
        "journalctl",
        `echo "No journal files were opened due to insufficient permissions." >&2; exit 1`,
      );
    else if (spec.journal) this.tool("journalctl", `cat <<'EOF'\n${spec.journal.join("\n")}\nEOF`);
    // `keepalived --signum=DATA` prints the signal; run as a daemon it writes the dump on SIGUSR1
    this.tool(
      "keepalived",
      `case "$1" in --signum=DATA) echo 10; exit 0;; --daemon) trap '${spec.writeDump ?? `cp "$2" "$3.new" && mv "$3.new" "$3"`}' USR1; while :; do sleep 0.05; done;; esac`,
    );
  }

  tool(name: string, body: string): void {
    const path = join(this.dir, "bin", name);
    writeFileSync(path, `#!/bin/bash\n${body}\n`);
    chmodSync(path, 0o755);
  }

  /** Runs the real script; returns the parsed result and the raw output. */
  async run(): Promise<{ result: NodeCheckResult; stdout: string }> {
    const pidFile = join(this.dir, "keepalived.pid");
    if (this.spec.dump !== null) {
      this.daemon = spawn(
        join(this.dir, "bin", "keepalived"),
        [
          "--daemon",
          join(KEEPALIVED_FIXTURES, this.spec.dump ?? "keepalived-2.2.7-two-instances.data"),
          join(this.dir, this.spec.dumpPath ?? "tmp/keepalived.data"),
        ],
        { stdio: "ignore" },
      );
      writeFileSync(pidFile, `${this.daemon.pid}\n`);
      // the script checks the pid's comm is keepalived: wait until the stand-in has exec'd
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        try {
          if (readFileSync(`/proc/${this.daemon.pid}/comm`, "utf8").trim() === "keepalived") break;
        } catch {}
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const env: Record<string, string> = {
      PATH: `${join(this.dir, "bin")}:/usr/bin:/bin`,
      NC_SYSFS: join(this.dir, "sys"),
      SSM_Vip: VIP,
      SSM_KeepalivedPidFile: pidFile,
      SSM_KeepalivedDumpDir: join(this.dir, "tmp"),
      ...Object.fromEntries(
        Object.entries(this.spec.params ?? {}).map(([k, v]) => [`SSM_${k}`, v.replaceAll("{dir}", this.dir)]),
      ),
      ...this.spec.env,
    };
    const started = Date.now();
    const r = spawnSync("bash", [SCRIPT], { env, encoding: "utf8", timeout: 15_000 });
    return { result: parseNodeCheckOutput(r.stdout, Date.now() - started), stdout: r.stdout };
  }

  close(): void {
    this.daemon?.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}
