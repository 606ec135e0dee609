/**
 * Every command's help ends with its exit codes and examples, and marks its required options: one table
 * here, applied to the whole command tree (a command missing from it is an error the unit test names).
 */
import type { Command } from "commander";

interface CommandHelp {
  exit: string;
  examples: string[];
}

const CONFIG_ERROR = "3 bad usage or configuration (the error names the field)";

/** By command path ("probe", "lab up"). */
export const COMMAND_HELP: Record<string, CommandHelp> = {
  probe: {
    exit: `0 HEALTHY, 1 DEGRADED, 2 SPLIT_BRAIN or DOWN, 3 UNKNOWN (the reasons say why, the prober's own problems included); ${CONFIG_ERROR}`,
    examples: [
      "mysql-ha-prober probe -c prober.yaml",
      "mysql-ha-prober probe -c prober.yaml --cluster orders --json --timeout 10s",
    ],
  },
  watch: {
    exit: `0 when stopped (Ctrl-C, SIGTERM); ${CONFIG_ERROR}`,
    examples: ["mysql-ha-prober watch -c prober.yaml --interval 30s"],
  },
  history: {
    exit: `0; ${CONFIG_ERROR}`,
    examples: ["mysql-ha-prober history -c prober.yaml --cluster orders --since 24h"],
  },
  ack: {
    exit: `0 something was acknowledged, 1 nothing matched (the open incidents are named); ${CONFIG_ERROR}`,
    examples: [
      "mysql-ha-prober ack -c prober.yaml --cluster orders mysql-restarted-b-0badc0de",
      "mysql-ha-prober ack -c prober.yaml --cluster orders all --by alice",
    ],
  },
  status: {
    exit: `as probe, for the stored state; 3 also when nothing is stored yet; ${CONFIG_ERROR}`,
    examples: ["mysql-ha-prober status -c prober.yaml"],
  },
  silence: {
    exit: `0 silenced; ${CONFIG_ERROR}`,
    examples: [
      'mysql-ha-prober silence -c prober.yaml --cluster orders --for 2h --reason "planned failover" --by alice',
    ],
  },
  unsilence: {
    exit: `0 a silence was lifted, 1 there was none; ${CONFIG_ERROR}`,
    examples: ["mysql-ha-prober unsilence -c prober.yaml --cluster orders"],
  },
  "test-mail": {
    exit: `0 the mail service accepted it, 1 it refused (the reason and the fix are printed); ${CONFIG_ERROR}`,
    examples: ["mysql-ha-prober test-mail -c prober.yaml --cluster orders"],
  },
  mails: {
    exit: `0; ${CONFIG_ERROR} (also for a configuration whose mail is not the embedded one)`,
    examples: ["mysql-ha-prober mails -c prober.yaml", "mysql-ha-prober mails -c prober.yaml --show 1"],
  },
  doctor: {
    exit: `0 every check passed, 1 a check failed (each failed line has its fix); ${CONFIG_ERROR}`,
    examples: ["mysql-ha-prober doctor -c prober.yaml --cluster orders"],
  },
  compare: {
    exit: `0 the same data on both nodes, 1 rows differ, the schemas drifted, or a table or row could not be compared (the repair SQL is written, never applied); 3 the nodes could not be read, or one did not reach the other's replication point; ${CONFIG_ERROR}`,
    examples: [
      "mysql-ha-prober compare -c prober.yaml --schemas shop",
      "mysql-ha-prober compare -c prober.yaml --cluster orders --schemas shop,billing --tables shop.orders --reference a --json",
    ],
  },
  preflight: {
    exit: `0 every check passed, 1 a check failed; ${CONFIG_ERROR}`,
    examples: [
      "mysql-ha-prober preflight -d deploy.yaml",
      "mysql-ha-prober preflight -d deploy.yaml --deployed",
    ],
  },
  "cli-config": {
    exit: `0 written; ${CONFIG_ERROR}, or the stack not found or without its TableName output`,
    examples: [
      "mysql-ha-prober cli-config -d deploy.yaml --out prober.yaml && mysql-ha-prober status -c prober.yaml",
      "mysql-ha-prober cli-config -d deploy.yaml --stack MysqlHaProber-prod",
    ],
  },
  lab: {
    exit: "as its subcommands",
    examples: ["sudo npx mysql-ha-prober lab up", "sudo npx mysql-ha-prober lab demo"],
  },
  "lab up": {
    exit: "0 the lab is up (its status and configuration file are printed); 3 an error (not root, a package missing, a build that failed and was torn down)",
    examples: [
      "sudo npx mysql-ha-prober lab up",
      "sudo npx mysql-ha-prober lab up --name alice --subnet 198.18.7.0/24 --heal",
    ],
  },
  "lab down": {
    exit: "0 the lab is gone (also when it was not up); 3 an error",
    examples: ["sudo npx mysql-ha-prober lab down --name mhp"],
  },
  "lab status": {
    exit: "0 the status is printed; 3 an error",
    examples: ["sudo npx mysql-ha-prober lab status --json"],
  },
  "lab fault": {
    exit: "0 the fault is applied; 3 an error (an unknown kind or node, the lab not up)",
    examples: [
      "sudo npx mysql-ha-prober lab fault mysql-kill a",
      "sudo npx mysql-ha-prober lab fault vrrp-block b",
    ],
  },
  "lab diverge": {
    exit: "0 the divergence is made (it replicates nowhere; `lab heal` does not undo it); 3 an error",
    examples: [
      "sudo npx mysql-ha-prober lab diverge null-vs-empty b",
      "sudo npx mysql-ha-prober compare -c /var/lib/mysql-ha-prober/labs/mhp/prober.yaml",
    ],
  },
  "lab heal": {
    exit: "0 healed (one VIP holder, replication running both ways); 3 it did not settle in time",
    examples: ["sudo npx mysql-ha-prober lab heal"],
  },
  "lab demo": {
    exit: "0 every drill step was detected and mailed, 1 a step was missed; 3 an error",
    examples: ["sudo npm run demo", "sudo npx mysql-ha-prober lab demo --keep --interval 1s"],
  },
  "lab rehearse": {
    exit: "0 every step held, 1 a step failed (the report says which); 3 an error",
    examples: [
      "sudo npx mysql-ha-prober lab rehearse",
      "sudo npx mysql-ha-prober lab rehearse --fleet 3 --json",
    ],
  },
};

function pathOf(c: Command): string {
  const names: string[] = [];
  for (let x: Command | null = c; x?.parent; x = x.parent) names.unshift(x.name());
  return names.join(" ");
}

/** Marks required options and appends exit codes and examples to every command below `program`. */
export function decorateHelp(program: Command): void {
  const visit = (c: Command) => {
    for (const sub of c.commands) {
      // internal commands (hidden from help) have no help to give
      if ((sub as unknown as { _hidden?: boolean })._hidden) continue;
      const path = pathOf(sub);
      const h = COMMAND_HELP[path];
      if (!h) throw new Error(`cli/help.ts: no help entry for "${path}"`);
      for (const o of sub.options)
        if (o.mandatory && !o.description.endsWith("(required)"))
          o.description = `${o.description} (required)`;
      sub.addHelpText(
        "after",
        `\nExit codes: ${h.exit}\n\nExamples:\n${h.examples.map((e) => `  ${e}`).join("\n")}`,
      );
      visit(sub);
    }
  };
  visit(program);
}
