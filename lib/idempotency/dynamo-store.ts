/**
 * {@link IdempotencyStore} on DynamoDB. It maps records to items and issues the
 * conditional writes; it knows nothing of produce or consume.
 *
 * Item shape (partition key `id`):
 * `{ id, status, owner, leaseExpiresAtMs, expiresAtEpochSec, payloadHash?, result? }`.
 */
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  PutItemCommand,
  type AttributeValue,
  type PutItemCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { BATCH_GET_LIMIT, BATCH_WRITE_LIMIT, batchWrite, chunks, sendUntilProcessed } from '../dynamo/batch-requests';
import { StoreUnavailableError } from '../errors';

// What a client may read: the cause (host, port, account, role, table ARN, the SDK's text)
// stays in `cause`, which the caller logs with its request id.
const STORE_UNAVAILABLE = 'the idempotency store is unavailable; retry later';
import { isExpired } from './keys';
import {
  IdempotencyStatus,
  type Claim,
  type ConsumeClaimStore,
  type ClaimOutcome,
  type Completion,
  type FencedCompletionStore,
  type IdempotencyRecord,
  type IdempotencyStore,
} from './types';

type Item = Record<string, AttributeValue>;

/** The condition part of a claim's PutItem. */
type ClaimCondition = Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues' | 'ReturnValues'>;

// An IN_PROGRESS claim of the owner named by `:owner`: what releasing or abandoning a key requires.
const OWN_CLAIM = '#owner = :owner AND #status = :inProgress';
const OWN_CLAIM_NAMES = { '#owner': 'owner', '#status': 'status' };

function ownClaimValues(owner: string): Record<string, AttributeValue> {
  return { ':owner': { S: owner }, ':inProgress': { S: IdempotencyStatus.InProgress } };
}

function toItem(record: Claim & { status: IdempotencyStatus; result?: string }): Item {
  const item: Item = {
    id: { S: record.key },
    status: { S: record.status },
    owner: { S: record.owner },
    leaseExpiresAtMs: { N: String(record.leaseExpiresAtMs) },
    expiresAtEpochSec: { N: String(record.expiresAtEpochSec) },
  };
  if (record.payloadHash !== undefined) item.payloadHash = { S: record.payloadHash };
  if (record.result !== undefined) item.result = { S: record.result };
  return item;
}

function fromItem(item: Item): IdempotencyRecord {
  const record: IdempotencyRecord = {
    key: item.id?.S ?? '',
    status: item.status?.S === IdempotencyStatus.Completed ? IdempotencyStatus.Completed : IdempotencyStatus.InProgress,
    owner: item.owner?.S ?? '',
    leaseExpiresAtMs: Number(item.leaseExpiresAtMs?.N ?? 0),
    expiresAtEpochSec: Number(item.expiresAtEpochSec?.N ?? 0),
  };
  if (item.payloadHash?.S !== undefined) record.payloadHash = item.payloadHash.S;
  if (item.result?.S !== undefined) record.result = item.result.S;
  return record;
}

/** DynamoDB-backed {@link IdempotencyStore}, {@link FencedCompletionStore} and {@link ConsumeClaimStore}. */
export class DynamoIdempotencyStore implements IdempotencyStore, FencedCompletionStore, ConsumeClaimStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async claimAbsent(claim: Claim): Promise<ClaimOutcome> {
    return this.putClaim(claim, { ConditionExpression: 'attribute_not_exists(id)' });
  }

  async claim(claim: Claim, nowMs: number): Promise<ClaimOutcome> {
    return this.putClaim(claim, {
      // Free when absent, expired but not yet deleted by TTL, or an unfinished claim of the
      // same payload whose lease ran out (abandoned, or its owner gone) or that is the caller's
      // own (which this renews). An unfinished claim of another payload is never taken over:
      // its attempt may have applied its effect, and the key belongs to that payload.
      ConditionExpression:
        'attribute_not_exists(id) OR expiresAtEpochSec <= :nowSec OR (#status = :inProgress AND (attribute_not_exists(payloadHash) OR payloadHash = :hash) AND (leaseExpiresAtMs < :nowMs OR #owner = :owner))',
      ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
      ExpressionAttributeValues: {
        ':nowSec': { N: String(Math.floor(nowMs / 1000)) },
        ':nowMs': { N: String(nowMs) },
        ':inProgress': { S: IdempotencyStatus.InProgress },
        ':owner': { S: claim.owner },
        ':hash': { S: claim.payloadHash ?? '' },
      },
      // The item the claim replaces comes back with the write at no extra cost; the consumer
      // learns from it that an earlier attempt may have applied the effect.
      // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValues
      ReturnValues: 'ALL_OLD',
    });
  }

  /** Writes `claim` IN_PROGRESS under `condition`, reading the outcome from the answer. */
  private async putClaim(claim: Claim, condition: ClaimCondition): Promise<ClaimOutcome> {
    try {
      const response = await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ ...claim, status: IdempotencyStatus.InProgress }),
          ...condition,
          // DynamoDB returns the item that failed the condition, saving a read; dynalite does not.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return response.Attributes === undefined ? { claimed: true } : { claimed: true, previous: fromItem(response.Attributes) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return error.Item === undefined ? { claimed: false } : { claimed: false, existing: fromItem(error.Item) };
      }
      throw new StoreUnavailableError(STORE_UNAVAILABLE, { cause: error });
    }
  }

  async getMany(keys: readonly string[], nowMs: number): Promise<Map<string, IdempotencyRecord>> {
    const found = new Map<string, IdempotencyRecord>();
    const unique = [...new Set(keys)];
    try {
      await Promise.all(
        chunks(unique, BATCH_GET_LIMIT).map((chunk) =>
          sendUntilProcessed<Item>(
            chunk.map((key) => ({ id: { S: key } })),
            async (pending) => {
              const response = await this.client.send(
                new BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: [...pending], ConsistentRead: true } } }),
              );
              // Stryker disable next-line ArrayDeclaration: an element that is not an item maps to a record without a TTL, which counts as expired: nothing is found either way.
              for (const item of response.Responses?.[this.tableName] ?? []) {
                const record = fromItem(item);
                if (!isExpired(record.expiresAtEpochSec, nowMs)) found.set(record.key, record);
              }
              return response.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
            },
          ),
        ),
      );
    } catch (error) {
      throw new StoreUnavailableError(STORE_UNAVAILABLE, { cause: error });
    }
    return found;
  }

  async completeMany(completions: readonly Completion[]): Promise<void> {
    try {
      await Promise.all(
        chunks(completions, BATCH_WRITE_LIMIT).map((chunk) =>
          batchWrite(
            this.client,
            this.tableName,
            chunk.map((completion) => ({
              PutRequest: { Item: toItem({ ...completion, status: IdempotencyStatus.Completed, leaseExpiresAtMs: 0 }) },
            })),
          ),
        ),
      );
    } catch (error) {
      throw new StoreUnavailableError(STORE_UNAVAILABLE, { cause: error });
    }
  }

  async completeIfOwned(completions: readonly Completion[]): Promise<string[]> {
    // BatchWriteItem takes no conditions, so each completion is its own conditional PutItem.
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
    const refused = await this.eachConditional(completions, (completion) =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ ...completion, status: IdempotencyStatus.Completed, leaseExpiresAtMs: 0 }),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: completion.owner } },
        }),
      ),
    );
    return refused.map(({ key }) => key);
  }

  async releaseMany(keys: readonly string[], owner: string): Promise<void> {
    // A key taken over or completed by someone else is not ours to release.
    await this.eachConditional(keys, (key) =>
      this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { id: { S: key } },
          ConditionExpression: OWN_CLAIM,
          ExpressionAttributeNames: OWN_CLAIM_NAMES,
          ExpressionAttributeValues: ownClaimValues(owner),
        }),
      ),
    );
  }

  async abandonMany(claims: readonly Claim[]): Promise<void> {
    // A PutItem of the whole item rather than an UpdateItem of the lease: the roles may write
    // this table with PutItem, BatchWriteItem and DeleteItem only (serverless.yml). A key
    // taken over, completed or gone is not ours to abandon.
    await this.eachConditional(claims, (claim) =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ ...claim, status: IdempotencyStatus.InProgress, leaseExpiresAtMs: 0 }),
          ConditionExpression: OWN_CLAIM,
          ExpressionAttributeNames: OWN_CLAIM_NAMES,
          ExpressionAttributeValues: ownClaimValues(claim.owner),
        }),
      ),
    );
  }

  /**
   * Sends `write`'s conditional request for every item, all at once; resolves with the items
   * whose condition failed.
   *
   * @throws {StoreUnavailableError} when any write fails otherwise.
   */
  private async eachConditional<T>(items: readonly T[], write: (item: T) => Promise<unknown>): Promise<T[]> {
    const refused: T[] = [];
    try {
      await Promise.all(
        items.map(async (item) => {
          try {
            await write(item);
          } catch (error) {
            if (!(error instanceof ConditionalCheckFailedException)) throw error;
            refused.push(item);
          }
        }),
      );
    } catch (error) {
      throw new StoreUnavailableError(STORE_UNAVAILABLE, { cause: error });
    }
    return refused;
  }
}
