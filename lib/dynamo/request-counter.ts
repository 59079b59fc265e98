/**
 * Request counts in DynamoDB, one item per key, for the produce API's rate limit: one
 * conditional `UpdateItem` per request, which adds one unless the limit is reached. Items carry
 * the idempotency table's TTL attribute, `expiresAtEpochSec` (`deploy/tables.json`).
 */
import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StoreUnavailableError } from '../errors';

/** Counts requests per key in `table`. */
export class DynamoRequestCounter {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  /**
   * Adds one to `key`'s count unless it already holds `limit`.
   *
   * @returns false when the limit was reached (nothing written).
   * @throws {StoreUnavailableError} when the update fails for another reason.
   */
  async take(key: string, limit: number, expiresAtEpochSec: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { id: { S: key } },
          UpdateExpression: 'ADD #requests :one SET #expires = if_not_exists(#expires, :expires)',
          ConditionExpression: 'attribute_not_exists(#requests) OR #requests < :limit',
          ExpressionAttributeNames: { '#requests': 'requests', '#expires': 'expiresAtEpochSec' },
          ExpressionAttributeValues: { ':one': { N: '1' }, ':limit': { N: String(limit) }, ':expires': { N: String(expiresAtEpochSec) } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new StoreUnavailableError('the rate limit store is unavailable', { cause: error });
    }
  }
}
