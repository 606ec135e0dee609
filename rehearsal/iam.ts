/**
 * IAM, as AWS evaluates it for the function's role: every call the function makes is checked against
 * the role's identity policies from the template (@cloud-copilot/iam-simulate: actions, resources,
 * conditions such as ses:FromAddress). A denied call answers AccessDenied, as AWS would.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";

export interface AuthRequest {
  readonly action: string;
  /** Every resource the service authorizes for the call (SendCommand: the document and the instance). */
  readonly resources: readonly string[];
  readonly context?: Record<string, string | string[]>;
}

export interface DeniedCall {
  readonly at: string;
  readonly action: string;
  readonly resource: string;
  readonly result: string;
}

export class RoleAuthorizer {
  readonly denied: DeniedCall[] = [];
  /** The policies do not change: one simulation per distinct (action, resource, context). */
  private readonly results = new Map<string, Promise<string>>();

  constructor(
    private readonly roleArn: string,
    private readonly account: string,
    private readonly policies: { name: string; document: unknown }[],
  ) {}

  /** null when allowed; else the reason, and the call is recorded as denied. */
  async check(r: AuthRequest): Promise<string | null> {
    for (const resource of r.resources) {
      const key = JSON.stringify([r.action, resource, r.context ?? {}]);
      let pending = this.results.get(key);
      if (!pending) {
        pending = this.simulate(r, resource);
        this.results.set(key, pending);
      }
      const result = await pending;
      if (result !== "Allowed") {
        this.denied.push({ at: new Date().toISOString(), action: r.action, resource, result });
        return `User: ${this.roleArn} is not authorized to perform: ${r.action} on resource: ${resource} (${result})`;
      }
    }
    return null;
  }

  private async simulate(r: AuthRequest, resource: string): Promise<string> {
    const out = await runSimulation(
      {
        identityPolicies: this.policies.map((p) => ({ name: p.name, policy: p.document as never })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: undefined,
        request: {
          action: r.action,
          principal: this.roleArn,
          resource: { resource, accountId: this.account },
          contextVariables: r.context ?? {},
        },
      },
      {},
    );
    return out.resultType === "error"
      ? `invalid request (${JSON.stringify(out.errors).slice(0, 200)})`
      : out.overallResult;
  }
}
