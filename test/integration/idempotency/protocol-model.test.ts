/**
 * A sample of the model-based tests (test/model/) against DynamoIdempotencyStore on dynalite:
 * the same generated histories, with the real store's conditions and items. Each history has
 * its own key scope on one table. dynalite does not return the item that failed a claim's
 * condition, whatever the history asks.
 */
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { DynamoIdempotencyStore } from '../../../lib/idempotency/dynamo-store';
import { createTestTables, testConfig, testDynamo, uniqueName } from '../../helpers/infra';
import { consumeProtocolProperty } from '../../model/consume-model';
import { produceIdempotencyProperty } from '../../model/produce-model';

// Each history costs dynalite a few dozen requests: a sample, not the search (npm run chaos).
const HISTORIES = 100;

let store: DynamoIdempotencyStore | undefined;

beforeAll(async () => {
  const config = testConfig();
  const client = testDynamo();
  await createTestTables(config, client);
  store = new DynamoIdempotencyStore(client, config.tables.idempotency);
});

describe('the model-based tests against DynamoIdempotencyStore on dynalite (a sample)', () => {
  it('keeps the consume claim protocol in generated histories', { timeout: 120_000 }, async () => {
    await fc.assert(
      consumeProtocolProperty(async () => ({ store: store as DynamoIdempotencyStore, scope: uniqueName('model') })),
      { numRuns: HISTORIES },
    );
  });

  it('keeps the produce Idempotency-Key in generated histories', { timeout: 120_000 }, async () => {
    await fc.assert(
      produceIdempotencyProperty(async () => ({ store: store as DynamoIdempotencyStore, scope: uniqueName('orders') })),
      { numRuns: HISTORIES },
    );
  });
});
