/**
 * The push event: what a node's keepalived notify script sends (lambda:InvokeFunction, asynchronous)
 * on a state change. Untrusted input and only a hint: it never carries a verdict, it only asks for a
 * probe now. Validated with zod; anything else is a scheduled invocation.
 */
import * as z from "zod";

export const PUSH_SOURCE = "mysql-ha-prober.keepalived";

export const PushEventSchema = z.object({
  source: z.literal(PUSH_SOURCE),
  cluster: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  node: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional(),
  instance: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional(),
  state: z.enum(["MASTER", "BACKUP", "FAULT", "STOP"]).optional(),
});
export type PushEvent = z.infer<typeof PushEventSchema>;

/** The push event in `event`, or null when it is not one (a scheduled invocation). */
export function pushEventOf(event: unknown): PushEvent | null {
  const r = PushEventSchema.safeParse(event);
  return r.success ? r.data : null;
}

/** The push function's alias for a node: the node's identity, bound by IAM (infra/constructs/node-push-access.ts). */
export function pushAliasOf(instanceId: string): string {
  return `n-${instanceId}`;
}

/** The instance a push came from: the alias it was invoked through (`...:function:name:n-i-0abc`), else null. */
export function pushCallerOf(invokedFunctionArn: string | undefined): string | null {
  const qualifier = invokedFunctionArn?.split(":")[7];
  const m = qualifier ? /^n-(i-[0-9a-f]{8,17})$/.exec(qualifier) : null;
  return m?.[1] ?? null;
}
