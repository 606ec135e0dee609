/**
 * The SSM Command document (schemaVersion 2.2, aws:runShellScript) built from node-check.sh, so the
 * script and the document cannot drift. Parameters use interpolationType ENV_VAR (the agent sets
 * SSM_<Name> variables; nothing is substituted into the script text) and each has an allowedPattern.
 */
import { nodeCheckScript, scriptParams } from "./script.ts";

export const HEREDOC_MARKER = "MHP_NODE_CHECK_EOF";

export interface SsmCommandDocument {
  schemaVersion: "2.2";
  description: string;
  parameters: Record<
    string,
    {
      type: "String";
      default: string;
      description: string;
      allowedPattern: string;
      interpolationType: "ENV_VAR";
    }
  >;
  mainSteps: {
    action: "aws:runShellScript";
    name: string;
    precondition: { StringEquals: [string, string] };
    inputs: { timeoutSeconds: number; runCommand: string[] };
  }[];
}

export function nodeCheckDocument(script = nodeCheckScript()): SsmCommandDocument {
  if (script.includes("{{"))
    throw new Error("node-check.sh must not contain '{{' (SSM would interpolate it)");
  if (script.includes(HEREDOC_MARKER)) throw new Error(`node-check.sh must not contain ${HEREDOC_MARKER}`);
  const parameters: SsmCommandDocument["parameters"] = {};
  for (const p of scriptParams(script)) {
    // The agent fills every parameter that was not sent with its default, then checks EVERY declared
    // parameter against its allowedPattern (Go regexp MatchString) before anything runs: a default that
    // fails its own pattern fails every command that does not send the parameter (amazon-ssm-agent,
    // agent/framework/docparser/docparser.go getValidatedParameters and
    // agent/framework/docparser/paramvalidator/allowedregexparamvalidator).
    if (!new RegExp(p.pattern).test(p.default))
      throw new Error(
        `node-check.sh: the default ${JSON.stringify(p.default)} of parameter ${p.name} does not match its own pattern ${p.pattern}`,
      );
    parameters[p.name] = {
      type: "String",
      default: p.default,
      description: p.description,
      allowedPattern: p.pattern,
      interpolationType: "ENV_VAR",
    };
  }
  return {
    schemaVersion: "2.2",
    description:
      "mysql-ha-prober node check: VIP binding, ARP replies for the VIP, keepalived state, mysqld listening. Prints one JSON document.",
    parameters,
    mainSteps: [
      {
        action: "aws:runShellScript",
        name: "nodeCheck",
        precondition: { StringEquals: ["platformType", "Linux"] },
        inputs: {
          timeoutSeconds: 30,
          // The script needs bash; the agent runs runCommand with sh. It is written to a private temp
          // file through a quoted heredoc (no expansion) and run with bash, which inherits SSM_*.
          runCommand: [
            "set -e",
            'f="$(mktemp)"',
            "trap 'rm -f \"$f\"' EXIT",
            `cat > "$f" <<'${HEREDOC_MARKER}'`,
            ...script.replace(/\n$/, "").split("\n"),
            HEREDOC_MARKER,
            'bash "$f"',
          ],
        },
      },
    ],
  };
}
