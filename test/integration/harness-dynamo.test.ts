import { describe, expect, it } from 'vitest';
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createTestTables, testConfig, testDynamo } from '../helpers/infra';

describe('test harness: DynamoDB-compatible store', () => {
  it('creates the project tables and honours a conditional write', async () => {
    const config = testConfig();
    const client = testDynamo();
    await createTestTables(config, client);
    const put = (owner: string) =>
      client.send(
        new PutItemCommand({
          TableName: config.tables.idempotency,
          Item: { id: { S: 'key-1' }, owner: { S: owner } },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );

    await put('first');
    await expect(put('second')).rejects.toBeInstanceOf(ConditionalCheckFailedException);

    const { Item } = await client.send(new GetItemCommand({ TableName: config.tables.idempotency, Key: { id: { S: 'key-1' } } }));
    expect(Item).toEqual({ id: { S: 'key-1' }, owner: { S: 'first' } });
  });
});
