/** What the consume and produce models share: how histories are generated, run and reported. */
import fc from 'fast-check';
import type { ConsumeStore } from '../../lib/consume/partition-worker';
import { Fault, type PlannedFault } from './switchboard';

/** A choice among values, each with its weight: the search spends its runs where failures are likelier. */
export function weighted<T>(...choices: readonly [T, number][]): fc.Arbitrary<T> {
  return fc.oneof(...choices.map(([value, weight]) => ({ arbitrary: fc.constant(value), weight })));
}

/** Up to two faults, each on one of the first three requests of a kind (the first most often); `ops` weighs the kinds. */
export function planArbitrary(ops: readonly [string, number][]): fc.Arbitrary<PlannedFault[]> {
  const fault = fc.record({ op: weighted(...ops), nth: weighted([1, 4], [2, 2], [3, 1]), fault: fc.constantFrom(...Object.values(Fault)) });
  return fc.array(fault, { maxLength: 2 });
}

/** A fresh idempotency store for one history, and what scopes its keys (the consumer scope, or the produce topic). */
export interface StoreUnderTest {
  store: ConsumeStore;
  scope: string;
}

/** Figures of the consume histories run, for the chaos report. */
export interface ModelStats {
  /** Writes that outlasted their claim (see ./model-sink), left out of the single-write check. */
  lateWrites: number;
}

/** Figures at zero. */
export function zeroStats(): ModelStats {
  return { lateWrites: 0 };
}

/** Throws the broken promises of a history with its trace, for fast-check to shrink and print. */
export function throwIfBroken(broken: readonly string[], trace: readonly string[]): void {
  if (broken.length > 0) throw new Error(`${broken.join('\n')}\ntrace:\n  ${trace.join('\n  ')}`);
}

/** Histories each model runs in `npm test` (a second or two each); `npm run chaos -- --short` runs as many. */
export const HISTORIES_IN_NPM_TEST = { consume: 2_000, produce: 10_000 } as const;
