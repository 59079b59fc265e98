/** The store contract (test/helpers/store-contract.ts) against DynamoIdempotencyStore on dynalite. */
import { beforeAll } from 'vitest';
import { DynamoIdempotencyStore } from '../../../lib/idempotency/dynamo-store';
import { createTestTables, testConfig, testDynamo } from '../../helpers/infra';
import { describeStoreContract } from '../../helpers/store-contract';

let store: DynamoIdempotencyStore | undefined;

beforeAll(async () => {
  const config = testConfig();
  const client = testDynamo();
  await createTestTables(config, client);
  store = new DynamoIdempotencyStore(client, config.tables.idempotency);
});

// dynalite does not return the item that failed a condition (ReturnValuesOnConditionCheckFailure);
// test/unit/idempotency/dynamo-store-sdk.test.ts covers DynamoDB's answer with a mocked client.
describeStoreContract('DynamoIdempotencyStore on dynalite', 'dynalite', () => ({ store: store as DynamoIdempotencyStore, returnsExisting: false }));
