import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoMessagesTable, type MessageItem } from '../../../lib/dynamo/messages-table';
import { UnprocessableRecordError } from '../../../lib/errors';
import { parseJsonExact } from '../../../lib/json-numbers';
import { createTestTables, testConfig, testDynamo } from '../../helpers/infra';
import { scanAll } from '../consume/store-helpers';

const PROCESSED_AT = '2027-01-15T08:00:00.000Z';

/** Message `m-<offset>` of orders-<offset mod 3>, value `{ n: offset }`; even offsets have a key. */
function message(offset: number): MessageItem {
  return {
    messageId: `m-${offset}`,
    topic: 'orders',
    partition: offset % 3,
    offset,
    ...(offset % 2 === 0 ? { key: `k-${offset}` } : {}),
    value: { n: offset },
    processedAt: PROCESSED_AT,
  };
}

describe('DynamoMessagesTable against the store', () => {
  const client = testDynamo();
  let tableName: string;
  let table: DynamoMessagesTable;

  beforeAll(async () => {
    const config = testConfig();
    await createTestTables(config, client);
    tableName = config.tables.messages;
    table = new DynamoMessagesTable(client, tableName);
  });

  async function stored(): Promise<Map<string, Record<string, unknown>>> {
    return new Map((await scanAll(client, tableName)).map((item) => [String(item.messageId), item]));
  }

  it('writes 30 messages with putAll (two requests), overwriting one written before', async () => {
    expect(await table.putOnce({ messageId: 'm-5', topic: 'orders', partition: 2, offset: 5, value: 'earlier', processedAt: '2027-01-15T07:00:00.000Z' })).toBe(
      'written',
    );
    await table.putAll(Array.from({ length: 30 }, (_, offset) => message(offset)));

    const items = await stored();
    expect(items.size).toBe(30);
    expect([...items.keys()].sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)))).toEqual(
      // biome-ignore format: one line per ten ids
      [
        'm-0', 'm-1', 'm-2', 'm-3', 'm-4', 'm-5', 'm-6', 'm-7', 'm-8', 'm-9',
        'm-10', 'm-11', 'm-12', 'm-13', 'm-14', 'm-15', 'm-16', 'm-17', 'm-18', 'm-19',
        'm-20', 'm-21', 'm-22', 'm-23', 'm-24', 'm-25', 'm-26', 'm-27', 'm-28', 'm-29',
      ],
    );
    expect(items.get('m-0')).toEqual({ messageId: 'm-0', topic: 'orders', partition: 0, offset: 0, key: 'k-0', value: { n: 0 }, processedAt: PROCESSED_AT });
    expect(items.get('m-5')).toEqual({ messageId: 'm-5', topic: 'orders', partition: 2, offset: 5, value: { n: 5 }, processedAt: PROCESSED_AT });
    expect(items.get('m-24')).toEqual({
      messageId: 'm-24',
      topic: 'orders',
      partition: 0,
      offset: 24,
      key: 'k-24',
      value: { n: 24 },
      processedAt: PROCESSED_AT,
    });
    expect(items.get('m-25')).toEqual({ messageId: 'm-25', topic: 'orders', partition: 1, offset: 25, value: { n: 25 }, processedAt: PROCESSED_AT });
    expect(items.get('m-29')).toEqual({ messageId: 'm-29', topic: 'orders', partition: 2, offset: 29, value: { n: 29 }, processedAt: PROCESSED_AT });
    // putOnce still refuses what putAll wrote.
    expect(await table.putOnce(message(29))).toBe('already-written');
  });

  it('stores the caller and a value of every JSON kind', async () => {
    await table.putAll([
      {
        messageId: 'caller:YQ:kinds',
        callerId: 'a',
        topic: 'orders',
        partition: 1,
        offset: 100,
        value: { text: '', list: [], nested: { flag: true, none: null, n: -1.5 } },
        processedAt: PROCESSED_AT,
      },
    ]);
    expect((await stored()).get('caller:YQ:kinds')).toEqual({
      messageId: 'caller:YQ:kinds',
      callerId: 'a',
      topic: 'orders',
      partition: 1,
      offset: 100,
      value: { text: '', list: [], nested: { flag: true, none: null, n: -1.5 } },
      processedAt: PROCESSED_AT,
    });
  });

  it('stores the expiry as a number, the type DynamoDB TTL reads', async () => {
    await table.putAll([{ ...message(150), expiresAtEpochSec: 1_802_592_000 }]);
    expect(await table.putOnce({ ...message(151), expiresAtEpochSec: 1_802_592_001 })).toBe('written');
    const items = await stored();
    expect(items.get('m-150')).toMatchObject({ messageId: 'm-150', expiresAtEpochSec: 1_802_592_000 });
    expect(items.get('m-151')).toMatchObject({ messageId: 'm-151', expiresAtEpochSec: 1_802_592_001 });
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { messageId: { S: 'm-150' } }, ConsistentRead: true }));
    expect(Item?.expiresAtEpochSec).toEqual({ N: '1802592000' });
  });

  it('writes nothing when one value cannot be stored', async () => {
    const before = (await stored()).size;
    const items = [message(200), { ...message(201), value: { n: Number.POSITIVE_INFINITY } }];
    await expect(table.putAll(items)).rejects.toBeInstanceOf(UnprocessableRecordError);
    expect((await stored()).size).toBe(before);
  });

  it('refuses a request holding an item larger than DynamoDB allows, writing none of its items', async () => {
    const before = (await stored()).size;
    const items = [message(300), { ...message(301), value: { blob: 'x'.repeat(450_000) } }];
    await expect(table.putAll(items)).rejects.toBeInstanceOf(UnprocessableRecordError);
    expect((await stored()).size).toBe(before);
  });

  it("stores numbers as written, up to DynamoDB's 38 significant digits, and refuses one past them for its item", async () => {
    const value = parseJsonExact('{"big":12345678901234567890,"list":[-9007199254740993,0.12345678901234567890123456789012345678],"small":1.5}');
    await table.putAll([{ messageId: 'numbers', topic: 'orders', partition: 0, offset: 1, value, processedAt: PROCESSED_AT }]);
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { messageId: { S: 'numbers' } } }));
    expect(Item?.value).toEqual({
      M: {
        big: { N: '12345678901234567890' },
        list: { L: [{ N: '-9007199254740993' }, { N: '0.12345678901234567890123456789012345678' }] },
        small: { N: '1.5' },
      },
    });
    const tooLong = parseJsonExact('{"n":123456789012345678901234567890123456789}');
    await expect(
      table.putOnce({ messageId: 'too-long', topic: 'orders', partition: 0, offset: 2, value: tooLong, processedAt: PROCESSED_AT }),
    ).rejects.toBeInstanceOf(UnprocessableRecordError);
  });
});
