/** The unit project alone, for `npm run mutation:domain` (the pure code is covered by unit tests). */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { include: ["test/unit/**/*.test.ts"], testTimeout: 20_000 },
});
