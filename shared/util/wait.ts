/** Raised by {@link waitFor} when its condition was not met before the deadline. */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastValue?: unknown,
    options?: { cause?: unknown },
  ) {
    super(
      `timed out after ${timeoutMs} ms waiting for ${what}${lastValue === undefined ? "" : ` (last seen: ${JSON.stringify(lastValue)})`}`,
      options,
    );
  }
}

export interface WaitOptions {
  timeoutMs: number;
  /** Pause between two checks. @default 200 */
  intervalMs?: number;
  /** What is awaited, for the error message. */
  what: string;
}

/**
 * Polls `check` until it returns a value other than `undefined`/`false`, or throws a
 * {@link WaitTimeoutError} naming `what` once `timeoutMs` has passed. A check that throws is
 * retried; its last error becomes the cause of the timeout.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 200;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      lastValue = value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(options.what, options.timeoutMs, lastValue, { cause: lastError });
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
