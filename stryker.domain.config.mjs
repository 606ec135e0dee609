// `npm run mutation:domain`: the pure part alone (the domain, the CLI's output and exit codes, the
// function's environment and push event), against the unit tests: about 25 minutes on 2 vCPUs, where
// the full `npm run mutation` (adapters and pipeline against the integration tests too) takes hours.
// @ts-check
import base from "./stryker.config.mjs";

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: "vitest.mutation-unit.config.ts", related: false },
  mutate: [
    "shared/domain/**/*.ts",
    "shared/node-check/params.ts",
    "functions/probe/env.ts",
    "functions/probe/push-event.ts",
    "cli/output.ts",
    "cli/status-output.ts",
  ],
  incrementalFile: "reports/mutation-domain/stryker-incremental.json",
  htmlReporter: { fileName: "reports/mutation-domain/mutation.html" },
  jsonReporter: { fileName: "reports/mutation-domain/mutation.json" },
};
