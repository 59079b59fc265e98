/**
 * The produce Idempotency-Key against its plain model, over the in-memory store: see
 * ./produce-model. A failure prints the shrunk history, its trace and the seed to replay it.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { MemoryIdempotencyStore } from '../helpers/memory-idempotency-store';
import { HISTORIES_IN_NPM_TEST } from './history';
import { produceIdempotencyProperty } from './produce-model';

describe('produce Idempotency-Key (model-based)', () => {
  it('answers 200 only for the body of the key first answered 200, in every generated history of requests, faults, crashes and leases', async () => {
    await fc.assert(
      produceIdempotencyProperty(async (returnsExisting) => ({ store: new MemoryIdempotencyStore({ returnExisting: returnsExisting }), scope: 'orders' })),
      { numRuns: HISTORIES_IN_NPM_TEST.produce },
    );
  });
});
