/**
 * Log output gathered into one write per short interval, for `npm start`. Its stdout is a
 * pipe or a terminal, where Node.js writes synchronously, and every write wakes the reader:
 * under load, one log line per produce request made the local HTTP server about 0.3 ms
 * slower per request (measured with `npm run bench -- --only=produce`, HTTP against in-process
 * handler). Gathered, the same lines come out in the same order, at most `flushEveryMs` later.
 */

/** Text queued for a sink and written in batches. */
export interface BatchedOutput {
  /** Queues `text`; it is written, after everything queued before it, within `flushEveryMs`. */
  write(text: string): void;
  /** Writes everything queued, now. Call it before writing to the same sink directly, and at exit. */
  flush(): void;
}

/** Options of {@link createBatchedOutput}. */
export interface BatchedOutputOptions {
  /** Longest a queued text waits. */
  flushEveryMs: number;
  /** Queued characters that are written at once without waiting (default 64 Ki). */
  maxPendingChars?: number;
  /** Runs `callback` once after `ms`; by default an unref'd timer, which never keeps the process alive. */
  setTimer?: (callback: () => void, ms: number) => void;
}

const DEFAULT_MAX_PENDING_CHARS = 64 * 1024;

function unrefTimer(callback: () => void, ms: number): void {
  setTimeout(callback, ms).unref();
}

/** Creates a {@link BatchedOutput} writing to `sink`. */
export function createBatchedOutput(sink: (text: string) => void, options: BatchedOutputOptions): BatchedOutput {
  const maxPendingChars = options.maxPendingChars ?? DEFAULT_MAX_PENDING_CHARS;
  const setTimer = options.setTimer ?? unrefTimer;
  let pending = '';
  let timerSet = false;
  const flush = (): void => {
    if (pending === '') return;
    const text = pending;
    pending = '';
    sink(text);
  };
  return {
    write(text) {
      pending += text;
      if (pending.length >= maxPendingChars) {
        flush();
        return;
      }
      if (timerSet) return;
      timerSet = true;
      setTimer(() => {
        timerSet = false;
        flush();
      }, options.flushEveryMs);
    },
    flush,
  };
}
