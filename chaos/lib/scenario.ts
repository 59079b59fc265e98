/**
 * What every scenario shares: its options, a timer, and a waitFor that polls a condition
 * instead of sleeping.
 */
import { waitUntil as pollUntil } from '../../local/wait-until';
import type { Logger } from '../../lib/logger';
import { createEnvironment, type ChaosEnvironment } from './environment';
import { zeroCounts, type ScenarioCounts, type ScenarioReport } from './report';

/** Options every scenario takes; `size` is scenario-specific. */
export interface ScenarioOptions<Size> {
  logger: Logger;
  size: Size;
  /** Seed for anything generated. */
  seed?: number;
  /** Connect over the broker's SASL_SSL listener, where the scenario supports it (`--secure`). */
  secure?: boolean;
  /** Told of the scenario's recorder once it exists, so that a runner can show how far it is. */
  watch?: (recorder: ScenarioRecorder) => void;
}

/** Collects a scenario's figures and broken promises while it runs. */
export class ScenarioRecorder {
  readonly counts: ScenarioCounts = zeroCounts();
  readonly broken: string[] = [];
  readonly details: Record<string, string | number> = {};
  /** Lines explaining a loss or a duplicate, printed under the details (see `./diagnosis`). */
  readonly diagnosis: string[] = [];
  private readonly startedMs = Date.now();

  constructor(readonly scenario: string) {}

  /** Records a broken promise unless `kept`. */
  expect(kept: boolean, promise: string): void {
    if (!kept) this.broken.push(promise);
  }

  /** Adds `by` to a numeric detail. */
  bump(detail: string, by = 1): void {
    this.details[detail] = Number(this.details[detail] ?? 0) + by;
  }

  report(): ScenarioReport {
    return {
      scenario: this.scenario,
      counts: { ...this.counts },
      broken: [...this.broken],
      details: { ...this.details },
      ...(this.diagnosis.length === 0 ? {} : { diagnosis: [...this.diagnosis] }),
      durationMs: Date.now() - this.startedMs,
    };
  }
}

/** Polls `check` until it returns something other than undefined/false; see {@link pollUntil}. */
export function waitUntil<T>(
  description: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  return pollUntil(description, check, timeoutMs, intervalMs);
}

/**
 * A message's first line and, when it has more (a process's last output), its last eight,
 * on one line: enough to tell why a pipeline that never got ready exited.
 */
function firstAndLastLines(message: string): string {
  const [first, ...rest] = message.split('\n').filter((line) => line.trim() !== '');
  return [first ?? '', ...rest.slice(-8)].join(' | ');
}

/** Runs `body`, turning an unexpected exception into a broken promise so the report still prints. */
export async function guarded(recorder: ScenarioRecorder, body: () => Promise<void>): Promise<ScenarioReport> {
  try {
    await body();
  } catch (error) {
    recorder.broken.push(`scenario aborted: ${error instanceof Error ? firstAndLastLines(error.message) : String(error)}`);
  }
  return recorder.report();
}

/**
 * Runs a scenario's `body` in a chaos environment of its own (a broker, a store, pipelines),
 * recorded under `name`: the environment is closed whatever happens, and the report never throws.
 */
export function runInOwnEnvironment<Size>(
  name: string,
  options: ScenarioOptions<Size>,
  body: (env: ChaosEnvironment, recorder: ScenarioRecorder) => Promise<void>,
): Promise<ScenarioReport> {
  const recorder = new ScenarioRecorder(name);
  options.watch?.(recorder);
  let env: ChaosEnvironment | undefined;
  return guarded(recorder, async () => {
    env = await createEnvironment({ logger: options.logger });
    await body(env, recorder);
  }).finally(() => env?.close());
}
