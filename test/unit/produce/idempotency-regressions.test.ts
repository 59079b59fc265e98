/**
 * A history the Idempotency-Key model (test/model/produce-model.ts) found, shrunk, written out
 * as a plain test with hand-written expectations: a request acknowledged whose completion
 * could not be written leaves its key IN_PROGRESS; after the lease, another body with that
 * key must be answered 422, never 200.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { silentLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { FakeClock } from '../../helpers/fake-clock';
import { produceEvent } from '../../helpers/http-events';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store';
import { fakeProducer } from './fakes';

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1', IDEMPOTENCY_LEASE_MS: '30000' });
const body = (result: { body?: string }) => JSON.parse(result.body as string);

describe('Idempotency-Key (regressions found by the Idempotency-Key model)', () => {
  it('answers 422 to another body with the key of a request acknowledged but never completed, once its lease ran out', async () => {
    // Model history: request(k1, v=2, complete#1:refuse); advance(30001); request(k1, v=1).
    const store = new MemoryIdempotencyStore({ returnExisting: true });
    const clock = new FakeClock();
    let offset = 0n;
    const producer = fakeProducer({ send: (records) => ({ partitions: Array(records).fill(0), acks: [{ partition: 0, baseOffset: offset++ }] }) });
    const runtime = createProduceRuntime(config, { logger: silentLogger, clock, producer, store });
    const request = (v: number) => produceEvent('orders', { records: [{ value: { v } }] }, { headers: { 'Idempotency-Key': 'k1' } });

    store.failCompletionCalls.add(1);
    const acknowledged = await runtime.handler(request(2));
    expect(acknowledged.statusCode).toBe(200);
    expect(body(acknowledged).offsets).toEqual([{ partition: 0, offset: 0, error_code: null, error: null }]);

    clock.nowValueMs += 30_001;
    const other = await runtime.handler(request(1));
    expect(other.statusCode).toBe(422);
    expect(body(other)).toEqual({ error_code: 42202, message: 'Idempotency-Key was already used with a different request' });
    expect(producer.sent).toEqual([1]);
  });
});
