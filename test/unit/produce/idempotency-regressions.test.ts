/**
 * Histories the Idempotency-Key model (test/model/produce-model.ts) found, shrunk, written out
 * as plain tests with hand-written expectations: a request acknowledged whose completion
 * could not be written leaves its key IN_PROGRESS; after the lease, another body with that
 * key must be answered 422, never 200, also once a retry of the first body has failed.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { KafkaUnavailableError } from '../../../lib/errors';
import { silentLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { FakeClock } from '../../helpers/fake-clock';
import { produceEvent } from '../../helpers/http-events';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store';
import { fakeProducer } from './fakes';

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1', IDEMPOTENCY_LEASE_MS: '30000' });
const body = (result: { body?: string }) => JSON.parse(result.body as string);

/** A produce runtime over the in-memory store and a producer acknowledging each send at the next offset, unless `refuseSends` names the send (1-based). */
function setup() {
  const store = new MemoryIdempotencyStore({ returnExisting: true });
  const clock = new FakeClock();
  const refuseSends = new Set<number>();
  let sends = 0;
  let offset = 0n;
  const producer = fakeProducer({
    send: (records) => {
      sends += 1;
      if (refuseSends.has(sends)) throw new KafkaUnavailableError('the broker is unavailable');
      return { partitions: Array(records).fill(0), acks: [{ partition: 0, baseOffset: offset++ }] };
    },
  });
  const runtime = createProduceRuntime(config, { logger: silentLogger, clock, producer, store });
  const request = (v: number) => runtime.handler(produceEvent('orders', { records: [{ value: { v } }] }, { headers: { 'Idempotency-Key': 'k1' } }));
  return { store, clock, producer, refuseSends, request };
}

const MISMATCH = { error_code: 42202, message: 'Idempotency-Key was already used with a different request' };

describe('Idempotency-Key (regressions found by the Idempotency-Key model)', () => {
  it('answers 422 to another body with the key of a request acknowledged but never completed, once its lease ran out', async () => {
    // Model history: request(k1, v=2, complete#1:refuse); advance(30001); request(k1, v=1).
    const { store, clock, producer, request } = setup();
    store.failCompletionCalls.add(1);
    const acknowledged = await request(2);
    expect(acknowledged.statusCode).toBe(200);
    expect(body(acknowledged).offsets).toEqual([{ partition: 0, offset: 0, error_code: null, error: null }]);

    clock.nowValueMs += 30_001;
    const other = await request(1);
    expect(other.statusCode).toBe(422);
    expect(body(other)).toEqual(MISMATCH);
    expect(producer.sent).toEqual([1]);
  });

  it('still answers 422 to another body after a retry of the acknowledged body took the key over and failed', async () => {
    // Model history: request(k1, v=2, complete#1:refuse); advance(30001); request(k1, v=2, send#1:refuse); request(k1, v=1).
    const { store, clock, refuseSends, request } = setup();
    store.failCompletionCalls.add(1);
    expect((await request(2)).statusCode).toBe(200);

    clock.nowValueMs += 30_001;
    refuseSends.add(2);
    expect((await request(2)).statusCode).toBe(503);
    const other = await request(1);
    expect(other.statusCode).toBe(422);
    expect(body(other)).toEqual(MISMATCH);
  });
});
