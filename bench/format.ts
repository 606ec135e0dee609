/** Number and table formatting shared by the benchmarks (bench/run.ts, bench/peers.ts). Pure. */

/** Nearest-rank percentile; NaN of nothing. */
export function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number) : Number.NaN;
}

/** Milliseconds as seconds with one decimal; "-" for NaN. */
export function sec(ms: number): string {
  return Number.isNaN(ms) ? "-" : `${Math.round(ms / 100) / 10}`;
}

export function table(rows: (string | number)[][]): string {
  const w = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => String(c).padEnd(w[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
