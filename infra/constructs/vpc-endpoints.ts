/**
 * VPC endpoints for a VPC without a NAT path to the AWS APIs: a DynamoDB gateway endpoint (on the
 * subnets' route tables) and SSM, Secrets Manager, SES and X-Ray interface endpoints (and EC2 when a
 * cluster has the EC2 view of the VIP on), or only the ones named. Once per stack, shared by every
 * cluster. Private DNS needs the VPC's enableDnsSupport and enableDnsHostnames (checked by `preflight`).
 */
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Construct } from "constructs";

import type { VpcEndpointService } from "../deploy-config.ts";

export interface ProberVpcEndpointsProps {
  readonly vpc: ec2.IVpc;
  /** The subnets the functions run in; their route tables receive the DynamoDB gateway route. */
  readonly subnets: ec2.SubnetSelection;
  /** Security groups of the interface endpoints: they must allow HTTPS from the functions. */
  readonly securityGroups: ec2.ISecurityGroup[];
  /**
   * The endpoints to create: only those the VPC lacks. A second interface endpoint with private DNS for a
   * service fails ("conflicting DNS domain", aws/aws-cdk#27662); a second DynamoDB gateway route too.
   * @default every service the function calls (EC2 only with `ec2Api`)
   */
  readonly services?: readonly VpcEndpointService[];
  /**
   * An EC2 API endpoint too, for clusters with the EC2 view of the VIP on (with the default services).
   * @default false
   */
  readonly ec2Api?: boolean;
}

const INTERFACE: Record<
  Exclude<VpcEndpointService, "dynamodb">,
  [string, ec2.InterfaceVpcEndpointAwsService]
> = {
  ssm: ["Ssm", ec2.InterfaceVpcEndpointAwsService.SSM],
  secretsmanager: ["SecretsManager", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
  email: ["Email", ec2.InterfaceVpcEndpointAwsService.EMAIL],
  xray: ["Xray", ec2.InterfaceVpcEndpointAwsService.XRAY],
  ec2: ["Ec2", ec2.InterfaceVpcEndpointAwsService.EC2],
};

export class ProberVpcEndpoints extends Construct {
  constructor(scope: Construct, id: string, props: ProberVpcEndpointsProps) {
    super(scope, id);
    const services = props.services ?? [
      "dynamodb",
      "ssm",
      "secretsmanager",
      "email",
      "xray",
      ...(props.ec2Api ? (["ec2"] as const) : []),
    ];
    if (services.includes("dynamodb"))
      props.vpc.addGatewayEndpoint("DynamoDb", {
        service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
        subnets: [props.subnets],
      });
    for (const s of services) {
      if (s === "dynamodb") continue;
      const [name, service] = INTERFACE[s];
      props.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: props.subnets,
        securityGroups: props.securityGroups,
        // the groups above say who may connect; "open" would add the VPC's CIDR, which an imported VPC lacks
        open: false,
        privateDnsEnabled: true,
      });
    }
  }
}
