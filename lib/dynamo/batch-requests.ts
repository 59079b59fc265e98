/**
 * DynamoDB's batch requests within their per-request limits, with what an answer left
 * unprocessed sent again after a short capped backoff: one home for the limits, the retries
 * and the backoff, used by the idempotency store and the messages table.
 */
import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';

// DynamoDB's per-request limits: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
// and https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
/** Most keys one BatchGetItem reads. */
export const BATCH_GET_LIMIT = 100;
/** Most put or delete requests one BatchWriteItem holds. */
export const BATCH_WRITE_LIMIT = 25;

// Both pages ask for unprocessed items to be sent again with an exponential backoff: 40, 80,
// 160, 320 and 640 ms, then 1 s, about 4.2 s in all before giving up.
const UNPROCESSED_RETRIES = 8;
const BACKOFF_BASE_MS = 20;
const BACKOFF_CAP_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `items` in their order, in slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/**
 * Sends `first` with `send`, then what each answer left unprocessed (what `send` resolves
 * with) until nothing is left, waiting a capped exponential backoff before each retry.
 *
 * @throws whatever `send` throws; an Error when some remain unprocessed after 8 retries.
 */
export async function sendUntilProcessed<T>(first: readonly T[], send: (pending: readonly T[]) => Promise<readonly T[]>): Promise<void> {
  let pending = first;
  for (let attempt = 0; pending.length > 0; attempt += 1) {
    if (attempt > UNPROCESSED_RETRIES) throw new Error(`${pending.length} unprocessed request(s) remained after ${UNPROCESSED_RETRIES} retries`);
    if (attempt > 0) await sleep(Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
    pending = await send(pending);
  }
}

/**
 * Writes `requests` (at most {@link BATCH_WRITE_LIMIT}) to `tableName` with BatchWriteItem,
 * and the unprocessed ones again, as {@link sendUntilProcessed} does.
 *
 * @throws the SDK's error; an Error when some remain unprocessed after the retries.
 */
export function batchWrite(client: DynamoDBClient, tableName: string, requests: readonly WriteRequest[]): Promise<void> {
  return sendUntilProcessed(requests, async (pending) => {
    const response = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: [...pending] } }));
    return response.UnprocessedItems?.[tableName] ?? [];
  });
}
