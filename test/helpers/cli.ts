/** Runs the CLI in-process and collects what it prints. */
import { main } from "../../cli/main.ts";

export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    ["node", "mysql-ha-prober", ...args],
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}
