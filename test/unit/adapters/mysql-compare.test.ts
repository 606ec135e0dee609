/** The compare adapter's own rules, apart from a server: when the server's MD5() cannot checksum rows. */
import { describe, expect, it } from "vitest";
import { md5Unusable } from "../../../shared/adapters/mysql-compare.ts";

describe("MD5() as the server answers it", () => {
  it("32 hex digits: usable", () => {
    expect(md5Unusable("e0a3b4c7f1d2a9b8c7d6e5f4a3b2c1d0")).toBeNull();
  });

  it("NULL (a server in FIPS mode) or anything else: the session refuses, saying why", () => {
    expect(md5Unusable(null)).toMatch(
      /^MD5\(\) answers NULL on this server \(FIPS mode\?\): .*every chunk would look the same/,
    );
    expect(md5Unusable("")).toMatch(/^MD5\(\) answers "" on this server/);
  });
});
