/**
 * One AWS SDK call under a deadline: the abort signal stops the HTTP request; the race guarantees the
 * deadline even if a client (or a middleware) ignores the signal.
 */
import { type Deadline, remainingMs } from "../domain/types.ts";

interface SendsCommands {
  // biome-ignore lint/suspicious/noExplicitAny: any SDK v3 client
  send(command: any, options: { abortSignal: AbortSignal }): Promise<unknown>;
}

export function sendBy<T>(
  client: SendsCommands,
  command: unknown,
  deadline: Deadline,
  capMs = Infinity,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        controller.abort();
        reject(Object.assign(new Error("deadline reached"), { name: "AbortError" }));
      },
      Math.max(1, Math.min(remainingMs(deadline), capMs)),
    );
  });
  return Promise.race([
    client.send(command, { abortSignal: controller.signal }) as Promise<T>,
    expired,
  ]).finally(() => clearTimeout(timer));
}
