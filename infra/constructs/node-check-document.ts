/** The node-check SSM Command document, built from node-check.sh (they cannot drift). */
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { nodeCheckDocument } from "../../shared/node-check/document.ts";

export interface NodeCheckDocumentProps {
  /** The document's name (unique in the account and region). */
  readonly documentName: string;
}

export class NodeCheckDocument extends Construct {
  readonly documentName: string;
  readonly document: ssm.CfnDocument;

  constructor(scope: Construct, id: string, props: NodeCheckDocumentProps) {
    super(scope, id);
    this.documentName = props.documentName;
    this.document = new ssm.CfnDocument(this, "Document", {
      documentType: "Command",
      documentFormat: "JSON",
      name: props.documentName,
      content: nodeCheckDocument(),
      updateMethod: "NewVersion",
    });
  }
}
