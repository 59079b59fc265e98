import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../lib/clock';
import type { AppConfig } from '../../../lib/config';
import { createBatchHandler } from '../../../lib/consume/batch-handler';
import { createMessagesProcessor } from '../../../lib/consume/messages-processor';
import { DynamoMessagesTable } from '../../../lib/dynamo/messages-table';
import { DynamoIdempotencyStore } from '../../../lib/idempotency/dynamo-store';
import { silentLogger } from '../../../lib/logger';
import { createTestTables, testConfig, testDynamo } from '../../helpers/infra';
import { kafkaEvent, recordRange } from '../../helpers/kafka-events';

// DynamoDB requests by operation, counted as commands leave the client (before SDK retries).
function countingClient(): { client: ReturnType<typeof testDynamo>; counts: Map<string, number> } {
  const client = testDynamo();
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counts.set(context.commandName ?? '?', (counts.get(context.commandName ?? '?') ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return { client, counts };
}

describe('DynamoDB round trips of a 1,000-record, 4-partition batch', () => {
  let config: AppConfig;
  beforeAll(async () => {
    config = testConfig();
    await createTestTables(config);
  });

  it('costs 1.09 requests per new record and 0.01 per duplicate', async () => {
    const { client, counts } = countingClient();
    const handler = createBatchHandler({
      store: new DynamoIdempotencyStore(client, config.tables.idempotency),
      processor: createMessagesProcessor(new DynamoMessagesTable(client, config.tables.messages), systemClock),
      clock: systemClock,
      logger: silentLogger,
      scope: 'figures',
      leaseMs: config.consume.leaseMs,
      ttlSeconds: config.idempotency.ttlSeconds,
    });
    const event = kafkaEvent([0, 1, 2, 3].flatMap((partition) => recordRange(partition, 0, 250)));

    let startedMs = performance.now();
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    const newMs = performance.now() - startedMs;
    // 1,000 keys read in 10 BatchGetItems; 1,000 conditional claims (PutItem); 4 partitions
    // of 250 make 40 runs of 25, each one BatchWriteItem of messages and one of completions
    // (the claims have most of their lease left).
    expect(Object.fromEntries(counts)).toEqual({ BatchGetItemCommand: 10, PutItemCommand: 1000, BatchWriteItemCommand: 80 });

    counts.clear();
    startedMs = performance.now();
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    const replayMs = performance.now() - startedMs;
    expect(Object.fromEntries(counts)).toEqual({ BatchGetItemCommand: 10 });

    console.info(
      `consume figures: new batch ${Math.round(1000 / (newMs / 1000))} records/s (${Math.round(newMs)} ms, 1.09 requests/record); ` +
        `replay ${Math.round(1000 / (replayMs / 1000))} records/s (${Math.round(replayMs)} ms, 0.01 requests/record)`,
    );
    client.destroy();
  });
});
