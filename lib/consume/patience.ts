/**
 * How long an invocation may wait out a condition that clears by itself: a key held by an
 * invocation that will complete it or whose lease will run out (a crash, a rebalance), or a
 * store that fails for a while. Waiting inside the invocation keeps such records from using
 * up the event source's retries, which are meant for records that fail every time; it never
 * reaches past the invocation's own deadline, and without a known deadline there is no waiting.
 */
import { consumeAnswerReserveMs } from '../config';
import type { Clock } from '../clock';
import { isFiniteNumber } from '../json-checks';

/** Sleeps `ms` milliseconds (injected so that unit tests move a fake clock instead). */
export type Sleep = (ms: number) => Promise<void>;

/** The real {@link Sleep}. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pauses between looks: `initialMs`, doubling up to `maxMs`. */
export interface PauseSteps {
  initialMs: number;
  maxMs: number;
}

const DEFAULT_STEPS: PauseSteps = { initialMs: 100, maxMs: 2_000 };

/** Waiting with growing pauses until a deadline. */
export interface Patience {
  /** Sleeps the next pause and resolves true; resolves false at once when it would end after the deadline. */
  pause(): Promise<boolean>;
  /** Makes the next pause short again (the condition cleared). */
  reset(): void;
}

/**
 * Creates a {@link Patience} ending at `deadlineMs` (by `clock`); an undefined deadline
 * never waits.
 */
export function createPatience(clock: Clock, deadlineMs: number | undefined, sleep: Sleep, steps: PauseSteps = DEFAULT_STEPS): Patience {
  let nextMs = steps.initialMs;
  return {
    async pause() {
      if (deadlineMs === undefined || clock.nowMs() + nextMs > deadlineMs) return false;
      const ms = nextMs;
      nextMs = Math.min(steps.maxMs, nextMs * 2);
      await sleep(ms);
      return true;
    },
    reset() {
      nextMs = steps.initialMs;
    },
  };
}

/**
 * The deadline for waiting in an invocation with `remainingMs` left at `nowMs`: a share of
 * the time is kept back to write completions, release claims and answer.
 */
export function waitDeadlineMs(nowMs: number, remainingMs: number | undefined): number | undefined {
  if (!isFiniteNumber(remainingMs)) return undefined;
  return nowMs + remainingMs - consumeAnswerReserveMs(remainingMs);
}

/** Whether an error says that trying again later may succeed (`retriable: true`, as on a StoreUnavailableError). */
export function isTransient(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
}
