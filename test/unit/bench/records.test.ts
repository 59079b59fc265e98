import { describe, expect, it } from 'vitest';
import { makeRecords, mskEvent, produceRequestBody } from '../../../bench/records';

describe('bench records', () => {
  it('makes records with distinct message ids and JSON values', () => {
    const records = makeRecords(3, 'x');
    expect(new Set(records.map((record) => record.messageId)).size).toBe(3);
    expect(records.map((record) => record.key)).toEqual(['x-0', 'x-1', 'x-2']);
    expect(JSON.parse(records[2]?.valueJson ?? '')).toMatchObject({ index: 2, label: 'x', amountCents: 1002 });
  });

  it('spreads records round-robin over partitions with ascending offsets from the first offset', () => {
    const event = mskEvent('orders', 2, makeRecords(5, 'y'), 10);
    expect(Object.keys(event.records)).toEqual(['orders-0', 'orders-1']);
    expect(event.records['orders-0']?.map((record) => record.offset)).toEqual([10, 11, 12]);
    expect(event.records['orders-1']?.map((record) => record.offset)).toEqual([10, 11]);
    expect(event.records['orders-1']?.map((record) => Buffer.from(record.key, 'base64').toString())).toEqual(['y-1', 'y-3']);
  });

  it('carries the message id as a header of byte values, as the event source mapping does', () => {
    const [record] = makeRecords(1, 'z');
    const event = mskEvent('t', 1, record === undefined ? [] : [record]);
    const header = event.records['t-0']?.[0]?.headers[0]?.['message-id'] ?? [];
    expect(Buffer.from(header).toString()).toBe(record?.messageId);
  });

  it('writes a REST Proxy v2 body with the message id as a base64 header', () => {
    const [record] = makeRecords(1, 'w');
    const body = JSON.parse(produceRequestBody(record === undefined ? [] : [record])) as {
      records: { key: string; value: { index: number }; headers: { name: string; value: string }[] }[];
    };
    expect(body.records[0]?.key).toBe('w-0');
    expect(body.records[0]?.value.index).toBe(0);
    expect(body.records[0]?.headers).toEqual([{ name: 'message-id', value: Buffer.from(record?.messageId ?? '').toString('base64') }]);
  });
});
