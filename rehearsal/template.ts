/**
 * Reads a synthesized cloud assembly as CloudFormation would deploy it: the stack template, its
 * intrinsic functions resolved (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, the pseudo
 * parameters), each resource given the physical name and ARN a deployment would give it, and the
 * function assets located. Nothing here is configured by hand where the template says something.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface AssemblyEnv {
  readonly region: string;
  readonly account: string;
  readonly partition?: string;
}

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export class DeployedTemplate {
  readonly stackName: string;
  readonly resources: Record<string, Resource>;
  readonly outputs: Record<string, { Value: unknown; Description?: string }>;

  constructor(
    readonly assemblyDir: string,
    readonly env: AssemblyEnv,
    /** The stack to read. @default the assembly's first stack */
    stack?: string,
  ) {
    const manifest = JSON.parse(readFileSync(join(assemblyDir, "manifest.json"), "utf8")) as {
      artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
    };
    const found = Object.entries(manifest.artifacts).find(
      ([name, a]) => a.type === "aws:cloudformation:stack" && (stack === undefined || name === stack),
    );
    if (!found?.[1].properties?.templateFile)
      throw new Error(`${assemblyDir}: no stack ${stack ?? ""} in the cloud assembly`);
    this.stackName = found[0];
    const t = JSON.parse(readFileSync(join(assemblyDir, found[1].properties.templateFile), "utf8")) as {
      Resources: Record<string, Resource>;
      Outputs?: Record<string, { Value: unknown; Description?: string }>;
    };
    this.resources = t.Resources;
    this.outputs = t.Outputs ?? {};
  }

  get partition(): string {
    return this.env.partition ?? "aws";
  }

  ofType(type: string): [string, Resource][] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type);
  }

  /** The physical name CloudFormation would give a resource that names none (stack-logicalId). */
  physicalName(logicalId: string): string {
    const r = this.resources[logicalId];
    const p = r?.Properties ?? {};
    const given =
      p.TableName ??
      p.FunctionName ??
      p.Name ??
      p.QueueName ??
      p.TopicName ??
      p.DashboardName ??
      p.LogGroupName ??
      p.RoleName;
    if (typeof given === "string") return given;
    return `${this.stackName}-${logicalId}`.slice(0, 64);
  }

  /** What `Ref` returns for a resource. */
  ref(logicalId: string): string {
    const pseudo: Record<string, string> = {
      "AWS::Region": this.env.region,
      "AWS::AccountId": this.env.account,
      "AWS::Partition": this.partition,
      "AWS::URLSuffix": "amazonaws.com",
      "AWS::StackName": this.stackName,
      "AWS::NoValue": "",
    };
    if (logicalId in pseudo) return pseudo[logicalId] as string;
    const r = this.resources[logicalId];
    if (!r) throw new Error(`Ref to an unknown resource ${logicalId}`);
    switch (r.Type) {
      case "AWS::SQS::Queue":
        return `https://sqs.${this.env.region}.amazonaws.com/${this.env.account}/${this.physicalName(logicalId)}`;
      case "AWS::SNS::Topic":
        return this.arn("sns", this.physicalName(logicalId));
      case "AWS::Lambda::Alias": {
        // CloudFormation: an alias's Ref is its ARN (the function's, qualified with the alias name)
        const p = this.props<{ FunctionName: string; Name: string }>(logicalId);
        const fn = p.FunctionName.startsWith("arn:") ? p.FunctionName.split(":")[6] : p.FunctionName;
        return this.arn("lambda", `function:${fn}:${p.Name}`);
      }
      default:
        return this.physicalName(logicalId);
    }
  }

  /** What `Fn::GetAtt [id, attr]` returns. */
  getAtt(logicalId: string, attr: string): string {
    const r = this.resources[logicalId];
    if (!r) throw new Error(`Fn::GetAtt on an unknown resource ${logicalId}`);
    const name = this.physicalName(logicalId);
    if (["QueueName", "TopicName", "Name", "LogGroupName"].includes(attr)) return name;
    if (attr === "QueueUrl") return this.ref(logicalId);
    // attributes of what the rehearsal does not emulate (a security group id) keep a recognisable stand-in
    if (attr !== "Arn") return `${name}.${attr}`;
    switch (r.Type) {
      case "AWS::DynamoDB::Table":
        return this.arn("dynamodb", `table/${name}`);
      case "AWS::Lambda::Function":
        return this.arn("lambda", `function:${name}`);
      case "AWS::IAM::Role":
        return `arn:${this.partition}:iam::${this.env.account}:role/${name}`;
      case "AWS::SQS::Queue":
        return this.arn("sqs", name);
      case "AWS::Logs::LogGroup":
        return this.arn("logs", `log-group:${name}:*`);
      case "AWS::KMS::Key":
        return this.arn("kms", `key/${logicalId.toLowerCase()}`);
      case "AWS::SNS::Topic":
        return this.arn("sns", name);
      default:
        return this.arn(r.Type.split("::")[1]?.toLowerCase() ?? "unknown", name);
    }
  }

  arn(service: string, resource: string): string {
    return `arn:${this.partition}:${service}:${this.env.region}:${this.env.account}:${resource}`;
  }

  /** Resolves every intrinsic function in a value. */
  resolve(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.resolve(x));
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const a = o[k];
      switch (k) {
        case "Ref":
          return this.ref(a as string);
        case "Fn::GetAtt": {
          const [id, attr] = Array.isArray(a) ? (a as string[]) : String(a).split(".");
          return this.getAtt(id as string, attr as string);
        }
        case "Fn::Join": {
          const [sep, parts] = a as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map(String).join(sep);
        }
        case "Fn::Select": {
          const [i, list] = a as [number, unknown];
          return (this.resolve(list) as unknown[])[Number(i)];
        }
        case "Fn::Split": {
          const [sep, s] = a as [string, unknown];
          return String(this.resolve(s)).split(sep);
        }
        case "Fn::Sub": {
          const [text, vars] = (Array.isArray(a) ? a : [a, {}]) as [string, Record<string, unknown>];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name in vars) return String(this.resolve(vars[name]));
            if (name.includes(".")) {
              const [id, attr] = name.split(".");
              return this.getAtt(id as string, attr as string);
            }
            return this.ref(name);
          });
        }
      }
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(o[k])]));
  }

  props<T = Record<string, unknown>>(logicalId: string): T {
    return this.resolve(this.resources[logicalId]?.Properties ?? {}) as T;
  }

  /**
   * The directory of a function's code asset: its Code.S3Key looked up in the assembly's asset manifest
   * (what `cdk deploy` uploads to that key).
   */
  assetDir(logicalId: string): string {
    const key = (this.resources[logicalId]?.Properties?.Code as { S3Key?: string } | undefined)?.S3Key;
    const manifest = JSON.parse(
      readFileSync(join(this.assemblyDir, `${this.stackName}.assets.json`), "utf8"),
    ) as {
      files: Record<
        string,
        { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }
      >;
    };
    const asset = Object.values(manifest.files).find((f) =>
      Object.values(f.destinations).some((d) => d.objectKey === key),
    );
    if (!key || !asset) throw new Error(`${logicalId}: no code asset for ${key} in the cloud assembly`);
    return join(this.assemblyDir, asset.source.path);
  }

  /** The identity policies attached to a role: its inline policies and every AWS::IAM::Policy naming it. */
  rolePolicies(roleLogicalId: string): { name: string; document: unknown }[] {
    const role = this.props<{ Policies?: { PolicyName: string; PolicyDocument: unknown }[] }>(roleLogicalId);
    const inline = (role.Policies ?? []).map((p) => ({ name: p.PolicyName, document: p.PolicyDocument }));
    const attached = this.ofType("AWS::IAM::Policy")
      .filter(([, r]) =>
        ((r.Properties?.Roles as unknown[]) ?? []).some((x) => (x as { Ref?: string }).Ref === roleLogicalId),
      )
      .map(([id]) => {
        const p = this.props<{ PolicyName: string; PolicyDocument: unknown }>(id);
        return { name: p.PolicyName, document: p.PolicyDocument };
      });
    return [...inline, ...attached];
  }
}

/** The names of every stack in a cloud assembly, in the manifest's order. */
export function assemblyStacks(assemblyDir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(assemblyDir, "manifest.json"), "utf8")) as {
    artifacts: Record<string, { type: string }>;
  };
  return Object.entries(manifest.artifacts)
    .filter(([, a]) => a.type === "aws:cloudformation:stack")
    .map(([name]) => name);
}
