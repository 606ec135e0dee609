// One Lambda execution environment of the rehearsal: a fresh Node.js process that runs the synthesized
// asset with lambda-local, one invocation at a time, and stays warm between invocations (module state,
// such as the handler built at cold start, persists as it does in Lambda). Plain JavaScript: nothing of
// the project's source is loaded here, only the asset.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import lambdaLocal from "lambda-local";

// lambda-local reads ~/.aws/{config,credentials} into the environment: point it at an empty home
process.env.HOME = mkdtempSync(join(tmpdir(), "mhp-lambda-home-"));
const [, , lambdaPath, handlerName, timeoutMs, functionName, functionArn, memory] = process.argv;

process.on("message", (m) => {
  // as the runtime does for each invocation (not sampled: no segments leave the process)
  process.env._X_AMZN_TRACE_ID = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
  lambdaLocal
    .execute({
      lambdaPath,
      lambdaHandler: handlerName,
      esm: true,
      event: m.event,
      timeoutMs: Number(timeoutMs),
      // 3: the function's own output is not muted (lambda-local adds its START/End lines, as Lambda does)
      verboseLevel: 3,
      contextOverwrite: (ctx) => {
        ctx.functionName = functionName;
        // the ARN it was invoked through: qualified with the alias when invoked through one
        ctx.invokedFunctionArn = m.invokedFunctionArn ?? functionArn;
        ctx.awsRequestId = m.requestId;
        ctx.memoryLimitInMB = memory;
      },
    })
    .then(
      (result) => process.send({ id: m.id, ok: true, result }),
      (err) =>
        process.send({
          id: m.id,
          ok: false,
          // lambda-local hands over { errorType, errorMessage } as Lambda reports them
          error: {
            name: err?.errorType ?? err?.name ?? "Error",
            message: String(err?.errorMessage ?? err?.message ?? JSON.stringify(err)),
          },
        }),
    );
});
process.send({ ready: true });
