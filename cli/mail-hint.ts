/** What to do when the mail service refuses a mail (test-mail). */
/** What to do about a mail service's refusal, from its error name. */
export function mailHint(e: { name?: string; message?: string }): string {
  const text = `${e.name} ${e.message}`;
  if (/MessageRejected|not verified|Email address is not verified/i.test(text))
    return "fix: verify the sender's identity in SES (and, in the SES sandbox, every recipient), or request production access";
  if (/AccessDenied|not authorized/i.test(text))
    return "fix: allow ses:SendEmail on the sender's identity (and the recipients' in the sandbox) for these credentials";
  if (/Throttl|MaxSendRate|Daily message quota/i.test(text))
    return "fix: wait, or raise the SES sending quota";
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|timeout|aborted/i.test(text))
    return "fix: check the network path to the mail endpoint (region, VPC endpoint, proxy)";
  return "fix: see the error above";
}
