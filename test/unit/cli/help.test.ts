/** Help that helps: every command's help has its exit codes and examples, and marks its required options. */
import { describe, expect, it } from "vitest";
import { COMMAND_HELP } from "../../../cli/help.ts";
import { main } from "../../../cli/main.ts";

async function help(...path: string[]): Promise<string> {
  const out: string[] = [];
  const code = await main(
    ["node", "mysql-ha-prober", ...path, "--help"],
    (s) => out.push(s),
    (s) => out.push(s),
  );
  expect(code, path.join(" ")).toBe(0);
  return out.join("\n");
}

describe("every command's help", () => {
  it.each(Object.keys(COMMAND_HELP))("%s: exit codes, examples, required options marked", async (path) => {
    const text = await help(...path.split(" "));
    expect(text).toMatch(/\nExit codes: \S/);
    expect(text).toMatch(/\nExamples:\n {2}\S/);
    for (const line of text.split("\n").filter((l) => /^\s+-c, --config/.test(l)))
      expect(line, `${path}: -c is required`).toMatch(/\(required\)/);
  });

  /** The command names listed under "Commands:" (not the examples). */
  const listed = (text: string) =>
    [...(text.split("\nCommands:\n")[1]?.split("\n\n")[0] ?? "").matchAll(/^ {2}([a-z-]+) /gm)]
      .map((m) => m[1] as string)
      .filter((c) => c !== "help");

  it("the table covers every visible command (a new command without help fails here)", async () => {
    const commands = listed(await help());
    expect(commands.length).toBeGreaterThan(8);
    for (const c of commands) expect(Object.keys(COMMAND_HELP), c).toContain(c);
    const sub = listed(await help("lab"));
    expect(sub).toContain("up");
    for (const c of sub) expect(Object.keys(COMMAND_HELP), `lab ${c}`).toContain(`lab ${c}`);
  });
});
