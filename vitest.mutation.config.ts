/**
 * The tests Stryker runs against each mutant (`npm run mutation`): the unit and integration projects.
 * The infra project (CDK synth, seconds per test) and the lab (root, namespaces) stay out: their
 * contracts are checked by `npm test`.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 20_000 } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
