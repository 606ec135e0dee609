import { describe, expect, it } from "vitest";
import { parseEnv } from "../../../../functions/probe/env.ts";

const cluster = {
  name: "prod",
  vip: { host: "10.0.0.100" },
  mysql: { user: "prober" },
  nodes: {
    a: { host: "10.0.0.11", runner: { type: "ssm", instanceId: "i-0123456789abcdef0" } },
    b: { host: "10.0.0.12", runner: { type: "ssm", instanceId: "i-0fedcba9876543210" } },
  },
};
const good = {
  CLUSTER_CONFIG: JSON.stringify(cluster),
  TABLE_NAME: "mysql-ha-prober",
  MAIL_FROM: "prober@example.com",
  MAIL_TO: "a@example.com, b@example.com",
  PASSWORD_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x",
};

describe("the function's environment", () => {
  it("parses the cluster and the mail list", () => {
    const e = parseEnv(good);
    expect(e.CLUSTER_CONFIG.name).toBe("prod");
    expect(e.MAIL_TO).toEqual(["a@example.com", "b@example.com"]);
    expect(e.SUBMINUTE_INTERVAL_SECONDS).toBe(0);
    expect(e.SCHEDULE_RATE_SECONDS).toBe(60);
    expect(e.HISTORY_TTL_DAYS).toBe(90);
  });

  it("needs no password in the cluster: the deployed function reads it from the secret", () => {
    // the construct's CLUSTER_CONFIG carries no password fields; the CLI's schema requires one, this one must not
    expect(parseEnv(good).CLUSTER_CONFIG.mysql).toEqual({
      user: "prober",
      connectTimeoutMs: 2000,
      queryTimeoutMs: 2000,
      totalTimeoutMs: 5000,
      tls: { mode: "disabled" },
    });
  });

  it.each([
    [{ CLUSTER_CONFIG: "{not json" }, /CLUSTER_CONFIG: must be JSON/],
    [
      { CLUSTER_CONFIG: JSON.stringify({ ...cluster, vip: { host: "nope" } }) },
      /CLUSTER_CONFIG\.vip\.host: must be an IPv4 address/,
    ],
    [{ MAIL_TO: "not-an-address" }, /MAIL_TO\.0: /],
    [{ PASSWORD_SECRET_ARN: undefined }, /set PASSWORD_SECRET_ARN or PASSWORD_PARAMETER_NAME/],
    [{ SUBMINUTE_INTERVAL_SECONDS: "90" }, /SUBMINUTE_INTERVAL_SECONDS: /],
    [
      {
        CLUSTER_CONFIG: JSON.stringify({
          ...cluster,
          nodes: {
            ...cluster.nodes,
            a: { host: "10.0.0.11", runner: { type: "netns", namespace: "lab-a" } },
          },
        }),
      },
      /CLUSTER_CONFIG\.nodes\.a\.runner/,
    ],
  ])("%j fails naming the variable", (override, message) => {
    expect(() => parseEnv({ ...good, ...override })).toThrow(message);
  });
});
