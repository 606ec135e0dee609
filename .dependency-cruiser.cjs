/**
 * Import rules checked in CI (`npm run lint:deps`): no import circle, and no arrow up the layers:
 *   shared, functions, infra, node-kit  <-  emulators, lab  <-  rehearsal  <-  cli, bench  <-  test
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
      from: { path: "^(shared|functions|infra|node-kit)/" },
      to: { path: "^(cli|bench|test|lab|rehearsal|emulators)/" },
    },
    {
      name: "no-upward-from-the-rehearsal",
      severity: "error",
      comment: "the rehearsal (the local AWS) is used by the CLI and the tests, never the other way",
      from: { path: "^rehearsal/" },
      to: { path: "^(cli|bench|test)/" },
    },
    {
      name: "no-upward-from-the-lab-and-emulators",
      severity: "error",
      comment:
        "the lab and the local emulators are used by the rehearsal, the CLI, the benches and the tests",
      from: { path: "^(lab|emulators)/" },
      to: { path: "^(cli|bench|test|rehearsal)/" },
    },
    {
      name: "no-test-code-in-the-benches",
      severity: "error",
      comment: "a bench runs what users run and the shared stand-ins (emulators/), never a test helper",
      from: { path: "^bench/" },
      to: { path: "^test/" },
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
