/** The node-check script's text and its declared parameters (read from the script itself). */
import { readFileSync } from "node:fs";

export const NODE_CHECK_SCRIPT_PATH = new URL("./node-check.sh", import.meta.url);

export function nodeCheckScript(): string {
  return readFileSync(NODE_CHECK_SCRIPT_PATH, "utf8");
}

export interface ScriptParam {
  name: string;
  default: string;
  description: string;
  pattern: string;
}

/** The parameters declared in the script: `# @param Name | default | description` and `P_Name='regex'`. */
export function scriptParams(script = nodeCheckScript()): ScriptParam[] {
  const patterns = new Map<string, string>();
  for (const m of script.matchAll(/^P_([A-Za-z]+)='([^']*)'$/gm))
    patterns.set(m[1] as string, m[2] as string);
  return [...script.matchAll(/^# @param (\w+) \| ([^|]*)\| (.*)$/gm)].map((m) => {
    const name = m[1] as string;
    const pattern = patterns.get(name);
    if (!pattern) throw new Error(`node-check.sh declares @param ${name} without P_${name}`);
    return { name, default: (m[2] as string).trim(), description: (m[3] as string).trim(), pattern };
  });
}
