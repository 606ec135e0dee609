/** Every command, one file each, in the order the help lists them; each takes the same io. */
import type { Command } from "commander";
import type { Io } from "../common.ts";
import { ackCommand } from "./ack.ts";
import { cliConfigCommand } from "./cli-config.ts";
import { compareCommand } from "./compare.ts";
import { doctorCommand } from "./doctor.ts";
import { historyCommand } from "./history.ts";
import { labCommand } from "./lab.ts";
import { mailsCommand } from "./mails.ts";
import { preflightCommand } from "./preflight.ts";
import { probeCommand } from "./probe.ts";
import { silenceCommand } from "./silence.ts";
import { statusCommand } from "./status.ts";
import { testMailCommand } from "./test-mail.ts";
import { unsilenceCommand } from "./unsilence.ts";
import { watchCommand } from "./watch.ts";

export const COMMANDS: readonly ((io: Io) => Command)[] = [
  probeCommand,
  watchCommand,
  historyCommand,
  ackCommand,
  statusCommand,
  silenceCommand,
  unsilenceCommand,
  testMailCommand,
  mailsCommand,
  doctorCommand,
  compareCommand,
  preflightCommand,
  cliConfigCommand,
  labCommand,
];
