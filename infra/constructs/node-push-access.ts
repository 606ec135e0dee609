/**
 * Push, the AWS half: a managed policy the nodes' instance roles attach, allowing exactly one call,
 * lambda:InvokeFunction on the fleet's probe function (the notify script invokes it asynchronously
 * with a push event on every keepalived transition). Least privilege: no other function, no qualifier.
 */
import { CfnOutput } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";

export interface NodePushAccessProps {
  /** The fleet's name (for the descriptions). */
  readonly fleet: string;
  readonly function: lambda.IFunction;
}

export class NodePushAccess extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: NodePushAccessProps) {
    super(scope, id);
    this.policy = new iam.ManagedPolicy(this, "Policy", {
      description: `mysql-ha-prober ${props.fleet}: lets a node's keepalived notify script trigger a probe of its pair`,
      statements: [
        new iam.PolicyStatement({
          sid: "PushProbe",
          actions: ["lambda:InvokeFunction"],
          resources: [props.function.functionArn],
        }),
      ],
    });
    new CfnOutput(this, "NodePushPolicyArn", {
      value: this.policy.managedPolicyArn,
      description: `${props.fleet}: attach to both nodes' instance roles (push)`,
    });
    new CfnOutput(this, "PushFunctionArn", {
      value: props.function.functionArn,
      description: `${props.fleet}: what the notify script invokes (InvocationType Event)`,
    });
  }
}
