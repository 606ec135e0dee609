/**
 * Stands in for iconv-lite in the Lambda bundle only (esbuild alias, see infra/mysql-ha-prober.ts).
 *
 * mysql2 calls iconv-lite only for a charset Node's Buffer cannot handle itself. The probe connects
 * with utf8mb4, so the server sends every text result as UTF-8 (character_set_results) and binary
 * columns as bytes: iconv-lite's tables for Chinese, Japanese and Korean charsets (~460 KB, a third of
 * the bundle) would never be used. Decoding still works for every charset the runtime's TextDecoder
 * knows; anything else, and encoding to a non-Buffer charset, fails with an error naming the charset.
 */

import { TextDecoder } from "node:util";

/** mysql2's encoding names that are not TextDecoder labels as such. */
const LABELS: Record<string, string> = {
  cp932: "shift_jis",
  eucjpms: "euc-jp",
  euckr: "euc-kr",
  ujis: "euc-jp",
  utf16: "utf-16be",
};

export class UnsupportedCharsetError extends Error {
  constructor(
    readonly encoding: string,
    what: "decode" | "encode",
    options?: { cause?: unknown },
  ) {
    super(
      `mysql-ha-prober: the Lambda bundle cannot ${what} MySQL charset ${JSON.stringify(encoding)} ` +
        "(the probe's connection uses utf8mb4; iconv-lite is left out of the bundle)",
      options,
    );
    this.name = "UnsupportedCharsetError";
  }
}

export function getDecoder(encoding: string): { write(b: Uint8Array): string; end(): string | undefined } {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(LABELS[encoding.toLowerCase()] ?? encoding);
  } catch (cause) {
    throw new UnsupportedCharsetError(encoding, "decode", { cause });
  }
  return {
    write: (b) => decoder.decode(b, { stream: true }),
    end: () => decoder.decode() || undefined,
  };
}

export function getEncoder(encoding: string): never {
  throw new UnsupportedCharsetError(encoding, "encode");
}

export function encodingExists(encoding: string): boolean {
  try {
    getDecoder(encoding);
    return true;
  } catch {
    return false;
  }
}
