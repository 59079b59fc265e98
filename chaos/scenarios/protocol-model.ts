/**
 * Scenario `protocol-model`: the model-based tests of test/model/ at length. The claim
 * protocol of the consume function and the produce Idempotency-Key run generated histories
 * (deliveries or requests interleaved, requests refused, answers lost after the store
 * committed, invocations crashed, leases run out, renewals) against the real code over the
 * in-memory store, and check after each that no promise broke. No process or broker runs:
 * the histories drive the code directly, with fake time, so a hundred thousand take minutes.
 */
import fc from 'fast-check';
import { MemoryIdempotencyStore } from '../../test/helpers/memory-idempotency-store';
import { consumeProtocolProperty } from '../../test/model/consume-model';
import { HISTORIES_IN_NPM_TEST, type StoreUnderTest, zeroStats } from '../../test/model/history';
import { produceIdempotencyProperty } from '../../test/model/produce-model';
import type { ScenarioReport } from '../lib/report';
import { ScenarioRecorder, type ScenarioOptions } from '../lib/scenario';

/** Histories per model. */
export interface ProtocolModelSize {
  consume: number;
  produce: number;
}

export const PROTOCOL_MODEL_FULL: ProtocolModelSize = { consume: 100_000, produce: 100_000 };
/** The sizes `npm test` runs (test/model/). */
export const PROTOCOL_MODEL_SHORT: ProtocolModelSize = { ...HISTORIES_IN_NPM_TEST };

/** One fresh in-memory store per history, as the tests in test/model/ use. */
function memoryStore(scope: string): (returnsExisting: boolean) => Promise<StoreUnderTest> {
  return async (returnsExisting) => ({ store: new MemoryIdempotencyStore({ returnExisting: returnsExisting }), scope });
}

/** The first line of what a failing history broke. */
function firstBroken(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** Runs `histories` of one model; a counterexample becomes a broken promise naming its shrunk history and how to replay it. */
async function runModel<Ts extends unknown[]>(
  recorder: ScenarioRecorder,
  name: string,
  property: fc.IAsyncProperty<Ts>,
  histories: number,
  seed: number,
): Promise<number> {
  const startedMs = Date.now();
  const result = await fc.check(property, { numRuns: histories, seed });
  recorder.details[`${name}_histories`] = result.numRuns;
  recorder.details[`${name}_ms`] = Date.now() - startedMs;
  if (result.failed) {
    recorder.broken.push(
      `${name} model: ${firstBroken(result.errorInstance)}; history ${fc.stringify(result.counterexample)} (seed=${result.seed}, path="${result.counterexamplePath}")`,
    );
  }
  return result.numRuns;
}

/** Runs both models (sizes per model in `options.size`) and reports the histories run and the counterexamples found. */
export async function runProtocolModel(options: ScenarioOptions<ProtocolModelSize>): Promise<ScenarioReport> {
  const recorder = new ScenarioRecorder('protocol-model');
  const seed = options.seed ?? 8;
  const consumeStats = zeroStats();
  const consume = consumeProtocolProperty(memoryStore('model'), consumeStats);
  const produce = produceIdempotencyProperty(memoryStore('orders'));
  const histories =
    (await runModel(recorder, 'consume', consume, options.size.consume, seed)) + (await runModel(recorder, 'produce', produce, options.size.produce, seed));
  recorder.details.seed = seed;
  // Writes that outlasted their claim (in every history run, shrinking included) are left
  // out of the single-write check; their number says how often that was.
  recorder.details.consume_late_writes = consumeStats.lateWrites;
  const report = recorder.report();
  report.model = { histories, counterexamples: recorder.broken.length };
  return report;
}
