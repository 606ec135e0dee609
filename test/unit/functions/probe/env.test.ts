import { describe, expect, it } from "vitest";
import { parseEnv } from "../../../../functions/probe/env.ts";

const good = {
  FLEET_CONFIG_FILE: "fleet.json",
  TABLE_NAME: "mysql-ha-prober",
  MAIL_FROM: "prober@example.com",
  MAIL_TO: "a@example.com, b@example.com",
  PASSWORD_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x",
};

describe("the function's environment", () => {
  it("parses the fleet file's name, the mail list and the defaults", () => {
    const e = parseEnv(good);
    expect(e.FLEET_CONFIG_FILE).toBe("fleet.json");
    expect(e.MAIL_TO).toEqual(["a@example.com", "b@example.com"]);
    expect(e.SUBMINUTE_INTERVAL_SECONDS).toBe(0);
    expect(e.SCHEDULE_RATE_SECONDS).toBe(60);
    expect(e.HISTORY_TTL_DAYS).toBe(90);
    // one metric per pair unless asked
    expect(e.DETAILED_METRICS).toBe(false);
    expect(parseEnv({ ...good, DETAILED_METRICS: "true" }).DETAILED_METRICS).toBe(true);
  });

  it.each([
    [{ MAIL_TO: "not-an-address" }, /MAIL_TO\.0: /],
    [{ PASSWORD_SECRET_ARN: undefined }, /set PASSWORD_SECRET_ARN or PASSWORD_PARAMETER_NAME/],
    [{ SUBMINUTE_INTERVAL_SECONDS: "90" }, /SUBMINUTE_INTERVAL_SECONDS: /],
    [{ DETAILED_METRICS: "yes" }, /DETAILED_METRICS: /],
    [{ FLEET_CONFIG_FILE: "" }, /FLEET_CONFIG_FILE: /],
  ])("%j fails naming the variable", (override, message) => {
    expect(() => parseEnv({ ...good, ...override })).toThrow(message);
  });
});
