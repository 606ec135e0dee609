/**
 * The local AWS endpoints the synthesized function is pointed at (AWS_ENDPOINT_URL_<SERVICE>), each an
 * HTTP server on loopback: it parses the call as the service would (JSON or Query protocol), checks it
 * against the role's policy (a denied call answers AccessDenied), applies the fault switches, then
 * answers itself (SSM Run Command, Secrets Manager) or forwards to the emulator (DynamoDB to dynalite,
 * SES to aws-ses-v2-local).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Ec2World, ec2Error } from "../lab/ec2-standin.ts";
import type { AuthRequest, RoleAuthorizer } from "./iam.ts";
import { type LoopbackEndpoints, serveOnLoopback } from "./loopback.ts";
import { type LocalRunCommand, SsmError } from "./ssm.ts";

export interface Faults {
  dynamodbUnavailable: boolean;
  sesOutage: boolean;
  ssmThrottling: boolean;
  /** The EC2 API answers RequestLimitExceeded. */
  ec2Throttling: boolean;
  /**
   * SSM calls per second per operation beyond which SSM answers ThrottlingException (a token bucket per
   * operation, the burst equal to the rate); null: no limit.
   */
  ssmRates: Record<string, number> | null;
}

export interface CallRecord {
  service: string;
  operation: string;
  outcome: "ok" | "denied" | "fault" | "error";
}

type Reply = { status: number; headers?: Record<string, string>; body: string };
/** "ec2": the Query protocol with EC2's own error document. */
type Protocol = "json" | "query" | "ec2" | "rest";

interface ServiceSpec {
  /** The SDK's endpoint variable suffix: AWS_ENDPOINT_URL_<name>. */
  envName: string;
  service: string;
  protocol: Protocol;
  /** Who calls it: the function's role, or the nodes' (push). @default the function's */
  caller?: "nodes";
  /** What IAM authorizes for the call; null: nothing (not a call the function makes). */
  auth(operation: string, input: Record<string, unknown>): AuthRequest | null;
  fault(faults: Faults, operation: string): Reply | null;
  handle(operation: string, input: Record<string, unknown>, req: RawRequest): Promise<Reply>;
}

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface EndpointsOptions {
  region: string;
  account: string;
  authorizer: RoleAuthorizer;
  runCommand: LocalRunCommand;
  /** The secrets the account holds, by ARN. */
  secrets: Record<string, string>;
  dynamodbBackend: string;
  sesBackend: string;
  /**
   * Verified SES identities (addresses and domains); in the sandbox recipients are authorized too. An
   * identity's default configuration set applies to every mail from it that names none.
   */
  ses: { verified: string[]; sandbox: boolean; defaultConfigurationSets?: Record<string, string> };
  /** The nodes' role (the push policy attached), for the calls their notify scripts make. */
  nodeAuthorizer: RoleAuthorizer;
  /**
   * Lambda's asynchronous invoke, by function name or ARN and qualifier (an alias): false when no such
   * function or alias.
   */
  invokeAsync(functionName: string, payload: unknown, qualifier?: string): boolean;
  /** The lab's EC2 (lab/ec2-standin.ts), answering the EC2 view's Describe calls. */
  ec2: Ec2World;
}

export class LocalEndpoints {
  readonly faults: Faults = {
    dynamodbUnavailable: false,
    sesOutage: false,
    ssmThrottling: false,
    ec2Throttling: false,
    ssmRates: null,
  };
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Takes a token of `operation`'s bucket; false when the rate is exceeded. */
  private withinRate(operation: string): boolean {
    const rate = this.faults.ssmRates?.[operation];
    if (rate === undefined) return true;
    const now = Date.now();
    const b = this.buckets.get(operation) ?? { tokens: rate, at: now };
    b.tokens = Math.min(rate, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.buckets.set(operation, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
  readonly calls: CallRecord[] = [];
  private served: LoopbackEndpoints | undefined;
  /** AWS_ENDPOINT_URL_<SERVICE> -> URL, once started. */
  readonly env: Record<string, string> = {};

  constructor(private readonly o: EndpointsOptions) {}

  async start(): Promise<void> {
    this.served = await serveOnLoopback(
      this.specs().map((spec) => [spec.envName, (req, res) => void this.serve(spec, req, res)] as const),
    );
    Object.assign(this.env, this.served.env);
  }

  async stop(): Promise<void> {
    await this.served?.stop();
  }

  private async serve(spec: ServiceSpec, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw: RawRequest = {
      method: req.method ?? "POST",
      path: req.url ?? "/",
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body: Buffer.concat(chunks),
    };
    let reply: Reply;
    let operation = "?";
    try {
      const parsed = parseCall(spec.protocol, raw);
      operation = parsed.operation;
      const auth = spec.auth(operation, parsed.input);
      const authorizer = spec.caller === "nodes" ? this.o.nodeAuthorizer : this.o.authorizer;
      const denied = auth ? await authorizer.check(auth) : null;
      if (denied) {
        this.calls.push({ service: spec.service, operation, outcome: "denied" });
        reply = errorReply(spec.protocol, 400, "AccessDeniedException", denied, "AccessDenied");
      } else {
        const fault = spec.fault(this.faults, operation);
        if (fault) {
          this.calls.push({ service: spec.service, operation, outcome: "fault" });
          reply = fault;
        } else {
          reply = await spec.handle(operation, parsed.input, raw);
          this.calls.push({ service: spec.service, operation, outcome: reply.status < 300 ? "ok" : "error" });
        }
      }
    } catch (e) {
      const code = e instanceof SsmError ? e.code : "InternalFailure";
      this.calls.push({ service: spec.service, operation, outcome: "error" });
      reply = errorReply(spec.protocol, e instanceof SsmError ? 400 : 500, code, (e as Error).message);
    }
    res.writeHead(reply.status, { "x-amzn-requestid": randomUUID(), ...reply.headers });
    res.end(reply.body);
  }

  private specs(): ServiceSpec[] {
    return [
      this.dynamodbSpec(),
      this.sesSpec(),
      this.ssmSpec(),
      this.lambdaSpec(),
      this.ec2Spec(),
      this.secretsManagerSpec(),
    ];
  }

  /** An ARN of this account and region. */
  private arn(service: string, resource: string): string {
    return `arn:aws:${service}:${this.o.region}:${this.o.account}:${resource}`;
  }

  /** DynamoDB: forwarded to dynalite, table ARNs authorized. */
  private dynamodbSpec(): ServiceSpec {
    return {
      envName: "DYNAMODB",
      service: "dynamodb",
      protocol: "json",
      auth: (op, input) => ({
        action: `dynamodb:${op}`,
        resources: [this.arn("dynamodb", `table/${String(input.TableName ?? "")}`)],
      }),
      fault: (f) => (f.dynamodbUnavailable ? unavailable("json") : null),
      handle: (_op, _input, raw) => forward(this.o.dynamodbBackend, raw),
    };
  }

  /** SES: the identities and configuration set authorized, unverified addresses refused, forwarded to aws-ses-v2-local. */
  private sesSpec(): ServiceSpec {
    return {
      envName: "SES",
      service: "ses",
      protocol: "query",
      auth: (op, input) => {
        if (op !== "SendEmail") return { action: `ses:${op}`, resources: ["*"] };
        const source = String(input.Source ?? "");
        const to = Object.entries(input)
          .filter(([k]) => k.startsWith("Destination.ToAddresses.member."))
          .map(([, v]) => String(v));
        // SES authorizes the sender's identity, in the sandbox every recipient's, and the configuration set
        // the mail goes through: the one named, else the sender identity's default (SES developer guide,
        // "Amazon SES API permissions reference"; "Using configuration sets": a default one applies)
        const set = configurationSetOf(this.o.ses, source, input);
        return {
          action: "ses:SendEmail",
          resources: [
            this.arn("ses", `identity/${sesIdentity(this.o.ses.verified, source)}`),
            ...(this.o.ses.sandbox
              ? to.map((t) => this.arn("ses", `identity/${sesIdentity(this.o.ses.verified, t)}`))
              : []),
            ...(set ? [this.arn("ses", `configuration-set/${set}`)] : []),
          ],
          context: { "ses:FromAddress": source, "ses:Recipients": to },
        };
      },
      fault: (f) => (f.sesOutage ? unavailable("query") : null),
      handle: (op, input, raw) => {
        // SES refuses a sender (and, in the sandbox, a recipient) whose address and domain are unverified
        // (SES API reference, SendEmail: MessageRejected "Email address is not verified")
        if (op === "SendEmail") {
          const addresses = [
            String(input.Source ?? ""),
            ...(this.o.ses.sandbox
              ? Object.entries(input)
                  .filter(([k]) => /^Destination\.(To|Cc|Bcc)Addresses\.member\./.test(k))
                  .map(([, v]) => String(v))
              : []),
          ];
          const unverified = addresses.filter((a) => !isVerified(this.o.ses.verified, a));
          if (unverified.length > 0)
            return Promise.resolve(
              errorReply(
                "query",
                400,
                "MessageRejected",
                `Email address is not verified. The following identities failed the check in region ${this.o.region.toUpperCase()}: ${unverified.join(", ")}`,
              ),
            );
        }
        return forward(this.o.sesBackend, raw);
      },
    };
  }

  /** SSM Run Command: SendCommand on the document and each instance, the rate limited. */
  private ssmSpec(): ServiceSpec {
    const rc = this.o.runCommand;
    return {
      envName: "SSM",
      service: "ssm",
      protocol: "json",
      auth: (op, input) => {
        if (op !== "SendCommand") return { action: `ssm:${op}`, resources: ["*"] };
        const instance = (id: string) =>
          id.startsWith("mi-")
            ? this.arn("ssm", `managed-instance/${id}`)
            : this.arn("ec2", `instance/${id}`);
        return {
          action: "ssm:SendCommand",
          resources: [
            this.arn("ssm", `document/${String(input.DocumentName ?? "")}`),
            ...((input.InstanceIds as string[] | undefined) ?? []).map(instance),
          ],
        };
      },
      fault: (f, op) =>
        f.ssmThrottling && op === "SendCommand"
          ? errorReply("json", 400, "ThrottlingException", "Rate exceeded (rehearsal fault switch)")
          : !this.withinRate(op)
            ? errorReply("json", 400, "ThrottlingException", "Rate exceeded")
            : null,
      handle: async (op, input) => {
        switch (op) {
          case "SendCommand":
            return json(rc.sendCommand(input as never));
          case "GetCommandInvocation":
            return json(rc.getCommandInvocation(input as never));
          case "ListCommandInvocations":
            return json(rc.listCommandInvocations(input as never));
          case "CancelCommand":
            return json(rc.cancelCommand(input as never));
          default:
            return errorReply("json", 400, "UnknownOperationException", `${op} is not emulated`);
        }
      },
    };
  }

  /** Lambda Invoke (REST) from the nodes (push): the qualified ARN authorized, asynchronous invokes only. */
  private lambdaSpec(): ServiceSpec {
    return {
      // Invoke (REST): POST /2015-03-31/functions/<name or ARN>/invocations, from the nodes (push)
      envName: "LAMBDA",
      service: "lambda",
      protocol: "rest",
      caller: "nodes",
      auth: (_op, input) => {
        const { name, qualifier } = functionRef(input);
        const source = input.SourceInstance ? String(input.SourceInstance) : null;
        return {
          action: "lambda:InvokeFunction",
          // Lambda authorizes the qualified ARN: a permission on the function does not cover its aliases
          resources: [this.arn("lambda", `function:${name}${qualifier ? `:${qualifier}` : ""}`)],
          // EC2 adds ec2:SourceInstanceARN to every request signed with an instance profile's credentials
          ...(source ? { context: { "ec2:SourceInstanceARN": this.arn("ec2", `instance/${source}`) } } : {}),
        };
      },
      fault: () => null,
      handle: async (_op, input) => {
        if (input.InvocationType !== "Event")
          return errorReply(
            "json",
            400,
            "InvalidParameterValueException",
            "only asynchronous invokes are emulated",
          );
        const { name, qualifier } = functionRef(input);
        if (!this.o.invokeAsync(name, input.Payload, qualifier ?? undefined))
          return errorReply(
            "json",
            404,
            "ResourceNotFoundException",
            `Function not found: ${this.arn("lambda", `function:${name}${qualifier ? `:${qualifier}` : ""}`)}`,
          );
        return { status: 202, headers: { "content-type": "application/json" }, body: "" };
      },
    };
  }

  /** EC2 Query API: the EC2 view's Describe calls (no resource-level permissions: "*"). */
  private ec2Spec(): ServiceSpec {
    return {
      // EC2 Query API: the EC2 view's Describe calls (no resource-level permissions: "*")
      envName: "EC2",
      service: "ec2",
      protocol: "ec2",
      auth: (op) => ({ action: `ec2:${op}`, resources: ["*"] }),
      fault: (f) =>
        f.ec2Throttling
          ? errorReply("ec2", 503, "RequestLimitExceeded", "Request limit exceeded (rehearsal fault switch).")
          : null,
      handle: async (_op, input) => {
        const r = this.o.ec2.answer(input as Record<string, string>);
        return { status: r.status, headers: { "content-type": "text/xml;charset=UTF-8" }, body: r.body };
      },
    };
  }

  /** Secrets Manager: GetSecretValue of the account's secrets. */
  private secretsManagerSpec(): ServiceSpec {
    return {
      envName: "SECRETS_MANAGER",
      service: "secretsmanager",
      protocol: "json",
      auth: (op, input) => ({ action: `secretsmanager:${op}`, resources: [String(input.SecretId ?? "")] }),
      fault: () => null,
      handle: async (op, input) => {
        const id = String(input.SecretId ?? "");
        const value = this.o.secrets[id];
        if (op !== "GetSecretValue")
          return errorReply("json", 400, "UnknownOperationException", `${op} is not emulated`);
        if (value === undefined)
          return errorReply(
            "json",
            400,
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret.",
          );
        return json({
          ARN: id,
          Name: id.split(":secret:")[1],
          SecretString: value,
          VersionId: "v1",
          VersionStages: ["AWSCURRENT"],
        });
      },
    };
  }
}

/** The rehearsal's fault switch turned on for a service: 503 in its protocol. */
function unavailable(protocol: Protocol): Reply {
  return errorReply(protocol, 503, "ServiceUnavailable", "Service is unavailable (rehearsal fault switch)");
}

/** A JSON-protocol answer. */
function json(body: unknown): Reply {
  return {
    status: 200,
    headers: { "content-type": "application/x-amz-json-1.1" },
    body: JSON.stringify(body),
  };
}

/**
 * The function and qualifier an Invoke names: FunctionName is a name, `name:qualifier`, an ARN or a
 * qualified ARN; the Qualifier parameter names it otherwise (Lambda API reference, Invoke).
 */
function functionRef(input: Record<string, unknown>): { name: string; qualifier: string | null } {
  const given = String(input.FunctionName ?? "");
  const parts = given.startsWith("arn:") ? given.split(":").slice(6) : given.split(":");
  return { name: parts[0] ?? "", qualifier: parts[1] ?? (input.Qualifier ? String(input.Qualifier) : null) };
}

function parseCall(
  protocol: Protocol,
  raw: RawRequest,
): { operation: string; input: Record<string, unknown> } {
  if (protocol === "rest") {
    const m = /^\/2015-03-31\/functions\/([^/?]+)\/invocations(?:\?(.*))?$/.exec(raw.path);
    if (!m) throw new Error(`${raw.method} ${raw.path} is not emulated`);
    const text = raw.body.toString("utf8");
    const qualifier = new URLSearchParams(m[2] ?? "").get("Qualifier");
    return {
      operation: "Invoke",
      input: {
        FunctionName: decodeURIComponent(m[1] as string),
        ...(qualifier ? { Qualifier: qualifier } : {}),
        InvocationType: raw.headers["x-amz-invocation-type"] ?? "RequestResponse",
        Payload: text ? (JSON.parse(text) as unknown) : {},
        // the rehearsal's stand-in for the instance profile's credentials: which lab node signs the call
        ...(raw.headers["x-lab-source-instance"]
          ? { SourceInstance: raw.headers["x-lab-source-instance"] }
          : {}),
      },
    };
  }
  if (protocol === "json") {
    const target = raw.headers["x-amz-target"] ?? "";
    const operation = target.split(".").pop() ?? "";
    const text = raw.body.toString("utf8");
    return { operation, input: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }
  const form = new URLSearchParams(raw.body.toString("utf8"));
  const input = Object.fromEntries(form.entries());
  return { operation: String(input.Action ?? ""), input };
}

function errorReply(
  protocol: Protocol,
  status: number,
  code: string,
  message: string,
  queryCode = code,
): Reply {
  if (protocol === "ec2") {
    // EC2's own error document; IAM's refusal is UnauthorizedOperation there
    const e = ec2Error(
      status === 400 && queryCode === "AccessDenied" ? 403 : status,
      code === "AccessDeniedException" ? "UnauthorizedOperation" : code,
      message,
    );
    return { status: e.status, headers: { "content-type": "text/xml;charset=UTF-8" }, body: e.body };
  }
  if (protocol !== "query") {
    return {
      status,
      headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": code },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return {
    status: status === 400 && queryCode === "AccessDenied" ? 403 : status,
    headers: { "content-type": "text/xml" },
    body: `<ErrorResponse><Error><Type>${status >= 500 ? "Receiver" : "Sender"}</Type><Code>${queryCode}</Code><Message>${esc(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

/** The identity SES authorizes for an address: the address when it is verified, else its domain. */
export function sesIdentity(verified: readonly string[], address: string): string {
  return verified.includes(address) ? address : (address.split("@")[1] ?? address);
}

function isVerified(verified: readonly string[], address: string): boolean {
  return verified.includes(address) || verified.includes(address.split("@")[1] ?? "");
}

/** The configuration set a SendEmail goes through: the one it names, else its sender identity's default. */
export function configurationSetOf(
  ses: EndpointsOptions["ses"],
  source: string,
  input: Record<string, unknown>,
): string | undefined {
  const named = input.ConfigurationSetName;
  if (typeof named === "string" && named) return named;
  return ses.defaultConfigurationSets?.[sesIdentity(ses.verified, source)];
}

async function forward(base: string, raw: RawRequest): Promise<Reply> {
  const headers = { ...raw.headers };
  delete headers.host;
  delete headers["content-length"];
  delete headers.connection;
  const r = await fetch(`${base}${raw.path}`, {
    method: raw.method,
    headers,
    body: raw.method === "GET" ? undefined : new Uint8Array(raw.body),
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: r.status,
    headers: { "content-type": r.headers.get("content-type") ?? "application/octet-stream" },
    body: await r.text(),
  };
}
