/** createProduceRuntime's wiring: the lazily loaded DynamoDB store, the request logger, close. */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../lib/config';
import type { Logger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { produceEvent } from '../../helpers/http-events';
import { KafkaUnavailableError } from '../../../lib/errors';
import { fakeProducer } from './fakes';

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1' });
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const acknowledging = () =>
  fakeProducer({ send: (records) => ({ partitions: Array.from({ length: records }, () => 0), acks: [{ partition: 0, baseOffset: 1n }] }) });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createProduceRuntime', () => {
  it('keeps Idempotency-Keys in the DynamoDB table by default, loaded on the first keyed request, and closes its client', async () => {
    const dynamo = mockClient(DynamoDBClient);
    try {
      dynamo.on(PutItemCommand).resolves({});
      dynamo.on(BatchWriteItemCommand).resolves({});
      const destroy = vi.spyOn(DynamoDBClient.prototype, 'destroy');
      const runtime = createProduceRuntime(config, { logger: quiet, producer: acknowledging() });
      expect((await runtime.handler(produceEvent('orders', { records: [{ value: 1 }] }))).statusCode).toBe(200);
      expect(dynamo.calls()).toHaveLength(0);
      const keyed = produceEvent('orders', { records: [{ value: 1 }] }, { headers: { 'idempotency-key': 'k-1' } });
      expect((await runtime.handler(keyed)).statusCode).toBe(200);
      expect(dynamo.commandCalls(PutItemCommand)[0]?.args[0].input.TableName).toBe(config.tables.idempotency);
      expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(1);
      await runtime.close();
      expect(destroy).toHaveBeenCalledTimes(1);
    } finally {
      dynamo.restore();
    }
  });

  it('creates no DynamoDB client when no request carried a key', async () => {
    const destroy = vi.spyOn(DynamoDBClient.prototype, 'destroy');
    const runtime = createProduceRuntime(config, { logger: quiet, producer: acknowledging() });
    await runtime.handler(produceEvent('orders', { records: [{ value: 1 }] }));
    await runtime.close();
    expect(destroy).not.toHaveBeenCalled();
  });

  it("names the request in every line of a logger of the caller's own, and closes the producer", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger: Logger = { ...quiet, info: (message, fields) => lines.push({ message, ...fields }) };
    const producer = acknowledging();
    let closed = 0;
    producer.close = async () => {
      closed += 1;
    };
    const runtime = createProduceRuntime(config, { logger, producer });
    const event = produceEvent('orders', { records: [{ value: 1 }] });
    await runtime.handler({ ...event, requestContext: { ...event.requestContext, requestId: 'req-9' } });
    expect(lines).toContainEqual(expect.objectContaining({ message: 'produce request', requestId: 'req-9' }));
    await runtime.close();
    expect(closed).toBe(1);
  });

  it('reads a key through the default store when its claim is refused without the item, and gives up a key whose records were not sent', async () => {
    const dynamo = mockClient(DynamoDBClient);
    try {
      dynamo
        .on(PutItemCommand)
        .rejectsOnce(new ConditionalCheckFailedException({ message: 'refused', $metadata: {} }))
        .resolves({});
      dynamo.on(BatchGetItemCommand).resolves({ Responses: { [config.tables.idempotency]: [] } });
      const producer = fakeProducer({ send: () => Promise.reject(new KafkaUnavailableError('broker down')) });
      const runtime = createProduceRuntime(config, { logger: quiet, producer });
      const keyed = produceEvent('orders', { records: [{ value: 1 }] }, { headers: { 'idempotency-key': 'k-1' } });
      expect((await runtime.handler(keyed)).statusCode).toBe(503);
      expect(dynamo.commandCalls(BatchGetItemCommand)).toHaveLength(1);
      // The claim, then the give-up: a PutItem ending the lease, conditional on still owning it.
      const abandon = dynamo.commandCalls(PutItemCommand)[2]?.args[0].input;
      expect(abandon?.TableName).toBe(config.tables.idempotency);
      expect(abandon?.Item?.leaseExpiresAtMs).toEqual({ N: '0' });
      expect(abandon?.ConditionExpression).toBe('#owner = :owner AND #status = :inProgress');
      await runtime.close();
    } finally {
      dynamo.restore();
    }
  });
});

describe('createProduceRuntime: the rate limit', () => {
  it('counts requests in the DynamoDB table by default and answers 429 once the counter refuses', async () => {
    const dynamo = mockClient(DynamoDBClient);
    try {
      dynamo
        .on(UpdateItemCommand)
        .resolvesOnce({})
        .rejects(new ConditionalCheckFailedException({ message: 'limit reached', $metadata: {} }));
      const limited = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1', PRODUCE_RATE_LIMIT_PER_SEC: '1' });
      const runtime = createProduceRuntime(limited, { logger: quiet, producer: acknowledging() });
      const statuses: (number | undefined)[] = [];
      for (let i = 0; i < 2; i += 1) statuses.push((await runtime.handler(produceEvent('orders', { records: [{ value: 1 }] }))).statusCode);
      expect(statuses).toEqual([200, 429]);
      expect(dynamo.commandCalls(UpdateItemCommand).map((call) => call.args[0].input.TableName)).toEqual([
        limited.tables.idempotency,
        limited.tables.idempotency,
      ]);
      await runtime.close();
    } finally {
      dynamo.restore();
    }
  });
});
