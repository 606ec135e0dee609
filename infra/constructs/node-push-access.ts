/**
 * Push, the AWS half. The push function (ProbeFunction's `pushFunction`, its own reserved concurrency)
 * gets one alias per node, `n-<instance id>`, and the nodes' instance roles get managed policies allowing
 * exactly one call: lambda:InvokeFunction on *their own* alias, on condition that the request comes
 * from that instance (`ec2:SourceInstanceARN`, set by EC2 on every request signed with the instance
 * profile's credentials). The function reads the caller from the alias it was invoked through
 * (`context.invokedFunctionArn`), never from the event: a node can push only its own pair, and cannot
 * invoke the scheduled entry at all. Only EC2 nodes (`i-`) can push: a managed instance (`mi-`) has no
 * instance identity to bind.
 */
import { CfnOutput, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { pushAliasOf } from "../../functions/probe/push-event.ts";
import type { ClusterConfig } from "../../shared/config.ts";
import { ConfigError } from "../../shared/domain/errors.ts";

export interface NodePushAccessProps {
  /** The fleet's name (for the descriptions). */
  readonly fleet: string;
  /** The push entry: a function that accepts only pushes. */
  readonly function: lambda.Function;
  /** The pairs whose nodes may push. */
  readonly clusters: readonly ClusterConfig[];
}

/**
 * Node statements per managed policy: each is some 330 characters, and a managed policy holds 6,144.
 * A role may attach 10 managed policies (20 on request): 160 nodes per role by default.
 */
export const PUSH_NODES_PER_POLICY = 16;

export class NodePushAccess extends Construct {
  readonly policies: iam.ManagedPolicy[] = [];
  readonly aliases: lambda.Alias[] = [];

  constructor(scope: Construct, id: string, props: NodePushAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const nodes = props.clusters.flatMap((c) =>
      (["a", "b"] as const).map((n) => {
        const r = c.nodes[n].runner;
        if (r.type !== "ssm" || !r.instanceId.startsWith("i-"))
          throw new ConfigError("the NodePushAccess props", [
            `push: pair ${c.name} node ${n} is not an EC2 instance (${r.type === "ssm" ? r.instanceId : r.type}): only EC2 instances have an identity the push can be bound to`,
          ]);
        return r.instanceId;
      }),
    );
    const version = props.function.currentVersion;
    const statements = [...new Set(nodes)].map((instanceId) => {
      const alias = new lambda.Alias(this, `Node-${instanceId}`, {
        aliasName: pushAliasOf(instanceId),
        version,
      });
      this.aliases.push(alias);
      return new iam.PolicyStatement({
        sid: `Push${instanceId.replace(/[^A-Za-z0-9]/g, "")}`,
        actions: ["lambda:InvokeFunction"],
        resources: [alias.functionArn],
        conditions: {
          ArnEquals: {
            "ec2:SourceInstanceARN": stack.formatArn({
              service: "ec2",
              resource: "instance",
              resourceName: instanceId,
            }),
          },
        },
      });
    });
    for (let i = 0; i < statements.length; i += PUSH_NODES_PER_POLICY) {
      const n = this.policies.length + 1;
      this.policies.push(
        new iam.ManagedPolicy(this, n === 1 ? "Policy" : `Policy${n}`, {
          description: `mysql-ha-prober ${props.fleet}: lets each node's keepalived notify script trigger a probe of its own pair (${n})`,
          statements: statements.slice(i, i + PUSH_NODES_PER_POLICY),
        }),
      );
    }
    this.policies.forEach((p, i) => {
      new CfnOutput(this, i === 0 ? "NodePushPolicyArn" : `NodePushPolicyArn${i + 1}`, {
        value: p.managedPolicyArn,
        description: `${props.fleet}: attach to the nodes' instance roles (push)${this.policies.length > 1 ? `, nodes ${i * PUSH_NODES_PER_POLICY + 1} to ${Math.min((i + 1) * PUSH_NODES_PER_POLICY, statements.length)}` : ""}`,
      });
    });
    new CfnOutput(this, "PushFunctionArn", {
      value: props.function.functionArn,
      description: `${props.fleet}: what the notify script invokes, qualified with its node's alias n-<instance id> (InvocationType Event)`,
    });
  }
}
