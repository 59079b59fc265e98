/**
 * The sink of the default consume processor: one item per message in `MESSAGES_TABLE`,
 * keyed by `messageId` (the message identity, caller-qualified when the record has a caller),
 * written at most once.
 */
import { ConditionalCheckFailedException, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { convertToAttr } from '@aws-sdk/util-dynamodb';
import { StoreUnavailableError, UnprocessableRecordError } from '../errors';

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
}

/** Outcome of {@link MessagesTable.putOnce}. */
export type PutOnceOutcome = 'written' | 'already-written';

/** Writes messages at most once. */
export interface MessagesTable {
  /**
   * Puts `item` unless an item with its `messageId` exists.
   *
   * @throws {UnprocessableRecordError} when the value cannot be stored as an item at all
   *   (too large, nested too deeply, a number DynamoDB cannot hold).
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
   *   hold, or a request refused for its content); which item is then unknown when the
   *   store refused the whole request, and the items of that request were not written.
   * @throws {StoreUnavailableError} for any other failure; some items may have been written.
   */
  putAll(items: readonly MessageItem[]): Promise<void>;
}

// Errors DynamoDB raises for the item itself; retrying the same item cannot succeed.
const ITEM_REJECTED = new Set(['ValidationException']);

function toAttribute(value: unknown, field: string): AttributeValue {
  try {
    // JSON has no sets, classes or undefined, and empty strings and lists are valid attributes. Numbers
    // past 2^53 already lost precision in JSON.parse; storing what was parsed is what the contract asks.
    return convertToAttr(value, { convertEmptyValues: false, removeUndefinedValues: true, allowImpreciseNumbers: true });
  } catch (error) {
    throw new UnprocessableRecordError(`${field} cannot be stored in DynamoDB: ${(error as Error).message}`, { cause: error });
  }
}

/** {@link MessagesTable} on DynamoDB. */
export class DynamoMessagesTable implements MessagesTable {
  async putAll(_items: readonly MessageItem[]): Promise<void> {
    throw new Error('not yet');
  }

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async putOnce(item: MessageItem): Promise<PutOnceOutcome> {
    const attributes: Record<string, AttributeValue> = {
      messageId: { S: item.messageId },
      topic: { S: item.topic },
      partition: { N: String(item.partition) },
      offset: { N: String(item.offset) },
      value: toAttribute(item.value, 'value'),
      processedAt: { S: item.processedAt },
    };
    if (item.key !== undefined) attributes.key = { S: item.key };
    if (item.callerId !== undefined) attributes.callerId = { S: item.callerId };
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
      const name = (error as { name?: unknown }).name;
      if (typeof name === 'string' && ITEM_REJECTED.has(name)) {
        throw new UnprocessableRecordError(`messages table refused the item: ${(error as Error).message}`, { cause: error });
      }
      throw new StoreUnavailableError(`messages table: put failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
