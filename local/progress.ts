/**
 * Progress of a long run (`npm run bench`, `npm run chaos`) on stderr, for the person
 * waiting: a line when a step starts and, while it runs, one every few seconds saying how far
 * it is. Stdout, which carries the results, is left alone.
 */
import { systemClock, type Clock } from '../lib/clock';

/** Where a run is. */
export interface ProgressState {
  label: string;
  /** 1-based index of the current step, and how many there are. */
  stepIndex: number;
  steps: number;
  stepName: string;
  stepStartedMs: number;
  /** Units done of the current step, when it says. */
  done?: { count: number; total: number; unit: string };
  /** What the step says of itself otherwise, e.g. `sent 120, acknowledged 118`. */
  detail?: string;
}

/** Reports a run's progress. */
export interface Progress {
  /** Starts the next step. */
  step(name: string): void;
  /** How far the current step is: `count` of `total` `unit`. */
  advance(count: number, total: number, unit: string): void;
  /** How far the current step is, in its own words. */
  detail(text: string): void;
  /** Stops the periodic lines. */
  finish(): void;
}

function elapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** One progress line, e.g. `[bench] 2/5 consume: 3/12 rounds, 1m04s`. */
export function progressLine(state: ProgressState, nowMs: number): string {
  const done = state.done === undefined ? '' : ` ${state.done.count}/${state.done.total} ${state.done.unit},`;
  const how = state.detail === undefined ? done : `${done} ${state.detail},`;
  return `[${state.label}] ${state.stepIndex}/${state.steps} ${state.stepName}:${how} ${elapsed(nowMs - state.stepStartedMs)}`;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  label: string;
  steps: number;
  write?: (line: string) => void;
  clock?: Clock;
  /** How often a running step reports, in milliseconds. */
  everyMs?: number;
}

/** Creates a progress reporter writing to stderr. */
export function createProgress(options: ProgressOptions): Progress {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const clock = options.clock ?? systemClock;
  let state: ProgressState | undefined;
  const timer = setInterval(() => {
    if (state !== undefined) write(progressLine(state, clock.nowMs()));
  }, options.everyMs ?? 10_000);
  // Progress never keeps the process alive on its own.
  timer.unref();
  return {
    step(name) {
      state = { label: options.label, stepIndex: (state?.stepIndex ?? 0) + 1, steps: options.steps, stepName: name, stepStartedMs: clock.nowMs() };
      write(progressLine(state, clock.nowMs()));
    },
    advance(count, total, unit) {
      if (state !== undefined) state.done = { count, total, unit };
    },
    detail(text) {
      if (state !== undefined) state.detail = text;
    },
    finish() {
      clearInterval(timer);
      state = undefined;
    },
  };
}
