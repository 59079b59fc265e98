/**
 * The sink of the default consume processor: one item per message in `MESSAGES_TABLE`,
 * keyed by `messageId` (the message identity, caller-qualified when the record has a caller),
 * written at most once.
 */
import { ConditionalCheckFailedException, PutItemCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { convertToAttr, NumberValueImpl } from '@aws-sdk/util-dynamodb';
import { isExactNumber } from '../json-numbers';
import { StoreUnavailableError, UnprocessableRecordError } from '../errors';
import { BATCH_WRITE_LIMIT, batchWrite, chunks } from './batch-requests';

/** One message as stored. */
export interface MessageItem {
  /** The message identity: the message id, or `caller:<caller, base64url>:<message id>`. */
  messageId: string;
  /** The produce API caller that wrote the record, when it carried one. */
  callerId?: string;
  topic: string;
  partition: number;
  offset: number;
  /** The record key as UTF-8 text; absent when the record has none. */
  key?: string;
  /** The parsed JSON value. */
  value: unknown;
  /** When the consumer wrote the item, ISO 8601. */
  processedAt: string;
  /** When DynamoDB's TTL may delete the item, epoch seconds; absent: never. */
  expiresAtEpochSec?: number;
}

/** Outcome of {@link MessagesTable.putOnce}. */
export type PutOnceOutcome = 'written' | 'already-written';

/** Writes messages at most once. */
export interface MessagesTable {
  /**
   * Puts `item` unless an item with its `messageId` exists.
   *
   * @throws {UnprocessableRecordError} when the value cannot be stored as an item at all
   *   (too large, nested too deeply, a number DynamoDB cannot hold). A value that cannot be
   *   converted is named in the message by topic, partition and offset, never by its contents.
   * @throws {StoreUnavailableError} for any other failure.
   */
  putOnce(item: MessageItem): Promise<PutOnceOutcome>;
  /**
   * Writes every item, overwriting any item of the same `messageId`: BatchWriteItem, 25 items
   * a request, unprocessed items written again. Only for messages no earlier attempt may have
   * written, since an overwrite of a written message would be a second effect; the others go
   * through {@link MessagesTable.putOnce}. `items` must not repeat a `messageId`.
   *
   * @throws {UnprocessableRecordError} when an item cannot be stored (a value DynamoDB cannot
   *   hold, or a request refused for its content). A value DynamoDB cannot hold is found
   *   before any request, so nothing is written, and the message names its record by topic,
   *   partition and offset (never by its contents); a request the store refused as a whole
   *   names no item, and none of its items were written, while earlier requests' were.
   * @throws {StoreUnavailableError} for any other failure; some items may have been written.
   */
  putAll(items: readonly MessageItem[]): Promise<void>;
}

// Errors DynamoDB raises for the item itself; retrying the same item cannot succeed.
const ITEM_REJECTED = new Set(['ValidationException']);

/**
 * `value` with raw JSON numbers (digits a double cannot hold) as the SDK's NumberValue, which it
 * writes as given. Containers without one are returned as they are, uncopied.
 */
function withNumberValues(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (isExactNumber(value)) return NumberValueImpl.from(value.rawJSON);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item: unknown, index) => {
      const converted = withNumberValues(item);
      if (converted !== item) (copy ??= [...value])[index] = converted;
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const converted = withNumberValues(item);
    if (converted !== item) (copy ??= { ...value })[key] = converted;
  }
  return copy ?? value;
}

function toAttribute(value: unknown, field: string): AttributeValue {
  try {
    // JSON has no sets, classes or undefined, and empty strings and lists are valid attributes.
    // Numbers a double cannot hold arrive as raw JSON numbers and are written digit for digit;
    // one past DynamoDB's 38 digits or its range is refused by DynamoDB for the item.
    return convertToAttr(withNumberValues(value), { convertEmptyValues: false, removeUndefinedValues: true, allowImpreciseNumbers: true });
  } catch (error) {
    throw new UnprocessableRecordError(`${field} cannot be stored in DynamoDB: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The item as stored, for both kinds of write.
 *
 * @throws {UnprocessableRecordError} when the value cannot be an attribute; the message names
 *   the record by topic, partition and offset.
 */
function toStoredItem(item: MessageItem): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {
    messageId: { S: item.messageId },
    topic: { S: item.topic },
    partition: { N: String(item.partition) },
    offset: { N: String(item.offset) },
    value: toAttribute(item.value, `the value of ${item.topic}-${item.partition} offset ${item.offset}`),
    processedAt: { S: item.processedAt },
  };
  if (item.key !== undefined) attributes.key = { S: item.key };
  if (item.callerId !== undefined) attributes.callerId = { S: item.callerId };
  if (item.expiresAtEpochSec !== undefined) attributes.expiresAtEpochSec = { N: String(item.expiresAtEpochSec) };
  return attributes;
}

/**
 * The domain error for a failed write of `what` (a put, a batch write). The messages are for
 * the consumer's logs: this table is written on the consume side only, no client reads them.
 */
function writeFailure(error: unknown, what: { refused: string; failed: string }): UnprocessableRecordError | StoreUnavailableError {
  const name = (error as { name?: unknown }).name;
  if (typeof name === 'string' && ITEM_REJECTED.has(name)) {
    return new UnprocessableRecordError(`messages table refused the ${what.refused}: ${(error as Error).message}`, { cause: error });
  }
  return new StoreUnavailableError(`messages table: ${what.failed} failed: ${(error as Error).message}`, { cause: error });
}

/** {@link MessagesTable} on DynamoDB. */
export class DynamoMessagesTable implements MessagesTable {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async putOnce(item: MessageItem): Promise<PutOnceOutcome> {
    const attributes = toStoredItem(item);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: attributes,
          ConditionExpression: 'attribute_not_exists(messageId)',
        }),
      );
      return 'written';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'already-written';
      throw writeFailure(error, { refused: 'item', failed: 'put' });
    }
  }

  async putAll(items: readonly MessageItem[]): Promise<void> {
    // Every item is converted before the first request: a value DynamoDB cannot hold fails the
    // call with nothing written.
    const requests: WriteRequest[] = items.map((item) => ({ PutRequest: { Item: toStoredItem(item) } }));
    // One request after another, in item order: when one fails, the items after it were not sent.
    for (const chunk of chunks(requests, BATCH_WRITE_LIMIT)) {
      try {
        await batchWrite(this.client, this.tableName, chunk);
      } catch (error) {
        // A ValidationException refuses the whole request: none of its items were written.
        // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
        throw writeFailure(error, { refused: 'request', failed: 'batch write' });
      }
    }
  }
}
