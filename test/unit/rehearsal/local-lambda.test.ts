/** The rehearsal's Lambda environments: the priority a simulated fleet gives them (bench/fleet-round.ts). */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LocalCloudWatch } from "../../../rehearsal/cloudwatch.ts";
import { LocalLambda, runtimeNode } from "../../../rehearsal/lambda.ts";

let dir: string | undefined;
let lambda: LocalLambda | undefined;
afterEach(async () => {
  await lambda?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  lambda = undefined;
});

/** A function whose invocation writes its own process priority to a file. */
function asset(): { assetDir: string; out: string } {
  dir = mkdtempSync(join(tmpdir(), "mhp-local-lambda-"));
  const out = join(dir, "priority");
  writeFileSync(
    join(dir, "index.mjs"),
    `import { getPriority } from "node:os";\nimport { writeFileSync } from "node:fs";\nexport const handler = async () => { writeFileSync(${JSON.stringify(out)}, String(getPriority())); return {}; };\n`,
  );
  return { assetDir: dir, out };
}

const spec = (assetDir: string) => ({
  name: "f",
  arn: "arn:aws:lambda:eu-west-1:123456789012:function:f",
  handler: "index.handler",
  assetDir,
  timeoutSeconds: 10,
  memorySize: 128,
  environment: {},
  runtimeEnvironment: {},
  maximumRetryAttempts: 0,
  maximumEventAgeSeconds: 60,
  nodeBinary: runtimeNode("nodejs24.x"),
});

describe("the runtime's Node.js", () => {
  it("the asset runs on the Node major of the template's runtime (nodejs24.x: Node 24)", () => {
    const bin = runtimeNode("nodejs24.x");
    expect(execFileSync(bin, ["-p", "process.versions.node"], { encoding: "utf8" })).toMatch(/^24\./);
  });

  it("refuses a runtime whose Node is not at hand, and a runtime it does not emulate", () => {
    expect(() => runtimeNode("nodejs8.x")).toThrow(/needs Node 8/);
    expect(() => runtimeNode("python3.12")).toThrow(/not emulated/);
  });
});

describe("LocalLambda", () => {
  it("runs its environments at the niceness it is given (a simulated fleet leaves the CPU to the stand-ins)", async () => {
    // Prepare
    const { assetDir, out } = asset();
    lambda = new LocalLambda(spec(assetDir), new LocalCloudWatch([], 1), 1);
    lambda.niceness = 7;
    // Act
    const r = await lambda.invoke({});
    // Assess
    expect(r.ok).toBe(true);
    expect(Number(readFileSync(out, "utf8"))).toBe(7);
  });

  it("by default at the machine's own priority", async () => {
    const { assetDir, out } = asset();
    lambda = new LocalLambda(spec(assetDir), new LocalCloudWatch([], 1), 1);
    const r = await lambda.invoke({});
    expect(r.ok).toBe(true);
    expect(Number(readFileSync(out, "utf8"))).toBe(0);
  });
});
