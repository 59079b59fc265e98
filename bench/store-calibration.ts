/**
 * How fast the store itself is, measured in the same run: the round-trip of one request at a
 * time, and the most requests per second it serves with many in flight. Consume throughput
 * can be no better than the store's ceiling divided by the requests each record needs.
 */
import { BatchWriteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ensureTables } from '../local/dynamo/tables';
import { median } from './stats';

/** The store's own speed. */
export interface StoreCalibration {
  /** One PutItem at a time: median round-trip. */
  sequentialPutMs: number;
  /** PutItems with `concurrency` in flight: requests per second. */
  concurrentPutsPerSec: number;
  concurrency: number;
  /** Items per second written by BatchWriteItem requests of 25, `concurrency / 4` in flight. */
  batchedItemsPerSec: number;
}

/** Measures the store at `endpoint` on a table of its own named `table`. */
export async function calibrateStore(endpoint: string, table: string, quick: boolean): Promise<StoreCalibration> {
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTables(client, { idempotency: `${table}-i`, messages: table });
  const put = (id: string): Promise<unknown> =>
    client.send(new PutItemCommand({ TableName: table, Item: { messageId: { S: id }, value: { S: 'x'.repeat(200) } } }));
  const sequential = quick ? 50 : 200;
  const latenciesMs: number[] = [];
  for (let index = 0; index < 20; index++) await put(`warmup-${index}`);
  for (let index = 0; index < sequential; index++) {
    const started = performance.now();
    await put(`seq-${index}`);
    latenciesMs.push(performance.now() - started);
  }
  const concurrency = 32;
  const total = quick ? 200 : 800;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await put(`par-${next++}`);
    }),
  );
  const elapsedMs = performance.now() - started;
  const batches = quick ? 16 : 64;
  let nextBatch = 0;
  const batchStarted = performance.now();
  await Promise.all(
    Array.from({ length: concurrency / 4 }, async () => {
      while (nextBatch < batches) {
        const batch = nextBatch++;
        await client.send(
          new BatchWriteItemCommand({
            RequestItems: {
              [table]: Array.from({ length: 25 }, (_, index) => ({
                PutRequest: { Item: { messageId: { S: `batch-${batch}-${index}` }, value: { S: 'x'.repeat(200) } } },
              })),
            },
          }),
        );
      }
    }),
  );
  const batchElapsedMs = performance.now() - batchStarted;
  client.destroy();
  return {
    sequentialPutMs: median(latenciesMs),
    concurrentPutsPerSec: total / (elapsedMs / 1000),
    concurrency,
    batchedItemsPerSec: (batches * 25) / (batchElapsedMs / 1000),
  };
}
