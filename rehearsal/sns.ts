/**
 * Alarm delivery, as AWS does it: an alarm action publishes to its SNS topic AS `cloudwatch.amazonaws.com`
 * (a service principal, not a role of the account). The publish is allowed or denied by
 *  1. the topic's access policy: an `AWS::SNS::TopicPolicy` REPLACES SNS's default policy (SNS developer guide,
 *     "Example cases for Amazon SNS access control"; AWS knowledge center "cloudwatch-receive-sns-for-alarm-trigger");
 *     a topic without one keeps the default policy, which lets the account's own resources publish
 *     (`AWS:SourceOwner` = the account);
 *  2. for an encrypted topic, the KMS key policy: the publisher needs kms:GenerateDataKey* and kms:Decrypt on the
 *     topic's key (SNS developer guide, "Enable compatibility between event sources from AWS services and
 *     encrypted topics"). The AWS managed key `alias/aws/sns` allows only principals OF the account calling
 *     through SNS (kms:CallerAccount + kms:ViaService), which a service principal never is: its policy cannot
 *     be edited (AWS knowledge center "cloudwatch-configure-alarm-sns").
 * Both are evaluated by @cloud-copilot/iam-simulate as resource policies. An allowed publish is delivered to
 * the topic's email subscriptions (confirmation is not emulated: see docs/stand-ins.md).
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { DeployedTemplate } from "./template.ts";

export const CLOUDWATCH = "cloudwatch.amazonaws.com";
/** The sender SNS email notifications come from. */
export const SNS_SENDER = "no-reply@sns.amazonaws.com";

export type TopicKey =
  | { kind: "none" }
  | { kind: "aws-managed"; alias: string }
  | { kind: "customer"; arn: string; policy: unknown }
  /** A key the template does not define (imported): its policy cannot be read here. */
  | { kind: "unknown"; id: string };

export interface TopicSpec {
  arn: string;
  key: TopicKey;
  /** The topic policy (all TopicPolicy statements naming it), or null: SNS's default policy. */
  policy: { Version?: string; Statement: unknown[] } | null;
  emails: string[];
}

export interface AlarmActions {
  alarm: string;
  arn: string;
  onAlarm: string[];
  onOk: string[];
  onInsufficientData: string[];
}

export interface Delivery {
  alarm: string;
  state: string;
  topic: string;
  delivered: boolean;
  /** Why it was not delivered: the policy that refused it. */
  reason?: string;
  to: string[];
  at: number;
}

/** The topics, their keys, policies and email subscriptions, and each alarm's actions, from the template. */
export function readAlarmDelivery(t: DeployedTemplate): { topics: TopicSpec[]; actions: AlarmActions[] } {
  const keyOf = (v: unknown): TopicKey => {
    if (v === undefined || v === null || v === "") return { kind: "none" };
    const id = String(v);
    if (id.startsWith("alias/aws/")) return { kind: "aws-managed", alias: id };
    for (const [kid] of t.ofType("AWS::KMS::Key"))
      if (t.getAtt(kid, "Arn") === id || t.ref(kid) === id)
        return {
          kind: "customer",
          arn: t.getAtt(kid, "Arn"),
          policy: t.props<{ KeyPolicy: unknown }>(kid).KeyPolicy,
        };
    return { kind: "unknown", id };
  };
  const topics = t.ofType("AWS::SNS::Topic").map(([id]): TopicSpec => {
    const arn = t.ref(id);
    const statements = t
      .ofType("AWS::SNS::TopicPolicy")
      .map(([pid]) => t.props<{ Topics: string[]; PolicyDocument: { Statement: unknown[] } }>(pid))
      .filter((p) => p.Topics.includes(arn))
      .flatMap((p) => p.PolicyDocument.Statement);
    const emails = t
      .ofType("AWS::SNS::Subscription")
      .map(([sid]) => t.props<{ TopicArn: string; Protocol: string; Endpoint: string }>(sid))
      .filter((s) => s.TopicArn === arn && s.Protocol === "email")
      .map((s) => s.Endpoint);
    return {
      arn,
      key: keyOf(t.props<{ KmsMasterKeyId?: string }>(id).KmsMasterKeyId),
      policy: statements.length > 0 ? { Version: "2012-10-17", Statement: statements } : null,
      emails,
    };
  });
  const actions = t.ofType("AWS::CloudWatch::Alarm").map(([id]): AlarmActions => {
    const p = t.props<{
      AlarmName?: string;
      AlarmActions?: string[];
      OKActions?: string[];
      InsufficientDataActions?: string[];
    }>(id);
    const name = p.AlarmName ?? t.physicalName(id);
    return {
      alarm: name,
      arn: `arn:${t.partition}:cloudwatch:${t.env.region}:${t.env.account}:alarm:${name}`,
      onAlarm: p.AlarmActions ?? [],
      onOk: p.OKActions ?? [],
      onInsufficientData: p.InsufficientDataActions ?? [],
    };
  });
  return { topics, actions };
}

/** The key policy of the AWS managed key for SNS, as AWS documents it (it cannot be changed). */
export function awsManagedSnsKeyPolicy(account: string, region: string, partition = "aws"): unknown {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Allow access through SNS for all principals in the account that are authorized to use SNS",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:CreateGrant",
          "kms:DescribeKey",
        ],
        Resource: "*",
        Condition: {
          StringEquals: { "kms:CallerAccount": account, "kms:ViaService": `sns.${region}.amazonaws.com` },
        },
      },
      {
        Sid: "Allow direct access to key metadata to the account",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${account}:root` },
        Action: ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
        Resource: "*",
      },
    ],
  };
}

/** SNS's default topic access policy (what a topic has without an AWS::SNS::TopicPolicy). */
export function defaultTopicPolicy(topicArn: string, account: string): unknown {
  return {
    Version: "2008-10-17",
    Statement: [
      {
        Sid: "__default_statement_ID",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: [
          "SNS:GetTopicAttributes",
          "SNS:SetTopicAttributes",
          "SNS:AddPermission",
          "SNS:RemovePermission",
          "SNS:DeleteTopic",
          "SNS:Subscribe",
          "SNS:ListSubscriptionsByTopic",
          "SNS:Publish",
        ],
        Resource: topicArn,
        Condition: { StringEquals: { "AWS:SourceOwner": account } },
      },
    ],
  };
}

async function allowedBy(
  policy: unknown,
  action: string,
  resource: string,
  account: string,
  context: Record<string, string>,
): Promise<string> {
  const out = await runSimulation(
    {
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policy as never,
      request: {
        action,
        principal: CLOUDWATCH,
        resource: { resource, accountId: account },
        contextVariables: context,
      },
    },
    {},
  );
  return out.resultType === "error"
    ? `invalid request (${JSON.stringify(out.errors).slice(0, 200)})`
    : out.overallResult;
}

export class LocalSns {
  readonly deliveries: Delivery[] = [];
  private readonly byArn: Map<string, TopicSpec>;
  private readonly decisions = new Map<string, Promise<string | null>>();

  constructor(
    topics: readonly TopicSpec[],
    private readonly env: { account: string; region: string; partition?: string },
    /** Hands an allowed notification to the mail of each email subscription. */
    private readonly mail: (to: string[], subject: string, text: string) => Promise<void>,
  ) {
    this.byArn = new Map(topics.map((t) => [t.arn, t]));
  }

  /** null when CloudWatch may publish to the topic for this alarm; else which policy refused it. */
  authorize(topicArn: string, alarmArn: string): Promise<string | null> {
    const key = `${topicArn} ${alarmArn}`;
    let d = this.decisions.get(key);
    if (!d) {
      d = this.decide(topicArn, alarmArn);
      this.decisions.set(key, d);
    }
    return d;
  }

  private async decide(topicArn: string, alarmArn: string): Promise<string | null> {
    const topic = this.byArn.get(topicArn);
    if (!topic) return `NotFound: topic ${topicArn} does not exist`;
    const { account, region } = this.env;
    const context = {
      "aws:SourceArn": alarmArn,
      "aws:SourceAccount": account,
      "AWS:SourceOwner": account,
      "aws:SecureTransport": "true",
    };
    const policy = topic.policy ?? defaultTopicPolicy(topic.arn, account);
    const sns = await allowedBy(policy, "sns:Publish", topic.arn, account, context);
    if (sns !== "Allowed")
      return `AuthorizationError: the topic policy of ${topic.arn} does not allow ${CLOUDWATCH} to publish (${sns})`;
    if (topic.key.kind === "none") return null;
    if (topic.key.kind === "unknown")
      return `KMS: the topic's key ${topic.key.id} is not in the template: its policy cannot be checked`;
    const keyArn =
      topic.key.kind === "customer"
        ? topic.key.arn
        : `arn:${this.env.partition ?? "aws"}:kms:${region}:${account}:alias/aws/sns`;
    const keyPolicy =
      topic.key.kind === "customer"
        ? topic.key.policy
        : awsManagedSnsKeyPolicy(account, region, this.env.partition);
    for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
      const r = await allowedBy(keyPolicy, action, keyArn, account, {
        "kms:ViaService": `sns.${region}.amazonaws.com`,
      });
      if (r !== "Allowed")
        return `KMS.AccessDeniedException: ${CLOUDWATCH} may not ${action} with the topic's key ${topic.key.kind === "customer" ? keyArn : topic.key.alias} (${r})`;
    }
    return null;
  }

  /** An alarm action: publish as CloudWatch; deliver to the topic's email subscriptions when allowed. */
  async publishAlarm(alarm: AlarmActions, state: string, from: string, reason: string): Promise<Delivery[]> {
    const topics = state === "ALARM" ? alarm.onAlarm : state === "OK" ? alarm.onOk : alarm.onInsufficientData;
    const out: Delivery[] = [];
    for (const topicArn of topics) {
      const refused = await this.authorize(topicArn, alarm.arn);
      const to = this.byArn.get(topicArn)?.emails ?? [];
      const d: Delivery = {
        alarm: alarm.alarm,
        state,
        topic: topicArn,
        delivered: refused === null,
        ...(refused ? { reason: refused } : {}),
        to,
        at: Date.now(),
      };
      if (refused === null && to.length > 0)
        await this.mail(
          to,
          `${state}: "${alarm.alarm}" in ${this.env.region}`,
          `You are receiving this email because your Amazon CloudWatch Alarm "${alarm.alarm}" in the ${this.env.region} region has entered the ${state} state, because "${reason}".\n\nState Change: ${from} -> ${state}\n`,
        ).catch((e: Error) => {
          d.delivered = false;
          d.reason = `email delivery failed: ${e.message}`;
        });
      this.deliveries.push(d);
      out.push(d);
    }
    return out;
  }
}
