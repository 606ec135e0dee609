/**
 * Import rules checked in CI (`npm run lint:deps`): no import circle, and no arrow from the lower layers
 * (shared, functions, infra) or the rehearsal up into the CLI, the benchmarks or the tests.
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "an import circle: split the shared part into its own module",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-upward-from-lower-layers",
      severity: "error",
      comment:
        "shared/, functions/ and infra/ are used by the CLI, the benches and the tests, never the other way",
      from: { path: "^(shared|functions|infra)/" },
      to: { path: "^(cli|bench|test|lab)/" },
    },
    {
      name: "no-upward-from-the-rehearsal",
      severity: "error",
      comment: "the rehearsal (the local AWS) is used by the CLI and the tests, never the other way",
      from: { path: "^rehearsal/" },
      to: { path: "^(cli|bench|test)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
    },
  },
};
