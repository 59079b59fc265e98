/** `npm run table` against the real store: every item of a table, numbers digit for digit. */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { scanTable } from '../../../local/table-scan';
import { createTestTables, testConfig, testDynamo } from '../../helpers/infra';

describe('table scan', () => {
  // The store keeps a number's digits but not its trailing zeros (DynamoDB normalises numbers too).
  it('prints each item of a table as one JSON line, stopping at --limit', async () => {
    const config = testConfig();
    await createTestTables(config);
    const client = testDynamo();
    for (const id of ['a', 'b', 'c'])
      await client.send(
        new PutItemCommand({
          TableName: config.tables.messages,
          Item: { messageId: { S: id }, offset: { N: '12345678901234567890' }, value: { M: { amount: { N: '0.10' }, ok: { BOOL: true } } } },
        }),
      );

    const all: string[] = [];
    const printed = await scanTable({ client, table: config.tables.messages, write: (line) => all.push(line) });
    const limited: string[] = [];
    const printedWithLimit = await scanTable({ client, table: config.tables.messages, limit: 2, write: (line) => limited.push(line) });

    expect(printed).toBe(3);
    expect(all.sort()).toEqual([
      '{"messageId":"a","offset":12345678901234567890,"value":{"amount":0.1,"ok":true}}',
      '{"messageId":"b","offset":12345678901234567890,"value":{"amount":0.1,"ok":true}}',
      '{"messageId":"c","offset":12345678901234567890,"value":{"amount":0.1,"ok":true}}',
    ]);
    expect(printedWithLimit).toBe(2);
    expect(limited).toHaveLength(2);
  });
});
