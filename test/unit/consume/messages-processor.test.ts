import { describe, expect, it } from 'vitest';
import type { MessageItem, MessagesTable, PutOnceOutcome } from '../../../lib/dynamo/messages-table';
import type { ConsumedRecord } from '../../../lib/consume/event';
import { createMessagesProcessor } from '../../../lib/consume/messages-processor';
import { callerIdOf, messageIdOf, messageIdentityOf, NO_VERIFIED_CALLER, recordPayloadHash } from '../../../lib/consume/message-id';
import { fakeCallerCheck } from '../../helpers/caller-keys';
import { RunStoppedError, StoreUnavailableError, UnprocessableRecordError } from '../../../lib/errors';
import type { RunItem } from '../../../lib/consume/processor';
import { FakeClock } from './fake-store';

/** A messages table in an array that logs its calls (`putAll` with its message ids, `putOnce` with its one). */
class FakeTable implements MessagesTable {
  readonly items: MessageItem[] = [];
  readonly calls: string[] = [];
  /** Makes putAll refuse its request, as the store does for an item too large. */
  refuseBatches = false;
  /** Message ids whose putOnce throws `failure`. */
  readonly failing = new Map<string, Error>();
  async putOnce(item: MessageItem): Promise<PutOnceOutcome> {
    this.calls.push(`putOnce ${item.messageId}`);
    const failure = this.failing.get(item.messageId);
    if (failure !== undefined) throw failure;
    if (this.items.some((existing) => existing.messageId === item.messageId)) return 'already-written';
    this.items.push(item);
    return 'written';
  }
  async putAll(items: readonly MessageItem[]): Promise<void> {
    this.calls.push(`putAll ${items.map(({ messageId }) => messageId).join(',')}`);
    if (this.refuseBatches) throw new UnprocessableRecordError('messages table refused the request');
    for (const item of items) {
      const at = this.items.findIndex((existing) => existing.messageId === item.messageId);
      if (at === -1) this.items.push(item);
      else this.items[at] = item;
    }
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

const context = { messageId: 'm-1', invocationId: 'inv', earlierAttempt: false };

/** A run of records at offsets 40.. with message ids `ids`, values `values` (JSON `1` by default), an earlier attempt for the ids in `again`. */
function run(ids: string[], options: { again?: string[]; values?: Record<string, Buffer> } = {}): RunItem[] {
  return ids.map((messageId, i) => ({
    record: record({ offset: 40 + i, value: options.values?.[messageId] ?? Buffer.from('1') }),
    context: { messageId, invocationId: 'inv', earlierAttempt: options.again?.includes(messageId) ?? false },
  }));
}

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

  it('stamps each item with its expiry when a TTL is set, counted from its processing time', async () => {
    const table = new FakeTable();
    const processor = createMessagesProcessor(table, new FakeClock(1_800_000_000_500), { ttlSeconds: 2_592_000 });
    await processor.process(record(), context);
    await processor.processRun?.(run(['a', 'b']));
    // 1,800,000,000 s plus 30 days.
    expect(table.items.map((item) => item.expiresAtEpochSec)).toEqual([1_802_592_000, 1_802_592_000, 1_802_592_000]);
  });

  it("writes the caller as an attribute, and two callers' equal message ids as two items", async () => {
    const table = new FakeTable();
    const processor = createMessagesProcessor(table, new FakeClock(1_800_000_000_000));
    await processor.process(record(), { messageId: 'caller:YWxpY2U:same', callerId: 'alice', invocationId: 'inv', earlierAttempt: false });
    await processor.process(record(), { messageId: 'caller:Ym9i:same', callerId: 'bob', invocationId: 'inv', earlierAttempt: false });
    expect(table.items.map((item) => [item.messageId, item.callerId])).toEqual([
      ['caller:YWxpY2U:same', 'alice'],
      ['caller:Ym9i:same', 'bob'],
    ]);
    expect(table.items[0]).toMatchObject({ topic: 'orders', partition: 1, offset: 42, key: 'customer-7' });
  });

  it('leaves the caller out when the record has none', async () => {
    const table = new FakeTable();
    await createMessagesProcessor(table, new FakeClock()).process(record(), context);
    expect(table.items[0]).not.toHaveProperty('callerId');
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
    await expect(createMessagesProcessor(table, new FakeClock()).process(record({ value }), context)).rejects.toThrow(new UnprocessableRecordError(message));
    expect(table.items).toEqual([]);
  });
});

describe('messages processor, failures', () => {
  it("keeps the decoder's error as the cause of an invalid UTF-8 value", async () => {
    const error = await createMessagesProcessor(new FakeTable(), new FakeClock())
      .process(record({ value: Buffer.from([0xff]) }), context)
      .catch((caught: unknown) => caught);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });
});

describe('messages processor, runs', () => {
  it('writes a run of new messages with one putAll, in offset order', async () => {
    const table = new FakeTable();
    await createMessagesProcessor(table, new FakeClock()).processRun?.(run(['a', 'b', 'c']));
    expect(table.calls).toEqual(['putAll a,b,c']);
    expect(table.items.map(({ messageId, offset }) => [messageId, offset])).toEqual([
      ['a', 40],
      ['b', 41],
      ['c', 42],
    ]);
  });

  it('writes a message an earlier attempt may have written only if absent, keeping the item written first', async () => {
    const table = new FakeTable();
    const processor = createMessagesProcessor(table, new FakeClock(1_800_000_000_000));
    await processor.processRun?.(run(['a']));
    await processor.processRun?.(
      run(['a', 'b'], { again: ['a'], values: { a: Buffer.from('2') } }).map((item) => ({ ...item, record: { ...item.record, offset: 99 } })),
    );
    expect(table.calls).toEqual(['putAll a', 'putOnce a', 'putAll b']);
    expect(table.items.map(({ messageId, offset, value }) => [messageId, offset, value])).toEqual([
      ['a', 40, 1],
      ['b', 99, 1],
    ]);
  });

  it('stops a run at a value that is not JSON, the records before it written', async () => {
    const table = new FakeTable();
    const processor = createMessagesProcessor(table, new FakeClock());
    const attempt = processor.processRun?.(run(['a', 'b', 'c'], { values: { b: Buffer.from('oops') } }));
    await expect(attempt).rejects.toEqual(new RunStoppedError(1, new UnprocessableRecordError('value is not valid JSON')));
    await expect(attempt).rejects.toMatchObject({ applied: 1, cause: new UnprocessableRecordError('value is not valid JSON') });
    expect(table.items.map(({ messageId }) => messageId)).toEqual(['a']);
  });

  it('writes one at a time, each only if absent, when the store refuses the batch for an item, and stops at that item', async () => {
    const table = new FakeTable();
    table.refuseBatches = true;
    const tooLarge = new UnprocessableRecordError('messages table refused the item: Item size has exceeded the maximum allowed size');
    table.failing.set('b', tooLarge);
    const attempt = createMessagesProcessor(table, new FakeClock()).processRun?.(run(['a', 'b', 'c']));
    await expect(attempt).rejects.toMatchObject({ applied: 1, cause: tooLarge });
    expect(table.calls).toEqual(['putAll a,b,c', 'putOnce a', 'putOnce b']);
  });

  it('writes in offset order: each stretch of new messages together, each message written before only if absent', async () => {
    const table = new FakeTable();
    await createMessagesProcessor(table, new FakeClock()).processRun?.(run(['a', 'b', 'c', 'd', 'e'], { again: ['c', 'd'] }));
    expect(table.calls).toEqual(['putAll a,b', 'putOnce c', 'putOnce d', 'putAll e']);
  });

  it('stops the run at the first record of a batched write the store failed, the records before it written', async () => {
    const table = new FakeTable();
    const unavailable = new StoreUnavailableError('messages table: write failed');
    table.putAll = () => Promise.reject(unavailable);
    const processor = createMessagesProcessor(table, new FakeClock());
    await expect(processor.processRun?.(run(['a', 'b']))).rejects.toMatchObject({ applied: 0, cause: unavailable });
    await expect(processor.processRun?.(run(['a', 'b'], { again: ['a'] }))).rejects.toMatchObject({ applied: 1, cause: unavailable });
  });

  it('stops at a message written only if absent whose write failed', async () => {
    const table = new FakeTable();
    const unavailable = new StoreUnavailableError('messages table: put failed');
    table.failing.set('b', unavailable);
    const attempt = createMessagesProcessor(table, new FakeClock()).processRun?.(run(['a', 'b', 'c'], { again: ['b'] }));
    await expect(attempt).rejects.toMatchObject({ applied: 1, cause: unavailable });
  });

  it('throws the cause itself when called record by record', async () => {
    const table = new FakeTable();
    await expect(createMessagesProcessor(table, new FakeClock()).process(record({ value: Buffer.from('oops') }), context)).rejects.toEqual(
      new UnprocessableRecordError('value is not valid JSON'),
    );
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

  it('falls back to topic-partition-offset, not to an earlier header, when the last one is unusable', () => {
    expect(messageIdOf(record({ headers: [header('first'), header('')] }))).toBe('orders-1-42');
    expect(messageIdOf(record({ headers: [header('first'), { name: 'message-id', value: Buffer.from([0xff]) }] }))).toBe('orders-1-42');
  });

  it("reads a null message-id (Kafka's null header value) as unusable: the place, whether alone or last", () => {
    expect(messageIdOf(record({ headers: [{ name: 'message-id', value: null }] }))).toBe('orders-1-42');
    expect(messageIdOf(record({ headers: [header('first'), { name: 'message-id', value: null }] }))).toBe('orders-1-42');
  });

  it('takes a usable last message-id after a null one, and is not put off by null values of other headers', () => {
    expect(messageIdOf(record({ headers: [{ name: 'message-id', value: null }, header('last')] }))).toBe('last');
    expect(messageIdOf(record({ headers: [header('only'), { name: 'trace', value: null }] }))).toBe('only');
  });

  it('keeps an id of exactly 1 KiB, and hashes one a byte longer', () => {
    expect(messageIdOf(record({ headers: [header('m'.repeat(1024))] }))).toBe('m'.repeat(1024));
    expect(messageIdOf(record({ headers: [header('m'.repeat(1025))] }))).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
  });

  it('hashes an id longer than 1 KiB', () => {
    expect(messageIdOf(record({ headers: [header('m'.repeat(2000))] }))).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
  });
});

describe('callerIdOf', () => {
  const caller = (value: string | Buffer): { name: string; value: Buffer } => ({ name: 'x-caller-id', value: Buffer.from(value) });

  it.each([
    ['absent', [], undefined],
    ['a caller the check proves', [caller('ok:c-1')], 'c-1'],
    ['the last of two', [caller('ok:c-1'), caller('ok:c-2')], 'c-2'],
    ['one the check refuses (absent)', [caller('sha256:forged')], undefined],
    ['a proven one, then a refused last one (absent: the last header is the one read)', [caller('ok:c-1'), caller('forged')], undefined],
    ['empty (absent)', [caller('')], undefined],
    ['null, the check refusing it (absent)', [{ name: 'x-caller-id', value: null }], undefined],
    ['a proven one, then a null last one (absent)', [caller('ok:c-1'), { name: 'x-caller-id', value: null }], undefined],
  ])('reads %s', (_, headers, expected) => {
    expect(callerIdOf(record({ headers }), fakeCallerCheck)).toBe(expected);
  });

  it('hands the check the header bytes and the record', () => {
    const seen: [string, number][] = [];
    const withHeader = record({ headers: [caller('ok:c-1')] });
    callerIdOf(withHeader, (header, checked) => {
      seen.push([header?.toString('utf8') ?? 'null', checked.offset]);
      return undefined;
    });
    expect(seen).toEqual([['ok:c-1', withHeader.offset]]);
  });

  it("hands the check a null caller header as null, Kafka's null value, not as empty bytes", () => {
    const seen: (Buffer | null)[] = [];
    callerIdOf(record({ headers: [{ name: 'x-caller-id', value: null }] }), (header) => {
      seen.push(header);
      return 'proven';
    });
    expect(seen).toEqual([null]);
  });

  it('proves no caller under NO_VERIFIED_CALLER', () => {
    expect(callerIdOf(record({ headers: [caller('ok:c-1')] }), NO_VERIFIED_CALLER)).toBeUndefined();
  });
});

describe('messageIdentityOf', () => {
  const h = (name: string, value: string): { name: string; value: Buffer } => ({ name, value: Buffer.from(value) });

  it.each([
    ['no caller: the bare message id', [h('message-id', 'm-1')], { messageId: 'm-1' }],
    ['no headers: the position', [], { messageId: 'orders-1-42' }],
    // "caller-1" in base64url is Y2FsbGVyLTE.
    [
      'a proven caller qualifies the id',
      [h('message-id', 'm-1'), h('x-caller-id', 'ok:caller-1')],
      { messageId: 'caller:Y2FsbGVyLTE:m-1', callerId: 'caller-1' },
    ],
    // "a:b" in base64url is YTpi: a colon in the caller cannot shift the split.
    ['a caller with a colon', [h('message-id', 'm-1'), h('x-caller-id', 'ok:a:b')], { messageId: 'caller:YTpi:m-1', callerId: 'a:b' }],
    ['an unproven caller leaves the bare id', [h('message-id', 'm-1'), h('x-caller-id', 'sha256:forged')], { messageId: 'm-1' }],
    ['an empty caller is absent', [h('message-id', 'm-1'), h('x-caller-id', '')], { messageId: 'm-1' }],
  ])('%s', (_, headers, expected) => {
    expect(messageIdentityOf(record({ headers }), fakeCallerCheck)).toEqual(expected);
  });

  it('gives two callers with one message id two identities', () => {
    const one = messageIdentityOf(record({ headers: [h('message-id', 'same'), h('x-caller-id', 'ok:alice')] }), fakeCallerCheck);
    const two = messageIdentityOf(record({ headers: [h('message-id', 'same'), h('x-caller-id', 'ok:bob')] }), fakeCallerCheck);
    expect(one.messageId).not.toBe(two.messageId);
  });
});

describe('recordPayloadHash', () => {
  it.each([
    ['another value', { key: Buffer.from('k'), value: Buffer.from('2') }],
    ['another key', { key: Buffer.from('j'), value: Buffer.from('1') }],
    ['no key', { key: null, value: Buffer.from('1') }],
    ['a tombstone', { key: Buffer.from('k'), value: null }],
    ['an empty value', { key: Buffer.from('k'), value: Buffer.alloc(0) }],
    ['the key moved into the value', { key: null, value: Buffer.from('k1') }],
  ])('differs for %s', (_, other) => {
    expect(recordPayloadHash(other)).not.toBe(recordPayloadHash({ key: Buffer.from('k'), value: Buffer.from('1') }));
  });

  it('is the same for the same key and value, whatever the headers', () => {
    expect(recordPayloadHash(record({ headers: [{ name: 'a', value: Buffer.from('1') }] }))).toBe(recordPayloadHash(record()));
  });

  it('is SHA-256 of the JSON pair of base64 key and value, base64url', () => {
    // sha256('["aw==","dg=="]') in base64url, worked out with sha256sum.
    expect(recordPayloadHash({ key: Buffer.from('k'), value: Buffer.from('v') })).toBe('qcs-QhctIxuIWz2ell4-25QVuJCHYY2Gl8g-dj32XTY');
  });
});
