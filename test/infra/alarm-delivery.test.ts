/**
 * Alarm delivery, checked on the synthesized template as AWS would decide it: every alarm's action publishes
 * to its topic as cloudwatch.amazonaws.com, allowed by the topic's policy and the topic key's policy
 * (rehearsal/sns.ts, evaluated with iam-simulate). With the AWS managed key alias/aws/sns, or a topic
 * policy holding only the TLS Deny, no alarm could ever reach its topic.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app.ts";
import { LocalSns, readAlarmDelivery, type TopicSpec } from "../../rehearsal/sns.ts";
import { DeployedTemplate } from "../../rehearsal/template.ts";

const EXAMPLE = fileURLToPath(new URL("../../infra/deploy.example.yaml", import.meta.url));
const ENV = { region: "eu-west-1", account: "123456789012" };
let delivery: ReturnType<typeof readAlarmDelivery>;

beforeAll(() => {
  const out = mkdtempSync(join(tmpdir(), "mhp-delivery-"));
  const { app } = buildApp(EXAMPLE, new App({ outdir: out }));
  app.synth();
  delivery = readAlarmDelivery(new DeployedTemplate(out, ENV));
}, 120_000);

const sns = (topics: TopicSpec[], sent: string[][] = []) =>
  new LocalSns(topics, ENV, async (to, subject) => void sent.push([...to, subject]));

describe("alarm -> SNS -> the alarm address, from the synthesized template", () => {
  it("every alarm notifies a topic on ALARM and on OK", () => {
    expect(delivery.actions.length).toBeGreaterThan(3);
    for (const a of delivery.actions) {
      expect(a.onAlarm.length, a.alarm).toBeGreaterThan(0);
      expect(a.onOk.length, a.alarm).toBeGreaterThan(0);
    }
  });

  it("every alarm's ALARM notification is allowed by the topic policy and the key policy, and mailed", async () => {
    const sent: string[][] = [];
    const local = sns(delivery.topics, sent);
    for (const a of delivery.actions) {
      const [d] = await local.publishAlarm(a, "ALARM", "OK", "test");
      expect(d?.reason, a.alarm).toBeUndefined();
      expect(d?.delivered, a.alarm).toBe(true);
    }
    expect(sent.length).toBe(delivery.actions.length);
    expect(sent[0]?.[0]).toBe("dba-oncall@example.com");
  });

  it("is refused with the AWS managed key alias/aws/sns (its key policy cannot allow CloudWatch)", async () => {
    const topics = delivery.topics.map((t) => ({
      ...t,
      key: { kind: "aws-managed" as const, alias: "alias/aws/sns" },
    }));
    const a = delivery.actions[0];
    if (!a) throw new Error("no alarm");
    const [d] = await sns(topics).publishAlarm(a, "ALARM", "OK", "test");
    expect(d?.delivered).toBe(false);
    expect(d?.reason).toMatch(
      /KMS\.AccessDeniedException: cloudwatch\.amazonaws\.com may not kms:GenerateDataKey with the topic's key alias\/aws\/sns/,
    );
  });

  it("is refused when the topic policy holds only the TLS Deny (it replaces SNS's default policy)", async () => {
    const topics = delivery.topics.map((t) => ({
      ...t,
      policy: {
        Statement: (t.policy?.Statement ?? []).filter((s) => (s as { Effect: string }).Effect === "Deny"),
      },
    }));
    const a = delivery.actions[0];
    if (!a) throw new Error("no alarm");
    const [d] = await sns(topics).publishAlarm(a, "ALARM", "OK", "test");
    expect(d?.delivered).toBe(false);
    expect(d?.reason).toMatch(/the topic policy .* does not allow cloudwatch\.amazonaws\.com to publish/);
  });

  it("refuses an alarm of another account (the confused-deputy conditions)", async () => {
    const a = delivery.actions[0];
    if (!a) throw new Error("no alarm");
    const foreign = { ...a, arn: a.arn.replace(ENV.account, "999999999999") };
    const [d] = await sns(delivery.topics).publishAlarm(foreign, "ALARM", "OK", "test");
    expect(d?.delivered).toBe(false);
  });
});
