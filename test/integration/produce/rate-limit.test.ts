/**
 * The per-caller rate limit against the DynamoDB-compatible store: one conditional update per
 * request on the idempotency table, under `ratelimit:` keys; one caller's burst is refused
 * while another caller is served.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoRequestCounter } from '../../../lib/dynamo/request-counter';
import { silentLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { FakeClock } from '../../helpers/fake-clock';
import { asCaller, iamAuthorizer, produceEvent } from '../../helpers/http-events';
import { createTestTables, createTestTopic, testConfig, testDynamo } from '../../helpers/infra';
import { heldToOpenApi } from '../../helpers/openapi';

describe('the per-caller rate limit on the store', () => {
  it("refuses one caller's burst over its rate with 429 and Retry-After while another caller is served, and serves it again the next second", async () => {
    const topic = await createTestTopic('rate-limit', 1);
    const config = testConfig({ PRODUCE_RATE_LIMIT_PER_SEC: '3' });
    await createTestTables(config);
    // A fixed second, so that the whole burst falls in one window whatever the machine's speed.
    const clock = new FakeClock(1_800_000_000_100);
    const runtime = heldToOpenApi(createProduceRuntime(config, { logger: silentLogger, clock }));
    const as = (name: string) =>
      asCaller(
        produceEvent(topic, { records: [{ value: { from: name } }] }),
        iamAuthorizer(`arn:aws:iam::123456789012:user/${name}`, `AIDAEXAMPLE${name.toUpperCase()}`),
      );
    try {
      const alice = await Promise.all(Array.from({ length: 6 }, () => runtime.handler(as('alice'))));
      const bob = await Promise.all(Array.from({ length: 3 }, () => runtime.handler(as('bob'))));
      expect(alice.map((result) => result.statusCode).sort()).toEqual([200, 200, 200, 429, 429, 429]);
      expect(bob.map((result) => result.statusCode)).toEqual([200, 200, 200]);
      const refused = alice.find((result) => result.statusCode === 429);
      expect(refused?.headers).toMatchObject({ 'Retry-After': '1' });
      expect(JSON.parse(refused?.body as string)).toEqual({ error_code: 42901, message: 'more than 3 requests per second from this caller; retry after 1 s' });

      clock.nowValueMs += 1_000;
      expect((await runtime.handler(as('alice'))).statusCode).toBe(200);
    } finally {
      await runtime.close();
    }
    // One item per caller and second, counting what it let through, with the table's TTL attribute.
    const { Items = [] } = await testDynamo().send(new ScanCommand({ TableName: config.tables.idempotency, ConsistentRead: true }));
    // printf 'iam:AIDAEXAMPLEALICE' | sha256sum, and the same for bob.
    expect(Items.map((item) => [item.id?.S, item.requests?.N, item.expiresAtEpochSec?.N]).sort()).toEqual([
      ['ratelimit:sha256:52bb9314aaed7ee64c42819cede4206be40e8de4baff18b4e4c0c730c4115196:1800000000', '3', '1800000060'],
      ['ratelimit:sha256:52bb9314aaed7ee64c42819cede4206be40e8de4baff18b4e4c0c730c4115196:1800000001', '1', '1800000061'],
      ['ratelimit:sha256:b17aa054d85fe96b972016d8e18ea988ef47dc23e369223603c2326d16ab9e69:1800000000', '3', '1800000060'],
    ]);
  });

  it('never counts past the limit under concurrent updates: each is one conditional UpdateItem', async () => {
    const config = testConfig();
    await createTestTables(config);
    const counter = new DynamoRequestCounter(testDynamo(), config.tables.idempotency);
    const taken = await Promise.all(Array.from({ length: 20 }, () => counter.take('ratelimit:sha256:x:1', 7, 100)));
    expect(taken.filter(Boolean)).toHaveLength(7);
    const { Items = [] } = await testDynamo().send(new ScanCommand({ TableName: config.tables.idempotency, ConsistentRead: true }));
    expect(Items.map((item) => item.requests?.N)).toEqual(['7']);
  });
});
