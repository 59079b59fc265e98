import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { RecordsNotAcknowledgedError, RecordsRejectedError } from '../../../lib/errors';
import { createLogger, silentLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { KafkaJSConnectionError, KafkaJSProtocolError } from 'kafkajs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoIdempotencyStore } from '../../../lib/idempotency/dynamo-store';
import { fromKafkaError } from '../../../lib/kafka/errors';
import { asCaller, httpEvent, iamAuthorizer, jwtAuthorizer, produceEvent } from '../../helpers/http-events';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store';
import { fakeProducer } from './fakes';

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1' });
const body = (result: { body?: string }) => JSON.parse(result.body as string);

describe('produce handler with a fake producer and store', () => {
  it('answers 503 listing the records of a partition the broker did not acknowledge, never 200', async () => {
    const producer = fakeProducer({ partitions: 2, send: () => ({ partitions: [0, 1, 0], acks: [{ partition: 0, baseOffset: 7n }] }) });
    const runtime = createProduceRuntime(config, { logger: silentLogger, producer, store: new MemoryIdempotencyStore({ returnExisting: true }) });
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
      store: new MemoryIdempotencyStore({ returnExisting: true }),
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
      store: new MemoryIdempotencyStore({ returnExisting: true }),
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
      store: new MemoryIdempotencyStore({ returnExisting: true }),
      producer: fakeProducer({ send: () => Promise.reject(new TypeError('secret internals at /var/task/x.js:1')) }),
    });
    const result = await runtime.handler(produceEvent('t', { records: [{ value: 1 }] }));
    expect(result.statusCode).toBe(500);
    expect(body(result)).toEqual({ error_code: 50002, message: 'internal error' });
    expect(lines.join('\n')).toContain('secret internals');
  });

  it("gives up the key of a request that was not fully acknowledged: its lease ended, still its body's", async () => {
    const store = new MemoryIdempotencyStore({ returnExisting: true });
    const runtime = createProduceRuntime(config, {
      logger: silentLogger,
      store,
      producer: fakeProducer({ send: () => Promise.reject(new RecordsNotAcknowledgedError('try again')) }),
    });
    const result = await runtime.handler(produceEvent('t', { records: [{ value: 1 }] }, { headers: { 'Idempotency-Key': 'k' } }));
    expect(result.statusCode).toBe(503);
    expect([...store.items.values()]).toEqual([expect.objectContaining({ status: 'IN_PROGRESS', leaseExpiresAtMs: 0 })]);
  });

  it('still answers 200 when storing the response fails, since the records are acknowledged', async () => {
    const store = new MemoryIdempotencyStore({ returnExisting: true });
    store.failCompletions = true;
    const runtime = createProduceRuntime(config, {
      logger: silentLogger,
      store,
      producer: fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: 0n }] }) }),
    });
    const result = await runtime.handler(produceEvent('t', { records: [{ value: 1 }] }, { headers: { 'idempotency-key': 'k' } }));
    expect(result.statusCode).toBe(200);
  });

  it('rejects an Idempotency-Key that is empty-looking or too long with 422', async () => {
    const runtime = createProduceRuntime(config, {
      logger: silentLogger,
      store: new MemoryIdempotencyStore({ returnExisting: true }),
      producer: fakeProducer({}),
    });
    for (const key of [' padded', 'x'.repeat(256), 'tab\there']) {
      const result = await runtime.handler(produceEvent('t', { records: [{ value: 1 }] }, { headers: { 'idempotency-key': key } }));
      expect(result.statusCode).toBe(422);
      expect(body(result)).toEqual({ error_code: 42201, message: 'Idempotency-Key: must be 1 to 255 visible ASCII characters' });
    }
  });

  it('decodes a base64-encoded body and reads the topic from path parameters', async () => {
    const producer = fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: 41n }] }) });
    const runtime = createProduceRuntime(config, { logger: silentLogger, store: new MemoryIdempotencyStore({ returnExisting: true }), producer });
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

  it('scopes Idempotency-Key per caller: one key from two callers is two requests, each replayed its own answer', async () => {
    let nextOffset = 0n;
    const producer = fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: nextOffset++ }] }) });
    const runtime = createProduceRuntime(config, { logger: silentLogger, store: new MemoryIdempotencyStore({ returnExisting: true }), producer });
    const request = produceEvent('t', { records: [{ value: 1 }] }, { headers: { 'idempotency-key': 'order-42' } });
    const alice = asCaller(request, iamAuthorizer('arn:aws:iam::123456789012:user/alice', 'AIDAEXAMPLEALICE'));
    const bob = asCaller(request, jwtAuthorizer({ iss: 'https://issuer.example.com/', sub: 'bob' }));

    const first = await runtime.handler(alice);
    const second = await runtime.handler(bob);
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(body(first).offsets).toEqual([{ partition: 0, offset: 0, error_code: null, error: null }]);
    expect(body(second).offsets).toEqual([{ partition: 0, offset: 1, error_code: null, error: null }]);
    expect(second.headers).not.toHaveProperty('Idempotent-Replayed');

    const replay = await runtime.handler(alice);
    expect(replay.headers).toMatchObject({ 'Idempotent-Replayed': 'true' });
    expect(replay.body).toBe(first.body);
    expect(producer.sent).toEqual([1, 1]);
  });

  it('logs each request with its caller and digest, never the access key', async () => {
    const lines: string[] = [];
    const producer = fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: 0n }] }) });
    const runtime = createProduceRuntime(config, {
      logger: createLogger('info', (line) => lines.push(line)),
      store: new MemoryIdempotencyStore({ returnExisting: true }),
      producer,
    });
    await runtime.handler(asCaller(produceEvent('t', { records: [{ value: 1 }] }), iamAuthorizer('arn:aws:iam::123456789012:user/alice', 'AIDAEXAMPLEALICE')));
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      message: 'produce request',
      requestId: 'test-request',
      topic: 't',
      // printf 'iam:AIDAEXAMPLEALICE' | sha256sum
      caller: 'iam:AIDAEXAMPLEALICE',
      callerDigest: 'sha256:52bb9314aaed7ee64c42819cede4206be40e8de4baff18b4e4c0c730c4115196',
      callerArn: 'arn:aws:iam::123456789012:user/alice',
    });
    expect(lines.join('\n')).not.toContain('AKIAEXAMPLE');
  });

  it('answers a store that denies access without account, role, ARN or error text, and logs the detail with the request id', async () => {
    const denied = Object.assign(
      new Error(
        'User: arn:aws:sts::123456789012:assumed-role/produce-role/fn is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/idempotency',
      ),
      { name: 'AccessDeniedException' },
    );
    const client = { send: () => Promise.reject(denied) } as unknown as DynamoDBClient;
    const lines: string[] = [];
    const runtime = createProduceRuntime(config, {
      logger: createLogger('info', (line) => lines.push(line)),
      store: new DynamoIdempotencyStore(client, 'idempotency'),
      producer: fakeProducer({}),
    });
    const result = await runtime.handler(produceEvent('t', { records: [{ value: 1 }] }, { headers: { 'idempotency-key': 'k' } }));
    expect(result.statusCode).toBe(503);
    expect(body(result)).toEqual({ error_code: 50302, message: 'the idempotency store is unavailable; retry later' });
    expect(result.body).not.toMatch(/123456789012|produce-role|arn:|AccessDenied|not authorized/);
    const failed = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.message === 'request failed');
    expect(failed).toMatchObject({ requestId: 'test-request', httpStatus: 503 });
    expect(String(failed?.cause)).toContain('AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/produce-role/fn');
  });

  it('answers Kafka failures whose text names a broker host in the API terms only, per request and per record', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', (line) => lines.push(line));
    const unreachable = new KafkaJSConnectionError('Connection error: getaddrinfo ENOTFOUND b-1.internal.example.com', {
      broker: 'b-1.internal.example.com:9098',
    });
    const down = createProduceRuntime(config, {
      logger,
      store: new MemoryIdempotencyStore({ returnExisting: true }),
      producer: fakeProducer({ send: () => Promise.reject(fromKafkaError(unreachable)) }),
    });
    const whole = await down.handler(produceEvent('t', { records: [{ value: 1 }] }));
    expect(whole.statusCode).toBe(503);
    expect(body(whole)).toEqual({ error_code: 50301, message: 'Kafka is unavailable; retry later' });

    const replicas = new KafkaJSProtocolError({
      message: 'NOT_ENOUGH_REPLICAS from b-2.internal.example.com:9098',
      type: 'NOT_ENOUGH_REPLICAS',
      code: 19,
      retriable: true,
    } as unknown as string);
    const refusing = createProduceRuntime(config, {
      logger,
      store: new MemoryIdempotencyStore({ returnExisting: true }),
      producer: fakeProducer({ send: () => Promise.reject(fromKafkaError(replicas)) }),
    });
    const perRecord = await refusing.handler(produceEvent('t', { records: [{ value: 1 }, { value: 2 }] }));
    expect(perRecord.statusCode).toBe(503);
    expect(body(perRecord).offsets).toEqual([
      { partition: null, offset: null, error_code: 50003, error: 'Kafka did not acknowledge the record; retrying may succeed' },
      { partition: null, offset: null, error_code: 50003, error: 'Kafka did not acknowledge the record; retrying may succeed' },
    ]);
    expect(`${whole.body}${perRecord.body}`).not.toContain('internal.example.com');

    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.level === 'error');
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatchObject({ requestId: 'test-request', message: 'request failed' });
    expect(String(logged[0]?.cause)).toContain('b-1.internal.example.com');
    expect(logged[1]).toMatchObject({ requestId: 'test-request', message: 'records not acknowledged' });
    expect(String(logged[1]?.cause)).toContain('b-2.internal.example.com');
  });
});
