/** The typed errors: what their messages say, so an operator reads exactly which field was wrong. */
import { describe, expect, it } from "vitest";
import { ConfigError, InputError } from "../../../shared/domain/errors.ts";

describe("InputError", () => {
  it("names the field and the problem, and shows the value (strings quoted, long ones cut at 80)", () => {
    const cause = new Error("parse failed");
    const e = new InputError(
      "SHOW GLOBAL VARIABLES row 3",
      "no Variable_name column",
      { Value: "ON" },
      { cause },
    );
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("InputError");
    expect(e.message).toBe('SHOW GLOBAL VARIABLES row 3: no Variable_name column (got {"Value":"ON"})');
    expect([e.field, e.problem, e.value, e.cause]).toEqual([
      "SHOW GLOBAL VARIABLES row 3",
      "no Variable_name column",
      { Value: "ON" },
      cause,
    ]);
    expect(new InputError("f", "p").message).toBe("f: p");
    expect(new InputError("f", "p", "x").message).toBe('f: p (got "x")');
    expect(new InputError("f", "p", null).message).toBe("f: p (got null)");
    const long = new InputError("f", "p", "y".repeat(100)).message;
    expect(long).toBe(`f: p (got "${"y".repeat(76)}...)`);
    expect(new InputError("f", "p", "y".repeat(78)).message).toBe(`f: p (got "${"y".repeat(78)}")`);
  });
});

describe("ConfigError", () => {
  it("lists every path: problem under the source", () => {
    const e = new ConfigError("/etc/mhp.yaml", [
      "clusters[0].vip.host: must be an IPv4 address",
      "mail.to: give at least one recipient",
    ]);
    expect(e.name).toBe("ConfigError");
    expect(e.message).toBe(
      "invalid configuration in /etc/mhp.yaml:\n  - clusters[0].vip.host: must be an IPv4 address\n  - mail.to: give at least one recipient",
    );
    expect(e.issues).toHaveLength(2);
    expect(e.source).toBe("/etc/mhp.yaml");
  });
});
