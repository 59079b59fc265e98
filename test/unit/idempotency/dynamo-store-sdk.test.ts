/**
 * The branch only real DynamoDB takes: a conditional write that fails returns the item that
 * failed it (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), on the exception's `Item`;
 * dynalite does not, so the integration tests never see it. A mocked SDK client answers as
 * DynamoDB does (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html).
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatchHandler } from '../../../lib/consume/batch-handler';
import { recordPayloadHash } from '../../../lib/consume/message-id';
import { StoreUnavailableError } from '../../../lib/errors';
import { DynamoIdempotencyStore } from '../../../lib/idempotency/dynamo-store';
import { silentLogger, type Logger } from '../../../lib/logger';
import { failed, kafkaEvent } from '../../helpers/kafka-events';
import { FakeClock } from '../../helpers/fake-clock';

const dynamo = mockClient(DynamoDBClient);
afterEach(() => {
  dynamo.reset();
});

const NOW_MS = 1_800_000_000_000;

/** What DynamoDB throws for a failed condition with ALL_OLD: the stored item on `Item`. */
function conditionFailed(item?: Record<string, AttributeValue>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
    ...(item === undefined ? {} : { Item: item }),
  });
}

const completedItem = (id: string, payloadHash?: string): Record<string, AttributeValue> => ({
  id: { S: id },
  status: { S: 'COMPLETED' },
  owner: { S: 'inv-1/orders-0' },
  leaseExpiresAtMs: { N: '0' },
  expiresAtEpochSec: { N: '1800086400' },
  ...(payloadHash === undefined ? {} : { payloadHash: { S: payloadHash } }),
});

function store(): DynamoIdempotencyStore {
  return new DynamoIdempotencyStore(new DynamoDBClient({ region: 'us-east-1' }), 'idempotency');
}

describe("DynamoIdempotencyStore with DynamoDB's answers", () => {
  it("asks for the item that fails the claim's condition, and returns it mapped", async () => {
    dynamo.on(PutItemCommand).rejects(conditionFailed(completedItem('k', 'h1')));
    const outcome = await store().claim(
      { key: 'k', owner: 'inv-2/orders-0', leaseExpiresAtMs: NOW_MS + 30_000, expiresAtEpochSec: 1_800_086_400, payloadHash: 'h2' },
      NOW_MS,
    );
    expect(outcome).toEqual({
      claimed: false,
      existing: { key: 'k', status: 'COMPLETED', owner: 'inv-1/orders-0', leaseExpiresAtMs: 0, expiresAtEpochSec: 1_800_086_400, payloadHash: 'h1' },
    });
    const input = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(input?.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(input?.Item).toEqual({
      id: { S: 'k' },
      status: { S: 'IN_PROGRESS' },
      owner: { S: 'inv-2/orders-0' },
      leaseExpiresAtMs: { N: String(NOW_MS + 30_000) },
      expiresAtEpochSec: { N: '1800086400' },
      payloadHash: { S: 'h2' },
    });
  });

  it('asks for the item a successful claim replaces, and returns it mapped as `previous`', async () => {
    dynamo.on(PutItemCommand).resolves({
      Attributes: {
        id: { S: 'k' },
        status: { S: 'IN_PROGRESS' },
        owner: { S: 'inv-1/orders-0' },
        leaseExpiresAtMs: { N: '0' },
        expiresAtEpochSec: { N: '1800086400' },
        payloadHash: { S: 'h1' },
      },
    });
    const outcome = await store().claim(
      { key: 'k', owner: 'inv-2/orders-0', leaseExpiresAtMs: NOW_MS + 30_000, expiresAtEpochSec: 1_800_086_400, payloadHash: 'h1' },
      NOW_MS,
    );
    expect(outcome).toStrictEqual({
      claimed: true,
      previous: { key: 'k', status: 'IN_PROGRESS', owner: 'inv-1/orders-0', leaseExpiresAtMs: 0, expiresAtEpochSec: 1_800_086_400, payloadHash: 'h1' },
    });
    const input = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(input?.ReturnValues).toBe('ALL_OLD');
    expect(input?.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it("sends the claim condition: absent, past its TTL, or an unfinished claim of the same payload that ran out or is the owner's", async () => {
    dynamo.on(PutItemCommand).resolves({});
    await store().claim(
      { key: 'k', owner: 'inv-2/orders-0', leaseExpiresAtMs: NOW_MS + 30_000, expiresAtEpochSec: 1_800_086_400, payloadHash: 'h2' },
      NOW_MS + 500,
    );
    const input = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe(
      'attribute_not_exists(id) OR expiresAtEpochSec <= :nowSec OR (#status = :inProgress AND (attribute_not_exists(payloadHash) OR payloadHash = :hash) AND (leaseExpiresAtMs < :nowMs OR #owner = :owner))',
    );
    expect(input?.ExpressionAttributeNames).toEqual({ '#status': 'status', '#owner': 'owner' });
    expect(input?.ExpressionAttributeValues).toEqual({
      ':nowSec': { N: '1800000000' },
      ':nowMs': { N: '1800000000500' },
      ':inProgress': { S: 'IN_PROGRESS' },
      ':owner': { S: 'inv-2/orders-0' },
      ':hash': { S: 'h2' },
    });
  });

  it('sends the absent-only claim with attribute_not_exists(id) alone', async () => {
    dynamo.on(PutItemCommand).resolves({});
    await store().claimAbsent({ key: 'k', owner: 'o', leaseExpiresAtMs: NOW_MS + 30_000, expiresAtEpochSec: 1_800_086_400, payloadHash: 'h1' });
    const input = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input;
    expect(input?.ConditionExpression).toBe('attribute_not_exists(id)');
    expect(input?.ExpressionAttributeValues).toBeUndefined();
  });

  it('returns a claim of an absent key without `previous` (the answer has no Attributes)', async () => {
    dynamo.on(PutItemCommand).resolves({});
    expect(await store().claim({ key: 'k', owner: 'o', leaseExpiresAtMs: NOW_MS, expiresAtEpochSec: 1 }, NOW_MS)).toStrictEqual({ claimed: true });
  });

  it('returns a refused claim without `existing` when the answer has no item (as dynalite answers)', async () => {
    dynamo.on(PutItemCommand).rejects(conditionFailed());
    expect(await store().claim({ key: 'k', owner: 'o', leaseExpiresAtMs: NOW_MS, expiresAtEpochSec: 1 }, NOW_MS)).toEqual({ claimed: false });
  });

  it('makes any other failure a StoreUnavailableError', async () => {
    dynamo.on(PutItemCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(store().claim({ key: 'k', owner: 'o', leaseExpiresAtMs: NOW_MS, expiresAtEpochSec: 1 }, NOW_MS)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store().completeIfOwned([{ key: 'k', owner: 'o', expiresAtEpochSec: 1 }])).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('completes each key with its own write conditional on the owner, and lists the keys refused', async () => {
    dynamo.on(PutItemCommand).callsFake((input: { Item?: Record<string, AttributeValue> }) => {
      if (input.Item?.id?.S === 'lost') throw conditionFailed(completedItem('lost'));
      return {};
    });
    expect(
      await store().completeIfOwned([
        { key: 'mine', owner: 'o', expiresAtEpochSec: 1 },
        { key: 'lost', owner: 'o', expiresAtEpochSec: 1 },
      ]),
    ).toEqual(['lost']);
    const inputs = dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(inputs).toHaveLength(2);
    for (const input of inputs) {
      expect(input.ConditionExpression).toBe('#owner = :owner');
      expect(input.ExpressionAttributeValues).toEqual({ ':owner': { S: 'o' } });
    }
  });

  it('abandons each claim with its own PutItem, conditional on the owner and IN_PROGRESS, ending the lease', async () => {
    dynamo.on(PutItemCommand).callsFake((input: { Item?: Record<string, AttributeValue> }) => {
      if (input.Item?.id?.S === 'lost') throw conditionFailed(completedItem('lost'));
      return {};
    });
    await store().abandonMany([
      { key: 'mine', owner: 'inv-1/orders-0', leaseExpiresAtMs: NOW_MS + 30_000, expiresAtEpochSec: 1_800_086_400, payloadHash: 'h1' },
      { key: 'lost', owner: 'inv-1/orders-0', leaseExpiresAtMs: NOW_MS + 30_000, expiresAtEpochSec: 1_800_086_400 },
    ]);
    const inputs = dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      {
        TableName: 'idempotency',
        Item: {
          id: { S: 'mine' },
          status: { S: 'IN_PROGRESS' },
          owner: { S: 'inv-1/orders-0' },
          leaseExpiresAtMs: { N: '0' },
          expiresAtEpochSec: { N: '1800086400' },
          payloadHash: { S: 'h1' },
        },
        ConditionExpression: '#owner = :owner AND #status = :inProgress',
        ExpressionAttributeNames: { '#owner': 'owner', '#status': 'status' },
        ExpressionAttributeValues: { ':owner': { S: 'inv-1/orders-0' }, ':inProgress': { S: 'IN_PROGRESS' } },
      },
      {
        TableName: 'idempotency',
        Item: {
          id: { S: 'lost' },
          status: { S: 'IN_PROGRESS' },
          owner: { S: 'inv-1/orders-0' },
          leaseExpiresAtMs: { N: '0' },
          expiresAtEpochSec: { N: '1800086400' },
        },
        ConditionExpression: '#owner = :owner AND #status = :inProgress',
        ExpressionAttributeNames: { '#owner': 'owner', '#status': 'status' },
        ExpressionAttributeValues: { ':owner': { S: 'inv-1/orders-0' }, ':inProgress': { S: 'IN_PROGRESS' } },
      },
    ]);
  });

  it('makes any other failure of an abandon a StoreUnavailableError, keeping the SDK text out of its message', async () => {
    dynamo.on(PutItemCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }));
    const error = await store()
      .abandonMany([{ key: 'k', owner: 'o', leaseExpiresAtMs: NOW_MS, expiresAtEpochSec: 1 }])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe('the idempotency store is unavailable; retry later');
  });

  it('sends no request to abandon no claims', async () => {
    await store().abandonMany([]);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });
});

describe('DynamoIdempotencyStore: the exact requests of completions, releases and reads', () => {
  const completion = (key: string, fields: object = {}) => ({ key, owner: 'inv-1/orders-0', expiresAtEpochSec: 1_800_086_400, ...fields });

  it('completes with one BatchWriteItem per 25 keys, each a COMPLETED item with its lease ended and its result', async () => {
    dynamo.on(BatchWriteItemCommand).resolves({});
    const completions = Array.from({ length: 26 }, (_, i) => completion(`k${i}`, { payloadHash: `h${i}`, result: `{"n":${i}}` }));
    await store().completeMany(completions);
    const requests = dynamo.commandCalls(BatchWriteItemCommand).map((call) => call.args[0].input.RequestItems?.idempotency ?? []);
    expect(requests.map((writes) => writes.length)).toEqual([25, 1]);
    expect(requests[1]).toEqual([
      {
        PutRequest: {
          Item: {
            id: { S: 'k25' },
            status: { S: 'COMPLETED' },
            owner: { S: 'inv-1/orders-0' },
            leaseExpiresAtMs: { N: '0' },
            expiresAtEpochSec: { N: '1800086400' },
            payloadHash: { S: 'h25' },
            result: { S: '{"n":25}' },
          },
        },
      },
    ]);
  });

  it('writes a completion without payload hash or result without those attributes', async () => {
    dynamo.on(BatchWriteItemCommand).resolves({});
    await store().completeMany([completion('k')]);
    expect(dynamo.commandCalls(BatchWriteItemCommand)[0]?.args[0].input.RequestItems?.idempotency?.[0]?.PutRequest?.Item).toEqual({
      id: { S: 'k' },
      status: { S: 'COMPLETED' },
      owner: { S: 'inv-1/orders-0' },
      leaseExpiresAtMs: { N: '0' },
      expiresAtEpochSec: { N: '1800086400' },
    });
  });

  it('makes a failed completion a StoreUnavailableError, keeping the SDK text in its cause only', async () => {
    dynamo.on(BatchWriteItemCommand).rejects(new Error('Rate exceeded'));
    const error = await store()
      .completeMany([completion('k')])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe('the idempotency store is unavailable; retry later');
    expect(((error as Error).cause as Error).message).toBe('Rate exceeded');
  });

  it("releases each key with its own DeleteItem, conditional on the owner's IN_PROGRESS claim, ignoring keys no longer the owner's", async () => {
    dynamo.on(DeleteItemCommand).callsFake((input: { Key?: Record<string, AttributeValue> }) => {
      if (input.Key?.id?.S === 'taken') throw conditionFailed();
      return {};
    });
    await store().releaseMany(['mine', 'taken'], 'inv-1/orders-0');
    expect(dynamo.commandCalls(DeleteItemCommand).map((call) => call.args[0].input)).toEqual(
      ['mine', 'taken'].map((id) => ({
        TableName: 'idempotency',
        Key: { id: { S: id } },
        ConditionExpression: '#owner = :owner AND #status = :inProgress',
        ExpressionAttributeNames: { '#owner': 'owner', '#status': 'status' },
        ExpressionAttributeValues: { ':owner': { S: 'inv-1/orders-0' }, ':inProgress': { S: 'IN_PROGRESS' } },
      })),
    );
  });

  it('makes any other failure of a release a StoreUnavailableError', async () => {
    dynamo.on(DeleteItemCommand).rejects(new Error('socket hang up'));
    await expect(store().releaseMany(['k'], 'o')).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('reads each key once, consistently, 100 keys per BatchGetItem, leaving out items past their TTL', async () => {
    const keys = Array.from({ length: 101 }, (_, i) => `k${i}`);
    dynamo.on(BatchGetItemCommand).callsFake((input: { RequestItems: Record<string, { Keys: Record<string, AttributeValue>[] }> }) => ({
      Responses: {
        idempotency: (input.RequestItems.idempotency?.Keys ?? [])
          .filter(({ id }) => id?.S === 'k0' || id?.S === 'k100')
          .map(({ id }) => ({ ...completedItem(id?.S ?? ''), expiresAtEpochSec: { N: id?.S === 'k0' ? String(NOW_MS / 1000) : '1800086400' } })),
      },
    }));
    const found = await store().getMany([...keys, 'k1'], NOW_MS);
    const inputs = dynamo.commandCalls(BatchGetItemCommand).map((call) => call.args[0].input.RequestItems?.idempotency);
    expect(inputs.map((request) => [request?.Keys?.length, request?.ConsistentRead])).toEqual([
      [100, true],
      [1, true],
    ]);
    expect([...found.keys()]).toEqual(['k100']);
  });

  it('makes a failed read a StoreUnavailableError', async () => {
    dynamo.on(BatchGetItemCommand).rejects(new Error('socket hang up'));
    await expect(store().getMany(['k'], NOW_MS)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('DynamoIdempotencyStore: mapping answers', () => {
  const claimOf = (fields: object = {}) => ({ key: 'k', owner: 'o', leaseExpiresAtMs: NOW_MS, expiresAtEpochSec: 1_800_086_400, ...fields });

  it('maps every attribute of a returned item, the result and a non-zero lease included', async () => {
    dynamo
      .on(PutItemCommand)
      .rejects(conditionFailed({ ...completedItem('k', 'h1'), leaseExpiresAtMs: { N: '1800000030000' }, result: { S: '{"offsets":[]}' } }));
    expect(await store().claim(claimOf({ payloadHash: 'h2' }), NOW_MS)).toEqual({
      claimed: false,
      existing: {
        key: 'k',
        status: 'COMPLETED',
        owner: 'inv-1/orders-0',
        leaseExpiresAtMs: 1_800_000_030_000,
        expiresAtEpochSec: 1_800_086_400,
        payloadHash: 'h1',
        result: '{"offsets":[]}',
      },
    });
  });

  it('maps an item missing its attributes to empty values rather than failing', async () => {
    dynamo.on(PutItemCommand).rejects(conditionFailed({}));
    expect(await store().claim(claimOf(), NOW_MS)).toStrictEqual({
      claimed: false,
      existing: { key: '', status: 'IN_PROGRESS', owner: '', leaseExpiresAtMs: 0, expiresAtEpochSec: 0 },
    });
  });

  it('compares a claim without a payload hash against the empty hash', async () => {
    dynamo.on(PutItemCommand).resolves({});
    await store().claim(claimOf(), NOW_MS);
    expect(dynamo.commandCalls(PutItemCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':hash']).toEqual({ S: '' });
  });

  it('completes a key the owner may no longer hold with exactly one conditional PutItem', async () => {
    dynamo.on(PutItemCommand).resolves({});
    await store().completeIfOwned([{ key: 'k', owner: 'o', expiresAtEpochSec: 1, result: 'r' }]);
    expect(dynamo.commandCalls(PutItemCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: 'idempotency',
        Item: {
          id: { S: 'k' },
          status: { S: 'COMPLETED' },
          owner: { S: 'o' },
          leaseExpiresAtMs: { N: '0' },
          expiresAtEpochSec: { N: '1' },
          result: { S: 'r' },
        },
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': { S: 'o' } },
      },
    ]);
  });

  it('reads an answer without Responses or UnprocessedKeys for the table as nothing found and nothing left', async () => {
    dynamo.on(BatchGetItemCommand).resolves({ UnprocessedKeys: {} });
    expect(await store().getMany(['k'], NOW_MS)).toEqual(new Map());
    expect(dynamo.commandCalls(BatchGetItemCommand)).toHaveLength(1);
  });

  it('reads again the keys an answer left unprocessed', async () => {
    dynamo
      .on(BatchGetItemCommand)
      .resolvesOnce({ Responses: { idempotency: [completedItem('a')] }, UnprocessedKeys: { idempotency: { Keys: [{ id: { S: 'b' } }] } } })
      .resolves({ Responses: { idempotency: [completedItem('b')] } });
    expect([...(await store().getMany(['a', 'b'], NOW_MS)).keys()]).toEqual(['a', 'b']);
    expect(dynamo.commandCalls(BatchGetItemCommand)[1]?.args[0].input.RequestItems?.idempotency?.Keys).toEqual([{ id: { S: 'b' } }]);
  });

  it('keeps the SDK error as the cause of a failed read or conditional write', async () => {
    const sdkError = new Error('socket hang up');
    dynamo.on(BatchGetItemCommand).rejects(sdkError);
    dynamo.on(DeleteItemCommand).rejects(sdkError);
    for (const attempt of [store().getMany(['k'], NOW_MS), store().releaseMany(['k'], 'o')]) {
      const error = await attempt.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).cause).toBe(sdkError);
    }
  });
});

describe("the consumer on DynamoDB's answers", () => {
  const VALUE = Buffer.from('{"amount":5}');

  /** A record completed by another invocation between the batch read and the claim, with `storedHash`. */
  function raced(storedHash: string | undefined) {
    const key = 'consume:test:pay-1';
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { idempotency: [] } });
    dynamo.on(PutItemCommand).rejects(conditionFailed(completedItem(key, storedHash)));
    const failures: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message, fields) => void (message === 'record failed' && failures.push(String(fields?.reason))) };
    const applied: number[] = [];
    const handler = createBatchHandler({
      store: store(),
      processor: { process: async (record) => void applied.push(record.offset) },
      clock: new FakeClock(),
      logger,
      scope: 'test',
      leaseMs: 30_000,
      ttlSeconds: 86_400,
    });
    const event = kafkaEvent([{ offset: 3, rawValue: VALUE, headers: { 'message-id': 'pay-1' } }]);
    return { handler, event, failures, applied };
  }

  it('skips a record the failed claim shows COMPLETED with the same payload, without reading it again', async () => {
    const { handler, event, applied } = raced(recordPayloadHash({ key: null, value: VALUE }));
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(applied).toEqual([]);
    expect(dynamo.commandCalls(BatchGetItemCommand)).toHaveLength(1);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(1);
  });

  it('fails a record the failed claim shows COMPLETED with another payload, without reading it again', async () => {
    const { handler, event, applied, failures } = raced('another-hash');
    expect(await handler(event)).toEqual({ batchItemFailures: [failed('orders-0', 3)] });
    expect(applied).toEqual([]);
    expect(failures).toEqual(['message id reused with a different payload']);
    expect(dynamo.commandCalls(BatchGetItemCommand)).toHaveLength(1);
  });
});
