/**
 * The schema'd formats at the HTTP edge: refusals answered in the API's terms with the codec
 * library's text only in the log (with the request id), and a retried request whose first
 * attempt was acknowledged replayed from the idempotency store even with the registry away.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { SchemaRegistryUnavailableError } from '../../../lib/errors';
import { createLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import type { SchemaRegistry } from '../../../lib/schema/registry-client';
import { produceEvent } from '../../helpers/http-events';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store';
import { memoryRegistry } from '../../helpers/memory-registry';
import { fakeProducer } from './fakes';

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1' });
const AVRO = 'application/vnd.kafka.avro.v2+json';
const body = (result: { body?: string }) => JSON.parse(result.body as string);

/** A registry that cannot be reached: every question fails as the real client's would. */
const awayRegistry: SchemaRegistry = {
  register: async () => Promise.reject(new SchemaRegistryUnavailableError({ cause: new Error('connect ECONNREFUSED 10.0.0.9:8081') })),
  schemaById: async () => Promise.reject(new SchemaRegistryUnavailableError()),
  schemaUnderSubject: async () => Promise.reject(new SchemaRegistryUnavailableError()),
  schemaVersion: async () => Promise.reject(new SchemaRegistryUnavailableError()),
  versionUnderSubject: async () => Promise.reject(new SchemaRegistryUnavailableError()),
  subjectVersion: async () => Promise.reject(new SchemaRegistryUnavailableError()),
};

function runtimeWith(registry: SchemaRegistry, lines: string[] = [], store = new MemoryIdempotencyStore({ returnExisting: true })) {
  let nextOffset = 0n;
  const producer = fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: nextOffset++ }] }) });
  const runtime = createProduceRuntime(config, { logger: createLogger('info', (line) => lines.push(line)), producer, store, schemaRegistry: registry });
  return { runtime, producer, store };
}

describe('schema refusals at the HTTP edge', () => {
  it('answers a schema that does not parse with 42205 in the API terms, the library text in the log with the request id', async () => {
    const lines: string[] = [];
    const { runtime, producer } = runtimeWith(memoryRegistry(), lines);
    const result = await runtime.handler(produceEvent('t', { value_schema: '{"type":"recrod","name":"X"}', records: [{ value: {} }] }, { contentType: AVRO }));
    expect(result.statusCode).toBe(422);
    expect(body(result)).toEqual({ error_code: 42205, message: 'value_schema: not a valid Avro schema' });
    const refused = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.message === 'request refused');
    expect(refused).toMatchObject({ requestId: 'test-request', httpStatus: 422, errorMessage: 'value_schema: not a valid Avro schema' });
    // avsc's own words, kept for whoever reads the log.
    expect(refused?.cause).toMatch(/recrod/);
    expect(producer.sent).toEqual([]);
  });

  it('answers data that does not match with 42203 naming the record and the path, nothing produced', async () => {
    const lines: string[] = [];
    const { runtime, producer } = runtimeWith(memoryRegistry(), lines);
    const schema = '{"type":"record","name":"Order","fields":[{"name":"total","type":"long"}]}';
    const result = await runtime.handler(
      produceEvent(
        't',
        { value_schema: schema, records: [{ value: { total: 1 } }, { value: { total: 2 } }, { value: { total: 'x' } }] },
        { contentType: AVRO },
      ),
    );
    expect(body(result)).toEqual({ error_code: 42203, message: 'records[2].value.total: expected a whole number (long)' });
    expect(result.statusCode).toBe(422);
    expect(producer.sent).toEqual([]);
  });

  it('answers a registry that cannot be reached with the fixed 503, its address only in the log', async () => {
    const lines: string[] = [];
    const { runtime } = runtimeWith(awayRegistry, lines);
    const result = await runtime.handler(produceEvent('t', { value_schema: '"string"', records: [{ value: 'v' }] }, { contentType: AVRO }));
    expect(result.statusCode).toBe(503);
    expect(body(result)).toEqual({ error_code: 50304, message: 'the schema registry is unavailable; retry later' });
    expect(lines.find((line) => line.includes('request failed'))).toContain('10.0.0.9:8081');
  });
});

describe('an idempotent retry while the registry is away', () => {
  const request = () =>
    produceEvent('t', { value_schema: '"string"', records: [{ value: 'v' }] }, { contentType: AVRO, headers: { 'idempotency-key': 'order-7' } });

  it('replays the stored answer of an acknowledged first attempt without asking the registry', async () => {
    const store = new MemoryIdempotencyStore({ returnExisting: true });
    const first = await runtimeWith(memoryRegistry(), [], store).runtime.handler(request());
    expect(first.statusCode).toBe(200);
    expect(body(first)).toEqual({ key_schema_id: null, value_schema_id: 1, offsets: [{ partition: 0, offset: 0, error_code: null, error: null }] });

    // Another container, cold, with the registry away: the answer comes from the store.
    const retry = runtimeWith(awayRegistry, [], store);
    const replay = await retry.runtime.handler(request());
    expect(replay.statusCode).toBe(200);
    expect(replay.headers).toMatchObject({ 'Idempotent-Replayed': 'true' });
    expect(replay.body).toBe(first.body);
    expect(retry.producer.sent).toEqual([]);
  });

  it('answers 503 and leaves the key free for the next attempt when the first attempt meets the registry away', async () => {
    const store = new MemoryIdempotencyStore({ returnExisting: true });
    const away = await runtimeWith(awayRegistry, [], store).runtime.handler(request());
    expect(away.statusCode).toBe(503);
    const later = await runtimeWith(memoryRegistry(), [], store).runtime.handler(request());
    expect(later.statusCode).toBe(200);
    expect(later.headers).not.toHaveProperty('Idempotent-Replayed');
    expect(body(later).value_schema_id).toBe(1);
  });

  it('still refuses another body under the same key (the hash covers the body as sent)', async () => {
    const store = new MemoryIdempotencyStore({ returnExisting: true });
    await runtimeWith(memoryRegistry(), [], store).runtime.handler(request());
    const other = produceEvent('t', { value_schema: '"string"', records: [{ value: 'w' }] }, { contentType: AVRO, headers: { 'idempotency-key': 'order-7' } });
    const refused = await runtimeWith(awayRegistry, [], store).runtime.handler(other);
    expect(refused.statusCode).toBe(422);
    // Told apart from a replay before the registry is asked: the key's mismatch answer.
    expect(body(refused).error_code).toBe(42202);
    expect(refused.headers).not.toHaveProperty('Idempotent-Replayed');
  });
});
