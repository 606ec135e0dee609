/**
 * VPC endpoints for a VPC without a NAT path to the AWS APIs: a DynamoDB gateway endpoint (on the
 * subnets' route tables) and SSM, Secrets Manager, SES and X-Ray interface endpoints (and EC2 when a
 * cluster has the EC2 view of the VIP on). Once per stack,
 * shared by every cluster.
 */
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Construct } from "constructs";

export interface ProberVpcEndpointsProps {
  readonly vpc: ec2.IVpc;
  /** The subnets the functions run in; their route tables receive the DynamoDB gateway route. */
  readonly subnets: ec2.SubnetSelection;
  /** Security groups of the interface endpoints: they must allow HTTPS from the functions. */
  readonly securityGroups: ec2.ISecurityGroup[];
  /**
   * An EC2 API endpoint too, for clusters with the EC2 view of the VIP on.
   * @default false
   */
  readonly ec2Api?: boolean;
}

export class ProberVpcEndpoints extends Construct {
  constructor(scope: Construct, id: string, props: ProberVpcEndpointsProps) {
    super(scope, id);
    props.vpc.addGatewayEndpoint("DynamoDb", {
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [props.subnets],
    });
    for (const [name, service] of [
      ["Ssm", ec2.InterfaceVpcEndpointAwsService.SSM],
      ["SecretsManager", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
      ["Email", ec2.InterfaceVpcEndpointAwsService.EMAIL],
      ["Xray", ec2.InterfaceVpcEndpointAwsService.XRAY],
      ...(props.ec2Api ? ([["Ec2", ec2.InterfaceVpcEndpointAwsService.EC2]] as const) : []),
    ] as const) {
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
