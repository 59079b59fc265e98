import { describe, expect, it } from 'vitest';
import type { MessageItem, MessagesTable, PutOnceOutcome } from '../../../lib/dynamo/messages-table';
import type { ConsumedRecord } from '../../../lib/consume/event';
import { createMessagesProcessor } from '../../../lib/consume/messages-processor';
import { messageIdOf } from '../../../lib/consume/message-id';
import { UnprocessableRecordError } from '../../../lib/errors';
import { FakeClock } from './fake-store';

class FakeTable implements MessagesTable {
  readonly items: MessageItem[] = [];
  async putOnce(item: MessageItem): Promise<PutOnceOutcome> {
    if (this.items.some((existing) => existing.messageId === item.messageId)) return 'already-written';
    this.items.push(item);
    return 'written';
  }
}

function record(overrides: Partial<ConsumedRecord> = {}): ConsumedRecord {
  return {
    topic: 'orders',
    partition: 1,
    offset: 42,
    timestampMs: 1_700_000_000_000,
    timestampType: 'CREATE_TIME',
    key: Buffer.from('customer-7'),
    value: Buffer.from('{"total":12.5,"items":[],"note":""}'),
    headers: [],
    ...overrides,
  };
}

const context = { messageId: 'm-1', invocationId: 'inv' };

describe('messages processor', () => {
  it('writes the parsed value with its position, key and processing time', async () => {
    const table = new FakeTable();
    await createMessagesProcessor(table, new FakeClock(1_800_000_000_000)).process(record(), context);
    expect(table.items).toEqual([
      {
        messageId: 'm-1',
        topic: 'orders',
        partition: 1,
        offset: 42,
        key: 'customer-7',
        value: { total: 12.5, items: [], note: '' },
        processedAt: '2027-01-15T08:00:00.000Z',
      },
    ]);
  });

  it('leaves the key out when the record has none', async () => {
    const table = new FakeTable();
    await createMessagesProcessor(table, new FakeClock()).process(record({ key: null, value: Buffer.from('null') }), context);
    expect(table.items[0]).not.toHaveProperty('key');
    expect(table.items[0]?.value).toBeNull();
  });

  it.each([
    ['text', Buffer.from('hello, world'), 'value is not valid JSON'],
    ['empty', Buffer.alloc(0), 'value is not valid JSON'],
    ['UTF-16', Buffer.from('{"a":1}', 'utf16le'), 'value is not valid JSON'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 'value is not valid UTF-8'],
    ['a tombstone', null, 'value is absent (tombstone), not JSON'],
  ])('fails a value that is %s without quoting it', async (_, value, message) => {
    const table = new FakeTable();
    await expect(createMessagesProcessor(table, new FakeClock()).process(record({ value }), context)).rejects.toThrow(
      new UnprocessableRecordError(message),
    );
    expect(table.items).toEqual([]);
  });
});

describe('messageIdOf', () => {
  const header = (value: string): { name: string; value: Buffer } => ({ name: 'message-id', value: Buffer.from(value) });

  it('takes the last message-id header', () => {
    expect(messageIdOf(record({ headers: [header('first'), { name: 'other', value: Buffer.from('x') }, header('last')] }))).toBe('last');
  });

  it('falls back to topic-partition-offset without a usable header', () => {
    expect(messageIdOf(record())).toBe('orders-1-42');
    expect(messageIdOf(record({ headers: [header('')] }))).toBe('orders-1-42');
  });

  it('hashes an id longer than 1 KiB', () => {
    expect(messageIdOf(record({ headers: [header('m'.repeat(2000))] }))).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
  });
});
