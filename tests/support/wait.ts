/**
 * The one typed wait of the test suites: it polls a check until it gives a value and, when time runs out, fails
 * saying what it waited for (and the check's last error). Tests wait for a state of the system this way, never
 * for a fixed time.
 */
export interface WaitOptions {
  timeoutMs?: number;
  /** Pause between two checks; longer for checks that cost the system something (a retention sweep). */
  intervalMs?: number;
}

export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: WaitOptions | number = {},
): Promise<T> {
  const { timeoutMs = 15_000, intervalMs = 100 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
  );
}

/** Waits until a moment has passed (a period the system measures, such as a retention period, has ended). */
export function waitUntilTime(what: string, at: number, options: WaitOptions = {}): Promise<true> {
  return waitUntil(what, () => (Date.now() >= at ? true : undefined), {
    timeoutMs: Math.max(0, at - Date.now()) + 15_000,
    ...options,
  });
}
