/** The one timeout race: a promise against a timer, the timer cleared whichever wins. */

/**
 * Settles as `promise` does, or rejects with `onTimeout()` when it has not settled after
 * `timeoutMs` milliseconds (a negative value counts as 0). The timer is cleared either way,
 * so a settled race keeps no process alive. `promise` itself is not cancelled: whatever it
 * does goes on, and its outcome after the timeout is ignored.
 *
 * @throws whatever `promise` rejects with; the error of `onTimeout` (by default an Error
 * "Task timed out after N ms", Lambda's wording) when the time runs out first.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error = () => new Error(`Task timed out after ${timeoutMs} ms`),
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), Math.max(0, timeoutMs));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
