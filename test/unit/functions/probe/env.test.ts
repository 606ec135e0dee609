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
    [{ MAIL_TO: "not-an-address" }, /MAIL_TO\[0\]: /],
    [{ PASSWORD_SECRET_ARN: undefined }, /set PASSWORD_SECRET_ARN or PASSWORD_PARAMETER_NAME/],
    [{ SUBMINUTE_INTERVAL_SECONDS: "90" }, /SUBMINUTE_INTERVAL_SECONDS: /],
    [{ DETAILED_METRICS: "yes" }, /DETAILED_METRICS: /],
    [{ FLEET_CONFIG_FILE: "" }, /FLEET_CONFIG_FILE: /],
  ])("%j fails naming the variable", (override, message) => {
    expect(() => parseEnv({ ...good, ...override })).toThrow(message);
  });
});

describe("every bound of the environment, at and past it", () => {
  const parsed = (override: Record<string, string | undefined>) => parseEnv({ ...good, ...override });
  it.each<[string, string, number]>([
    ["SUBMINUTE_INTERVAL_SECONDS", "0", 0],
    ["SUBMINUTE_INTERVAL_SECONDS", "59", 59],
    ["SCHEDULE_RATE_SECONDS", "60", 60],
    ["DEADLINE_MARGIN_MS", "500", 500],
    ["HISTORY_TTL_DAYS", "1", 1],
    ["PUSH_DEBOUNCE_MS", "0", 0],
    ["PUSH_DEBOUNCE_MS", "5000", 5000],
    ["PUSH_HOLD_MS", "100", 100],
    ["PUSH_HOLD_MS", "60000", 60000],
  ])("%s=%s is accepted", (name, value, expected) => {
    expect(parsed({ [name]: value })[name as keyof ReturnType<typeof parseEnv>]).toBe(expected);
  });

  it.each<[string, string]>([
    ["SUBMINUTE_INTERVAL_SECONDS", "-1"],
    ["SUBMINUTE_INTERVAL_SECONDS", "60"],
    ["SUBMINUTE_INTERVAL_SECONDS", "1.5"],
    ["SCHEDULE_RATE_SECONDS", "59"],
    ["DEADLINE_MARGIN_MS", "499"],
    ["DEADLINE_MARGIN_MS", "700.5"],
    ["HISTORY_TTL_DAYS", "0"],
    ["PUSH_DEBOUNCE_MS", "-1"],
    ["PUSH_DEBOUNCE_MS", "5001"],
    ["PUSH_HOLD_MS", "99"],
    ["PUSH_HOLD_MS", "60001"],
    ["TABLE_NAME", "ab"],
    ["MAIL_FROM", "ab"],
    ["MAIL_TO", " , "],
    ["PASSWORD_SECRET_ARN", "secret:x"],
    ["PASSWORD_PARAMETER_NAME", "mysql/password"],
    ["HEARTBEAT_PASSWORD_SECRET_ARN", "hb"],
    ["DASHBOARD_NAME", ""],
  ])("%s=%j is refused, naming it", (name, value) => {
    expect(() => parsed({ [name]: value })).toThrow(
      new RegExp(`^invalid configuration in the function's environment:\\n  - ${name}[.:]`),
    );
  });

  it("the defaults", () => {
    expect(parsed({})).toMatchObject({
      DEADLINE_MARGIN_MS: 3000,
      PUSH_DEBOUNCE_MS: 200,
      PUSH_HOLD_MS: 800,
      FLEET_CONFIG_FILE: "fleet.json",
    });
    expect(parsed({ FLEET_CONFIG_FILE: undefined }).FLEET_CONFIG_FILE).toBe("fleet.json");
  });

  it("the password may come from an SSM parameter instead of a secret; either one is enough", () => {
    const e = parsed({ PASSWORD_SECRET_ARN: undefined, PASSWORD_PARAMETER_NAME: "/mysql/password" });
    expect(e.PASSWORD_PARAMETER_NAME).toBe("/mysql/password");
    expect(() => parsed({ PASSWORD_SECRET_ARN: undefined })).toThrow(
      "invalid configuration in the function's environment:\n  - (env): set PASSWORD_SECRET_ARN or PASSWORD_PARAMETER_NAME",
    );
  });

  it("every problem is listed, not only the first", () => {
    expect(() => parsed({ TABLE_NAME: "x", MAIL_FROM: "y" })).toThrow(/TABLE_NAME: .*\n {2}- MAIL_FROM: /s);
  });
});
