// Mutation testing (issue 16): `npm run mutation` mutates the domain, the pipeline, the adapters, the
// node-check document, the function and the CLI's output, and runs the unit and integration tests
// against each mutant. Incremental: a re-run after a small change tests only what changed.
// @ts-check
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  plugins: ["@stryker-mutator/vitest-runner"],
  mutate: [
    "shared/domain/**/*.ts",
    "shared/pipeline.ts",
    "shared/adapters/**/*.ts",
    "shared/node-check/document.ts",
    "shared/node-check/params.ts",
    "functions/probe/**/*.ts",
    "cli/output.ts",
    "cli/status-output.ts",
  ],
  ignorePatterns: ["cdk.out", "dist", "bench/results", "reports", ".stryker-tmp"],
  coverageAnalysis: "perTest",
  // Static mutants (module-level constants: the finding catalog's texts, tables) would each need the
  // whole suite; they are left out and counted as ignored in the report.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: "reports/mutation/stryker-incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  concurrency: 2,
  timeoutMS: 20_000,
  thresholds: { high: 85, low: 75, break: null },
};
