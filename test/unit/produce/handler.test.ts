import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { RecordsNotAcknowledgedError, RecordsRejectedError } from '../../../lib/errors';
import { createLogger, silentLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { httpEvent, produceEvent } from '../../helpers/http-events';
import { fakeProducer, memoryStore } from './fakes';

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1' });
const body = (result: { body?: string }) => JSON.parse(result.body as string);

describe('produce handler with a fake producer and store', () => {
  it('answers 503 listing the records of a partition the broker did not acknowledge, never 200', async () => {
    const producer = fakeProducer({ partitions: 2, send: () => ({ partitions: [0, 1, 0], acks: [{ partition: 0, baseOffset: 7n }] }) });
    const runtime = createProduceRuntime(config, { logger: silentLogger, producer, store: memoryStore() });
    const result = await runtime.handler(produceEvent('t', { records: [{ value: 1 }, { value: 2 }, { value: 3 }] }));
    expect(result.statusCode).toBe(503);
    expect(body(result)).toEqual({
      key_schema_id: null,
      value_schema_id: null,
      offsets: [
        { partition: 0, offset: 7, error_code: null, error: null },
        { partition: null, offset: null, error_code: 50003, error: 'the broker did not acknowledge partition 1' },
        { partition: 0, offset: 8, error_code: null, error: null },
      ],
    });
  });

  it('answers 503 with 50003 entries for a retriable broker refusal and 500 with 50002 for a final one', async () => {
    const retriable = createProduceRuntime(config, {
      logger: silentLogger,
      store: memoryStore(),
      producer: fakeProducer({ send: () => Promise.reject(new RecordsNotAcknowledgedError('NOT_ENOUGH_REPLICAS')) }),
    });
    const soft = await retriable.handler(produceEvent('t', { records: [{ value: 1 }, { value: 2 }] }));
    expect(soft.statusCode).toBe(503);
    expect(body(soft).offsets).toEqual([
      { partition: null, offset: null, error_code: 50003, error: 'NOT_ENOUGH_REPLICAS' },
      { partition: null, offset: null, error_code: 50003, error: 'NOT_ENOUGH_REPLICAS' },
    ]);
    const final = createProduceRuntime(config, {
      logger: silentLogger,
      store: memoryStore(),
      producer: fakeProducer({ send: () => Promise.reject(new RecordsRejectedError('TOPIC_AUTHORIZATION_FAILED')) }),
    });
    const hard = await final.handler(produceEvent('t', { records: [{ value: 1 }] }));
    expect(hard.statusCode).toBe(500);
    expect(body(hard).offsets).toEqual([{ partition: null, offset: null, error_code: 50002, error: 'TOPIC_AUTHORIZATION_FAILED' }]);
  });

  it('answers an unexpected failure with 500 50002 and no internal detail, and logs it', async () => {
    const lines: string[] = [];
    const runtime = createProduceRuntime(config, {
      logger: createLogger('error', (line) => lines.push(line)),
      store: memoryStore(),
      producer: fakeProducer({ send: () => Promise.reject(new TypeError('secret internals at /var/task/x.js:1')) }),
    });
    const result = await runtime.handler(produceEvent('t', { records: [{ value: 1 }] }));
    expect(result.statusCode).toBe(500);
    expect(body(result)).toEqual({ error_code: 50002, message: 'internal error' });
    expect(lines.join('\n')).toContain('secret internals');
  });

  it('releases the key of a request that was not fully acknowledged', async () => {
    const store = memoryStore();
    const runtime = createProduceRuntime(config, {
      logger: silentLogger,
      store,
      producer: fakeProducer({ send: () => Promise.reject(new RecordsNotAcknowledgedError('try again')) }),
    });
    const result = await runtime.handler(produceEvent('t', { records: [{ value: 1 }] }, { headers: { 'Idempotency-Key': 'k' } }));
    expect(result.statusCode).toBe(503);
    expect(store.items.size).toBe(0);
  });

  it('still answers 200 when storing the response fails, since the records are acknowledged', async () => {
    const store = memoryStore();
    store.failCompletion = true;
    const runtime = createProduceRuntime(config, {
      logger: silentLogger,
      store,
      producer: fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: 0n }] }) }),
    });
    const result = await runtime.handler(produceEvent('t', { records: [{ value: 1 }] }, { headers: { 'idempotency-key': 'k' } }));
    expect(result.statusCode).toBe(200);
  });

  it('rejects an Idempotency-Key that is empty-looking or too long with 422', async () => {
    const runtime = createProduceRuntime(config, { logger: silentLogger, store: memoryStore(), producer: fakeProducer({}) });
    for (const key of [' padded', 'x'.repeat(256), 'tab\there']) {
      const result = await runtime.handler(produceEvent('t', { records: [{ value: 1 }] }, { headers: { 'idempotency-key': key } }));
      expect(result.statusCode).toBe(422);
      expect(body(result)).toEqual({ error_code: 42201, message: 'Idempotency-Key: must be 1 to 255 visible ASCII characters' });
    }
  });

  it('decodes a base64-encoded body and reads the topic from path parameters', async () => {
    const producer = fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: 41n }] }) });
    const runtime = createProduceRuntime(config, { logger: silentLogger, store: memoryStore(), producer });
    const result = await runtime.handler(
      httpEvent({
        path: '/topics/orders',
        pathParameters: { topic: 'orders' },
        headers: { 'content-type': 'application/json' },
        body: Buffer.from('{"records":[{"value":1}]}').toString('base64'),
        isBase64Encoded: true,
      }),
    );
    expect(result.statusCode).toBe(200);
    expect(body(result).offsets).toEqual([{ partition: 0, offset: 41, error_code: null, error: null }]);
  });
});
