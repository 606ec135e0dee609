/**
 * The fleet's state table: every pair's current state, outbox and history (TTL), under the pair's own
 * partition key. Encrypted at rest with DynamoDB's AWS managed key by default (no monthly fee), or with a
 * customer managed key of its own (about $1 a month) when asked.
 */
import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as kms from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";

export interface StateTableProps {
  /** For the key's description. */
  readonly fleet: string;
  /**
   * A customer managed KMS key of the table's own (rotated yearly) instead of the AWS managed key.
   * @default false
   */
  readonly customerManagedKey?: boolean;
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class StateTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    const encryption = props.customerManagedKey
      ? {
          encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
          encryptionKey: new kms.Key(this, "TableKey", {
            enableKeyRotation: true,
            description: `mysql-ha-prober ${props.fleet} state`,
          }),
        }
      : { encryption: dynamodb.TableEncryption.AWS_MANAGED };
    this.table = new dynamodb.Table(this, "State", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: "expiresAt",
      ...encryption,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
