/**
 * Summarises a StrykerJS report (issue 16): the score over everything mutated and over shared/domain,
 * per file, the survivors by mutator, and (with --list) every survivor with its place and replacement,
 * so each can be accounted for in BENCHMARKS.md.
 *
 *   npx tsx bench/mutation-summary.ts [reports/mutation/mutation.json] [--list] [--under <path prefix>]
 */
import { readFileSync } from "node:fs";

interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

const args = process.argv.slice(2);
const file = args.find((a) => a.endsWith(".json")) ?? "reports/mutation/mutation.json";
const list = args.includes("--list");
const underAt = args.indexOf("--under");
const under = underAt >= 0 ? (args[underAt + 1] ?? "") : "";
const report = JSON.parse(readFileSync(file, "utf8")) as Report;

type Tally = { killed: number; survived: number; noCoverage: number; timeout: number; other: number };
const empty = (): Tally => ({ killed: 0, survived: 0, noCoverage: 0, timeout: 0, other: 0 });
function add(t: Tally, m: Mutant) {
  if (m.status === "Killed") t.killed++;
  else if (m.status === "Survived") t.survived++;
  else if (m.status === "NoCoverage") t.noCoverage++;
  else if (m.status === "Timeout") t.timeout++;
  else t.other++;
}
const score = (t: Tally) => {
  const detected = t.killed + t.timeout;
  const valid = detected + t.survived + t.noCoverage;
  return valid ? (100 * detected) / valid : 100;
};
const covered = (t: Tally) => {
  const detected = t.killed + t.timeout;
  const valid = detected + t.survived;
  return valid ? (100 * detected) / valid : 100;
};
const pct = (n: number) => `${n.toFixed(1)} %`;

const all = empty();
const domain = empty();
const perFile = new Map<string, Tally>();
const byMutator = new Map<string, number>();
const survivors: string[] = [];
for (const [path, f] of Object.entries(report.files)) {
  if (under && !path.startsWith(under)) continue;
  const t = empty();
  const lines = f.source.split("\n");
  for (const m of f.mutants) {
    add(all, m);
    add(t, m);
    if (path.startsWith("shared/domain/")) add(domain, m);
    if (m.status === "Survived" || m.status === "NoCoverage") {
      byMutator.set(m.mutatorName, (byMutator.get(m.mutatorName) ?? 0) + 1);
      const at = m.location.start;
      const code = (lines[at.line - 1] ?? "").trim().slice(0, 100);
      survivors.push(
        `${path}:${at.line}:${at.column} ${m.status} ${m.mutatorName} -> ${JSON.stringify((m.replacement ?? "").slice(0, 80))} | ${code}`,
      );
    }
  }
  perFile.set(path, t);
}

console.log(`report: ${file}`);
console.log(
  `all mutated: ${pct(score(all))} (covered only ${pct(covered(all))}); killed ${all.killed}, timeout ${all.timeout}, survived ${all.survived}, no coverage ${all.noCoverage}, other ${all.other}`,
);
console.log(
  `shared/domain: ${pct(score(domain))} (covered only ${pct(covered(domain))}); killed ${domain.killed}, timeout ${domain.timeout}, survived ${domain.survived}, no coverage ${domain.noCoverage}`,
);
console.log("\nper file (weakest first):");
for (const [path, t] of [...perFile].sort((x, y) => score(x[1]) - score(y[1])))
  console.log(
    `  ${pct(score(t)).padStart(8)}  ${String(t.survived + t.noCoverage).padStart(4)} left  ${path}`,
  );
console.log("\nsurvivors and uncovered by mutator:");
for (const [name, n] of [...byMutator].sort((x, y) => y[1] - x[1]))
  console.log(`  ${String(n).padStart(5)}  ${name}`);
if (list) {
  console.log("\nevery survivor:");
  for (const s of survivors) console.log(`  ${s}`);
}
