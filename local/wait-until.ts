/**
 * Polls `check` until it returns something other than `undefined` or `false`, and returns it.
 * Shared by the tests and the chaos suite, which wait on outside observations instead of sleeping.
 *
 * @throws Error naming `description` when `timeoutMs` passes first (the last error thrown by `check`, if any, as cause).
 */
export async function waitUntil<T>(
  description: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== undefined && result !== false) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
