/**
 * The function's mail through SES, checked from both ends' real outputs: the role's policy from the
 * synthesized template, the real SesNotifier, and the rehearsal's SES stand-in authorizing as SES does (the
 * sender's identity, the recipients' in the sandbox, and the configuration set the mail goes through: the
 * one named, else the identity's default). An identity with a default configuration set the role may not
 * use has every mail refused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SESClient } from "@aws-sdk/client-ses";
import { App } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { buildApp } from "../../infra/app.ts";
import { readDeployment } from "../../rehearsal/deployment.ts";
import { RoleAuthorizer } from "../../rehearsal/iam.ts";
import { LocalEndpoints } from "../../rehearsal/local-endpoints.ts";
import { DeployedTemplate } from "../../rehearsal/template.ts";
import { SesNotifier } from "../../shared/adapters/ses-notifier.ts";

const EXAMPLE = fileURLToPath(new URL("../../infra/deploy.example.yaml", import.meta.url));
const ENV = { region: "eu-west-1", account: "123456789012" };
const alert = { id: "x", subject: "s", text: "t", html: "<p>t</p>" } as never;
const deadline = () => ({ at: Date.now() + 5000 }) as never;

/** The role's policies and MAIL_* environment of the example deployment, with `extra` in its deploy block. */
function synth(extra: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), "mhp-ses-"));
  const doc = parse(readFileSync(EXAMPLE, "utf8")) as { deploy: Record<string, unknown> };
  Object.assign(doc.deploy, extra);
  writeFileSync(join(dir, "deploy.yaml"), stringify(doc));
  const { app } = buildApp(join(dir, "deploy.yaml"), new App({ outdir: join(dir, "out") }));
  app.synth();
  const fn = readDeployment(new DeployedTemplate(join(dir, "out"), ENV)).functions[0];
  if (!fn) throw new Error("no function");
  return fn;
}

let backend: Server;
let backendUrl = "";
beforeAll(async () => {
  // stands for aws-ses-v2-local: accepts whatever the endpoint forwards
  backend = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/xml" });
    res.end(
      "<SendEmailResponse><SendEmailResult><MessageId>m-1</MessageId></SendEmailResult></SendEmailResponse>",
    );
  });
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", r));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});
afterAll(() => backend.close());

async function send(
  fn: ReturnType<typeof synth>,
  ses: { verified: string[]; sandbox: boolean; defaultConfigurationSets?: Record<string, string> },
): Promise<string> {
  const endpoints = new LocalEndpoints({
    ...ENV,
    authorizer: new RoleAuthorizer(fn.roleArn, ENV.account, fn.policies),
    nodeAuthorizer: new RoleAuthorizer("arn:aws:iam::123456789012:role/n", ENV.account, []),
    runCommand: {} as never,
    secrets: {},
    dynamodbBackend: backendUrl,
    sesBackend: backendUrl,
    ses,
    invokeAsync: () => false,
    ec2: {} as never,
  });
  await endpoints.start();
  const client = new SESClient({
    endpoint: endpoints.env.AWS_ENDPOINT_URL_SES,
    region: ENV.region,
    credentials: { accessKeyId: "l", secretAccessKey: "l" },
    maxAttempts: 1,
  });
  try {
    const e = fn.environment;
    const notifier = new SesNotifier({
      client,
      from: e.MAIL_FROM ?? "",
      to: (e.MAIL_TO ?? "").split(","),
      ...(e.MAIL_CONFIGURATION_SET ? { configurationSet: e.MAIL_CONFIGURATION_SET } : {}),
    });
    return await notifier.send(alert, deadline()).then(
      () => "sent",
      (err: Error) => `${err.name}: ${err.message}`,
    );
  } finally {
    client.destroy();
    await endpoints.stop();
  }
}

const VERIFIED = ["prober@example.com", "dba-oncall@example.com"];

describe("SES authorizes the function's mail as SES does", () => {
  let plain: ReturnType<typeof synth>;
  let withSet: ReturnType<typeof synth>;
  beforeAll(() => {
    plain = synth({});
    withSet = synth({ sesConfigurationSet: "ops-mail" });
  }, 120_000);

  it("an identity without a default configuration set: sent", async () => {
    expect(await send(plain, { verified: VERIFIED, sandbox: true })).toBe("sent");
  });

  it("an identity with a default configuration set the role may not use: every mail refused", async () => {
    const r = await send(plain, {
      verified: VERIFIED,
      sandbox: true,
      defaultConfigurationSets: { "prober@example.com": "ops-mail" },
    });
    expect(r).toMatch(
      /AccessDenied.*ses:SendEmail on resource: arn:aws:ses:eu-west-1:123456789012:configuration-set\/ops-mail/,
    );
  });

  it("the deployment file naming that configuration set: the role may use it, the mail names it, sent", async () => {
    expect(withSet.environment.MAIL_CONFIGURATION_SET).toBe("ops-mail");
    expect(
      await send(withSet, {
        verified: VERIFIED,
        sandbox: true,
        defaultConfigurationSets: { "prober@example.com": "ops-mail" },
      }),
    ).toBe("sent");
  });

  it("an unverified sender is rejected (MessageRejected), as SES does", async () => {
    const r = await send(plain, { verified: ["example.org", "dba-oncall@example.com"], sandbox: false });
    expect(r).toMatch(/MessageRejected: Email address is not verified.*prober@example\.com/);
  });

  it("in the sandbox an unverified recipient is rejected too", async () => {
    const r = await send(plain, { verified: ["prober@example.com"], sandbox: true });
    expect(r).toMatch(/dba-oncall@example\.com/);
  });
});
