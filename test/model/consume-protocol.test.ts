/**
 * The consume claim protocol against its plain model, over the in-memory store: see
 * ./consume-model. A failure prints the shrunk history, its trace and the seed to replay it.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { MemoryIdempotencyStore } from '../helpers/memory-idempotency-store';
import { consumeProtocolProperty } from './consume-model';
import { HISTORIES_IN_NPM_TEST } from './history';

describe('consume claim protocol (model-based)', () => {
  it('keeps its promises in every generated history of deliveries, faults, crashes, leases and renewals', async () => {
    await fc.assert(
      consumeProtocolProperty(async (returnsExisting) => ({ store: new MemoryIdempotencyStore({ returnExisting: returnsExisting }), scope: 'model' })),
      { numRuns: HISTORIES_IN_NPM_TEST.consume },
    );
  });
});
