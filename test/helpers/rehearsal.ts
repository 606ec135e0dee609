/** Runs `mysql-ha-prober lab rehearse --json <args>` as a user would, and reads its report. */
import { fileURLToPath } from "node:url";
import type { RehearsalReport } from "../../rehearsal/rehearse.ts";
import { run } from "../../shared/util/exec.ts";

const BIN = fileURLToPath(new URL("../../bin/mysql-ha-prober.mjs", import.meta.url));

export async function rehearseCli(
  args: string[],
): Promise<{ report: RehearsalReport; exitCode: number | null }> {
  const r = await run(process.execPath, [BIN, "lab", "rehearse", "--json", ...args], {
    timeoutMs: 900_000,
    allowFailure: true,
  });
  try {
    return { report: JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as RehearsalReport, exitCode: r.code };
  } catch {
    throw new Error(`no report (exit ${r.code}): ${r.stderr.slice(-3000)}`);
  }
}

/** The report's step whose name starts with `prefix`. */
export function stepOf(report: RehearsalReport, prefix: string) {
  const s = report.steps.find((x) => x.name.startsWith(prefix));
  if (!s) throw new Error(`no step "${prefix}" (steps: ${report.steps.map((x) => x.name).join(", ")})`);
  return s;
}
