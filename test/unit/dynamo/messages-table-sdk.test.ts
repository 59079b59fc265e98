/**
 * DynamoMessagesTable.putAll on answers dynalite never gives (unprocessed items, a refused
 * request), from a mocked SDK client answering as DynamoDB does
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html).
 */
import { BatchWriteItemCommand, DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type MessageItem, DynamoMessagesTable } from '../../../lib/dynamo/messages-table';
import { StoreUnavailableError, UnprocessableRecordError } from '../../../lib/errors';

const dynamo = mockClient(DynamoDBClient);
afterEach(() => {
  dynamo.reset();
  vi.useRealTimers();
});

function table(): DynamoMessagesTable {
  return new DynamoMessagesTable(new DynamoDBClient({ region: 'us-east-1' }), 'messages');
}

/** Messages m-0 … m-(count-1) of orders-0, offsets 0 …, value `{ n: offset }`. */
function messages(count: number): MessageItem[] {
  return Array.from({ length: count }, (_, offset) => ({
    messageId: `m-${offset}`,
    topic: 'orders',
    partition: 0,
    offset,
    value: { n: offset },
    processedAt: '2027-01-15T08:00:00.000Z',
  }));
}

/** The message ids of each BatchWriteItem sent, in order. */
function requestsSent(): string[][] {
  return dynamo
    .commandCalls(BatchWriteItemCommand)
    .map((call) => (call.args[0].input.RequestItems?.messages ?? []).map((request) => request.PutRequest?.Item?.messageId?.S ?? '?'));
}

const ids = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `m-${from + i}`);

describe('DynamoMessagesTable.putAll', () => {
  it('sends 25 items, then the ones left unprocessed again, then the last 5, each as a plain put of the item', async () => {
    const unprocessed: WriteRequest[] = [{ PutRequest: { Item: { messageId: { S: 'm-3' } } } }, { PutRequest: { Item: { messageId: { S: 'm-17' } } } }];
    dynamo
      .on(BatchWriteItemCommand)
      .resolvesOnce({ UnprocessedItems: { messages: unprocessed } })
      .resolves({});
    await table().putAll(messages(30));
    expect(requestsSent()).toEqual([ids(0, 25), ['m-3', 'm-17'], ids(25, 30)]);
    const first = dynamo.commandCalls(BatchWriteItemCommand)[0]?.args[0].input.RequestItems?.messages?.[0];
    expect(first).toEqual({
      PutRequest: {
        Item: {
          messageId: { S: 'm-0' },
          topic: { S: 'orders' },
          partition: { N: '0' },
          offset: { N: '0' },
          value: { M: { n: { N: '0' } } },
          processedAt: { S: '2027-01-15T08:00:00.000Z' },
        },
      },
    });
  });

  it('writes the key and the caller when the message has them', async () => {
    dynamo.on(BatchWriteItemCommand).resolves({});
    await table().putAll([
      { messageId: 'caller:YQ:m-1', callerId: 'a', topic: 'orders', partition: 2, offset: 7, key: 'k', value: [], processedAt: '2027-01-15T08:00:00.000Z' },
    ]);
    expect(dynamo.commandCalls(BatchWriteItemCommand)[0]?.args[0].input.RequestItems).toEqual({
      messages: [
        {
          PutRequest: {
            Item: {
              messageId: { S: 'caller:YQ:m-1' },
              callerId: { S: 'a' },
              topic: { S: 'orders' },
              partition: { N: '2' },
              offset: { N: '7' },
              key: { S: 'k' },
              value: { L: [] },
              processedAt: { S: '2027-01-15T08:00:00.000Z' },
            },
          },
        },
      ],
    });
  });

  it('makes items still unprocessed after the retries a StoreUnavailableError', async () => {
    vi.useFakeTimers();
    dynamo.on(BatchWriteItemCommand).resolves({ UnprocessedItems: { messages: [{ PutRequest: { Item: { messageId: { S: 'm-0' } } } }] } });
    const outcome = expect(table().putAll(messages(1))).rejects.toThrow(StoreUnavailableError);
    await vi.runAllTimersAsync();
    await outcome;
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(9);
  });

  it('sends no request for no items', async () => {
    await table().putAll([]);
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('sends nothing when a value cannot be stored, naming its record but not its contents', async () => {
    const items = messages(30);
    items[27] = { ...items[27], partition: 1, value: { secret: 'hunter2', n: Number.POSITIVE_INFINITY } } as MessageItem;
    const error = await table()
      .putAll(items)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnprocessableRecordError);
    expect((error as Error).message).toMatch(/^the value of orders-1 offset 27 cannot be stored in DynamoDB: /);
    expect((error as Error).message).not.toContain('hunter2');
    expect(dynamo.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  });

  it('makes a request refused as a whole (ValidationException) an UnprocessableRecordError, and sends no further request', async () => {
    dynamo
      .on(BatchWriteItemCommand)
      .rejects(
        Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }),
      );
    const error = await table()
      .putAll(messages(30))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnprocessableRecordError);
    expect((error as Error).message).toBe('messages table refused the request: Item size has exceeded the maximum allowed size');
    expect(requestsSent()).toEqual([ids(0, 25)]);
  });

  it('makes any other failure a StoreUnavailableError, after the requests before it were written', async () => {
    dynamo
      .on(BatchWriteItemCommand)
      .resolvesOnce({})
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } }));
    const error = await table()
      .putAll(messages(30))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe('messages table: batch write failed: Rate exceeded');
    expect(requestsSent()).toEqual([ids(0, 25), ids(25, 30)]);
  });
});
