import { describe, expect, it } from 'vitest';
import { RecordsNotAcknowledgedError } from '../../../lib/errors';
import { recordOutcomes } from '../../../lib/produce/command';
import { produceResponseBody, produceResponseText } from '../../../lib/produce/response';
import { withMessageIds } from '../../../lib/produce/message-id';

describe('recordOutcomes', () => {
  it('adds each record position within its partition to that partition base offset', () => {
    const offsets = recordOutcomes(
      [1, 0, 1, 2, 1],
      [
        { partition: 0, baseOffset: 10n },
        { partition: 1, baseOffset: 4n },
        { partition: 2, baseOffset: 0n },
      ],
      () => new RecordsNotAcknowledgedError('unused'),
    );
    expect(offsets.map((entry) => [entry.partition, entry.offset])).toEqual([
      [1, 4],
      [0, 10],
      [1, 5],
      [2, 0],
      [1, 6],
    ]);
  });

  it('keeps offsets beyond 32 bits exact', () => {
    const [, second] = recordOutcomes([0, 0], [{ partition: 0, baseOffset: 8_589_934_591n }], () => new RecordsNotAcknowledgedError('unused'));
    expect(second?.offset).toBe(8_589_934_592);
  });

  it('marks records of a partition without acknowledgement as failed, with null partition and offset', () => {
    const offsets = recordOutcomes([0, 1], [{ partition: 0, baseOffset: 3n }], (partition) => new RecordsNotAcknowledgedError(`p${partition}`));
    expect(offsets).toEqual([
      { partition: 0, offset: 3, error: null },
      { partition: null, offset: null, error: new RecordsNotAcknowledgedError('p1') },
    ]);
  });
});

describe('produceResponseBody', () => {
  it('wraps the entries in the REST Proxy envelope, without schema ids', () => {
    const offsets = [{ partition: 1, offset: 17, error_code: null, error: null }];
    expect(produceResponseBody(offsets)).toStrictEqual({
      key_schema_id: null,
      value_schema_id: null,
      offsets: [{ partition: 1, offset: 17, error_code: null, error: null }],
    });
  });
});

describe('produceResponseText', () => {
  it('writes the REST Proxy body as JSON.stringify would, acknowledged and failed entries alike', () => {
    const text = produceResponseText([
      { partition: 1, offset: 17, error_code: null, error: null },
      { partition: 0, offset: 8_589_934_592, error_code: null, error: null },
      { partition: null, offset: null, error_code: 50003, error: 'Kafka did not acknowledge "p1"; retry later' },
    ]);
    expect(text).toBe(
      '{"key_schema_id":null,"value_schema_id":null,"offsets":[{"partition":1,"offset":17,"error_code":null,"error":null},' +
        '{"partition":0,"offset":8589934592,"error_code":null,"error":null},' +
        '{"partition":null,"offset":null,"error_code":50003,"error":"Kafka did not acknowledge \\"p1\\"; retry later"}]}',
    );
    expect(JSON.parse(text)).toEqual({
      key_schema_id: null,
      value_schema_id: null,
      offsets: [
        { partition: 1, offset: 17, error_code: null, error: null },
        { partition: 0, offset: 8_589_934_592, error_code: null, error: null },
        { partition: null, offset: null, error_code: 50003, error: 'Kafka did not acknowledge "p1"; retry later' },
      ],
    });
  });
});

describe('produceResponseText: entries of other shapes', () => {
  it('writes an entry with an error code but no message, or a message but no code, as JSON.stringify would', () => {
    const text = produceResponseText([
      { partition: 2, offset: 5, error_code: 50002, error: null },
      { partition: 2, offset: 6, error_code: null, error: 'late' },
    ]);
    expect(text).toBe(
      '{"key_schema_id":null,"value_schema_id":null,"offsets":[{"partition":2,"offset":5,"error_code":50002,"error":null},' +
        '{"partition":2,"offset":6,"error_code":null,"error":"late"}]}',
    );
  });
});

describe('withMessageIds', () => {
  const record = (headers: { name: string; value: Buffer }[] = []) => ({ key: null, value: Buffer.from('v'), headers });
  const ids = (records: ReturnType<typeof withMessageIds>) => records.map((r) => r.headers.find((h) => h.name === 'message-id')?.value?.toString());

  it('keeps the client message-id header', () => {
    const records = withMessageIds([record([{ name: 'message-id', value: Buffer.from('mine') }])], 'key', () => 'fresh');
    expect(ids(records)).toEqual(['mine']);
    expect(records[0]?.headers).toHaveLength(1);
  });

  it('derives <Idempotency-Key>:<index> when a key is given', () => {
    expect(ids(withMessageIds([record(), record()], 'order-7', () => 'fresh'))).toEqual(['order-7:0', 'order-7:1']);
  });

  it('uses a fresh id per record otherwise', () => {
    let n = 0;
    expect(ids(withMessageIds([record(), record()], undefined, () => `id-${(n += 1)}`))).toEqual(['id-1', 'id-2']);
  });
});
