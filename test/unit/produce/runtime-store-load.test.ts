/** createProduceRuntime's lazily loaded DynamoDB store when its load fails (it should not: the chunk ships in the bundle). */
import { BatchWriteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../lib/config';
import type { Logger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { produceEvent } from '../../helpers/http-events';
import { fakeProducer } from './fakes';

/** While `failing` is set, creating the DynamoDB client throws (after running `onFailure`), as a missing chunk would. */
const load = vi.hoisted(() => ({ failing: false, onFailure: (): void => undefined }));

vi.mock('../../../lib/dynamo/client', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../lib/dynamo/client')>();
  return {
    ...actual,
    createDynamoClient: (...args: Parameters<typeof actual.createDynamoClient>) => {
      if (load.failing) {
        load.onFailure();
        throw new Error('chunk missing');
      }
      return actual.createDynamoClient(...args);
    },
  };
});

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1' });
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const acknowledging = () =>
  fakeProducer({ send: (records) => ({ partitions: Array.from({ length: records }, () => 0), acks: [{ partition: 0, baseOffset: 1n }] }) });
const keyed = (key: string) => produceEvent('orders', { records: [{ value: 1 }] }, { headers: { 'idempotency-key': key } });

describe('createProduceRuntime: a failed load of the DynamoDB store', () => {
  it('fails that request and loads the store again for the next one', async () => {
    const dynamo = mockClient(DynamoDBClient);
    try {
      dynamo.on(PutItemCommand).resolves({});
      dynamo.on(BatchWriteItemCommand).resolves({});
      const runtime = createProduceRuntime(config, { logger: quiet, producer: acknowledging() });
      load.failing = true;
      expect((await runtime.handler(keyed('k-1'))).statusCode).toBe(500);
      load.failing = false;
      expect((await runtime.handler(keyed('k-2'))).statusCode).toBe(200);
      await runtime.close();
    } finally {
      load.failing = false;
      dynamo.restore();
    }
  });

  it('closes cleanly when closed while the load is failing', async () => {
    const runtime = createProduceRuntime(config, { logger: quiet, producer: acknowledging() });
    let closing: Promise<void> | undefined;
    load.onFailure = () => {
      closing = runtime.close();
    };
    load.failing = true;
    try {
      await runtime.handler(keyed('k-1'));
      await expect(closing).resolves.toBeUndefined();
    } finally {
      load.failing = false;
      load.onFailure = () => undefined;
    }
  });
});
