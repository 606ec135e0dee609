/**
 * Notifier over SES (v1 SendEmail, @aws-sdk/client-ses). The client is passed in; each send is
 * aborted at the deadline, and given up then even if the client ignored the abort. A throw means "not accepted": the alert stays in the outbox.
 */
import { type SESClient, SendEmailCommand, type SendEmailCommandOutput } from "@aws-sdk/client-ses";
import type { Alert } from "../domain/alert-policy.ts";
import type { Deadline } from "../domain/types.ts";
import type { Notifier } from "../ports.ts";
import { sendBy } from "./sdk-deadline.ts";

export interface SesNotifierOptions {
  client: SESClient;
  /** Verified sender identity (address or domain). */
  from: string;
  to: string[];
  /**
   * The SES configuration set every mail goes through (the identity's default one, if it has one: SES then
   * authorizes ses:SendEmail on the configuration set too).
   * @default none
   */
  configurationSet?: string;
}

export class SesNotifier implements Notifier {
  constructor(private readonly o: SesNotifierOptions) {
    if (o.to.length === 0) throw new Error("to: at least one recipient is required");
  }

  async send(alert: Alert, deadline: Deadline): Promise<string | undefined> {
    const r = await sendBy<SendEmailCommandOutput>(
      this.o.client,
      new SendEmailCommand({
        Source: this.o.from,
        Destination: { ToAddresses: this.o.to },
        ...(this.o.configurationSet ? { ConfigurationSetName: this.o.configurationSet } : {}),
        Message: {
          Subject: { Data: alert.subject, Charset: "UTF-8" },
          Body: {
            Text: { Data: alert.text, Charset: "UTF-8" },
            Html: { Data: alert.html, Charset: "UTF-8" },
          },
        },
      }),
      deadline,
    );
    return r.MessageId;
  }
}
