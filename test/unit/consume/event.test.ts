import { describe, expect, it } from 'vitest';
import { decodeKafkaEvent, headerByte, type ConsumedRecord, type DecodedEvent } from '../../../lib/consume/event';
import { MalformedEventError } from '../../../lib/errors';
import { kafkaEvent, wireRecord } from '../../helpers/kafka-events';

// The sample events of the Lambda developer guide (with-msk.html and with-kafka.html).
const awsMskSample = {
  eventSource: 'aws:kafka',
  eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2',
  bootstrapServers: 'b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
  records: {
    'mytopic-0': [
      {
        topic: 'mytopic',
        partition: 0,
        offset: 15,
        timestamp: 1545084650987,
        timestampType: 'CREATE_TIME',
        key: 'abcDEFghiJKLmnoPQRstuVWXyz1234==',
        value: 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==',
        headers: [{ headerKey: [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101] }],
      },
    ],
  },
};

const awsSelfManagedSample = {
  eventSource: 'SelfManagedKafka',
  bootstrapServers: 'b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
  records: {
    'mytopic-0': [
      {
        topic: 'mytopic',
        partition: 0,
        offset: 15,
        timestamp: 1545084650987,
        timestampType: 'CREATE_TIME',
        key: 'cmVjb3JkS2V5',
        value: 'eyJrZXkiOiJ2YWx1ZSJ9',
        headers: [{ headerKey: [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101] }],
      },
    ],
  },
};

function onlyRecord(decoded: DecodedEvent): ConsumedRecord {
  const entry = decoded.partitions[0]?.entries[0];
  if (entry === undefined || !('record' in entry)) throw new Error('no decoded record');
  return entry.record;
}

type Mutable = { records: Record<string, Record<string, unknown>[]> };
function broken(mutate: (record: Record<string, unknown>) => void): unknown {
  const event = kafkaEvent([
    { partition: 2, offset: 0 },
    { partition: 2, offset: 1 },
  ]) as unknown as Mutable;
  mutate(event.records['orders-2']?.[1] as Record<string, unknown>);
  return event;
}

describe('decodeKafkaEvent', () => {
  it('decodes the AWS sample MSK event', () => {
    const decoded = decodeKafkaEvent(awsMskSample);
    expect(decoded.eventSource).toBe('aws:kafka');
    expect(decoded.partitions.map((p) => [p.partitionKey, p.topic, p.partition])).toEqual([['mytopic-0', 'mytopic', 0]]);
    const record = onlyRecord(decoded);
    expect(record).toMatchObject({ topic: 'mytopic', partition: 0, offset: 15, timestampMs: 1545084650987, timestampType: 'CREATE_TIME' });
    expect(record.value?.toString('utf8')).toBe('Hello, this is a test.');
    expect(record.key?.length).toBe(22);
    expect(record.headers.map((h) => [h.name, h.value?.toString('utf8')])).toEqual([['headerKey', 'headerValue']]);
  });

  it('decodes the AWS sample self-managed Kafka event', () => {
    const decoded = decodeKafkaEvent(awsSelfManagedSample);
    expect(decoded.eventSource).toBe('SelfManagedKafka');
    const record = onlyRecord(decoded);
    expect(record.key?.toString('utf8')).toBe('recordKey');
    expect(record.value?.toString('utf8')).toBe('{"key":"value"}');
    expect(record.headers.map((h) => [h.name, h.value?.toString('utf8')])).toEqual([['headerKey', 'headerValue']]);
  });

  it('keeps an absent or null key and value as null, repeated headers in order, and schema metadata', () => {
    const wire: Record<string, unknown> = {
      ...wireRecord({
        offset: 3,
        headerList: [
          { name: 'h', value: 'one' },
          { name: 'h', value: 'two' },
        ],
      }),
      key: null,
      valueSchemaMetadata: { dataFormat: 'AVRO', schemaId: '1234' },
      keySchemaMetadata: { dataFormat: 'JSON' },
    };
    delete wire.value;
    const record = onlyRecord(decodeKafkaEvent({ eventSource: 'aws:kafka', records: { 'orders-0': [wire] } }));
    expect(record.key).toBeNull();
    expect(record.value).toBeNull();
    expect(record.headers.map((h) => h.value?.toString('utf8'))).toEqual(['one', 'two']);
    expect(record.valueSchemaMetadata).toEqual({ dataFormat: 'AVRO', schemaId: '1234' });
    expect(record.keySchemaMetadata).toEqual({ dataFormat: 'JSON' });
  });

  it('reads {"name": null} as the null header value in its place, apart from an empty value', () => {
    const wire = { ...wireRecord({ offset: 0 }), headers: [{ h: [111, 110, 101] }, { 'trace-state': null }, { h: [] }, { h: null }] };
    const record = onlyRecord(decodeKafkaEvent({ eventSource: 'aws:kafka', records: { 'orders-0': [wire] } }));
    expect(record.headers).toStrictEqual([
      { name: 'h', value: Buffer.from('one') },
      { name: 'trace-state', value: null },
      { name: 'h', value: Buffer.alloc(0) },
      { name: 'h', value: null },
    ]);
  });

  it('accepts an empty header object (a null value whose name the event source left out) and keeps no header for it', () => {
    const wire = { ...wireRecord({ offset: 0 }), headers: [{ a: [49] }, {}, { b: [50] }] };
    const record = onlyRecord(decodeKafkaEvent({ eventSource: 'aws:kafka', records: { 'orders-0': [wire] } }));
    expect(record.headers).toStrictEqual([
      { name: 'a', value: Buffer.from('1') },
      { name: 'b', value: Buffer.from('2') },
    ]);
  });

  it.each([
    [-128, 0x80],
    [-61, 0xc3],
    [-1, 0xff],
    [0, 0],
    [127, 0x7f],
    [128, 0x80],
    [255, 0xff],
    [-129, undefined],
    [256, undefined],
    [1.5, undefined],
    [Number.NaN, undefined],
    ['7', undefined],
    [null, undefined],
  ])('reads header array element %s as byte %s', (element, byte) => {
    expect(headerByte(element)).toBe(byte);
  });

  it('sorts each partition by offset and drops a repeated offset', () => {
    const decoded = decodeKafkaEvent(kafkaEvent([{ offset: 9 }, { offset: 7 }, { offset: 9 }, { offset: 8 }]));
    expect(decoded.recordCount).toBe(3);
    expect(decoded.partitions[0]?.entries.map((e) => ('record' in e ? e.record.offset : -1))).toEqual([7, 8, 9]);
  });

  it.each([
    [null, 'event is not an object'],
    [[], 'event is not an object'],
    [{ eventSource: 'aws:sqs', records: {} }, 'eventSource is "aws:sqs", not "aws:kafka" or "SelfManagedKafka"'],
    [{ eventSource: 'aws:kafka' }, 'records is not an object'],
    [{ eventSource: 'aws:kafka', records: [] }, 'records is not an object'],
    [{ eventSource: 'aws:kafka', records: { 't-0': { offset: 1 } } }, 'records["t-0"] is not an array'],
    [{ eventSource: 'aws:kafka', records: { 't-0': [null] } }, 'records["t-0"][0] is not an object'],
    [{ eventSource: 'aws:kafka', records: { 't-0': [{ partition: 0, offset: 1 }] } }, 'records["t-0"][0].topic is not a non-empty string'],
    [
      { eventSource: 'aws:kafka', records: { 't-x': [{ topic: 't', partition: 'x', offset: 1 }] } },
      'records["t-x"][0].partition is not a non-negative integer',
    ],
    [{ eventSource: 'aws:kafka', records: { 't-0': [{ topic: 't', partition: 0, offset: -1 }] } }, 'records["t-0"][0].offset is not a non-negative integer'],
    [
      { eventSource: 'aws:kafka', records: { 't-0': [{ topic: 't', partition: 1, offset: 1 }] } },
      'records["t-0"][0] is topic "t" partition 1, not of group "t-0"',
    ],
  ])('throws for an unidentifiable event %#', (event, message) => {
    expect(() => decodeKafkaEvent(event)).toThrow(new MalformedEventError(message));
  });

  it.each([
    ['bad base64 value', (r: Record<string, unknown>) => (r.value = 'e30'), 'records["orders-2"][1].value is not base64'],
    ['padding only', (r: Record<string, unknown>) => (r.value = '===='), 'records["orders-2"][1].value is not base64'],
    ['key not a string', (r: Record<string, unknown>) => (r.key = 12), 'records["orders-2"][1].key is not base64'],
    ['headers not an array', (r: Record<string, unknown>) => (r.headers = {}), 'records["orders-2"][1].headers is not an array'],
    [
      'header value a string',
      (r: Record<string, unknown>) => (r.headers = [{ 'message-id': 'abc' }]),
      'records["orders-2"][1].headers[0]["message-id"] is not an array of bytes or null',
    ],
    [
      'header byte over 255',
      (r: Record<string, unknown>) => (r.headers = [{ h: [1, 999] }]),
      'records["orders-2"][1].headers[0]["h"][1] is not a byte (an integer from -128 to 255)',
    ],
    [
      'header byte under -128',
      (r: Record<string, unknown>) => (r.headers = [{ h: [-129] }]),
      'records["orders-2"][1].headers[0]["h"][0] is not a byte (an integer from -128 to 255)',
    ],
    [
      'header byte not an integer',
      (r: Record<string, unknown>) => (r.headers = [{ h: [1, 2, 3.5] }]),
      'records["orders-2"][1].headers[0]["h"][2] is not a byte (an integer from -128 to 255)',
    ],
    [
      'header byte a string',
      (r: Record<string, unknown>) => (r.headers = [{ h: ['1'] }]),
      'records["orders-2"][1].headers[0]["h"][0] is not a byte (an integer from -128 to 255)',
    ],
    [
      'header value an object',
      (r: Record<string, unknown>) => (r.headers = [{ a: [1] }, { h: {} }]),
      'records["orders-2"][1].headers[1]["h"] is not an array of bytes or null',
    ],
    [
      'header value a number',
      (r: Record<string, unknown>) => (r.headers = [{ h: 0 }]),
      'records["orders-2"][1].headers[0]["h"] is not an array of bytes or null',
    ],
    ['missing timestamp', (r: Record<string, unknown>) => delete r.timestamp, 'records["orders-2"][1].timestamp is not a number'],
    [
      'schema metadata not an object',
      (r: Record<string, unknown>) => (r.valueSchemaMetadata = 'AVRO'),
      'records["orders-2"][1].valueSchemaMetadata is not an object',
    ],
  ])('returns a malformed record for %s, keeping its neighbours', (_, mutate, message) => {
    const decoded = decodeKafkaEvent(broken(mutate));
    const [first, second] = decoded.partitions[0]?.entries ?? [];
    expect(first !== undefined && 'record' in first).toBe(true);
    expect(second).toEqual({ malformed: { topic: 'orders', partition: 2, offset: 1, error: new MalformedEventError(message) } });
  });

  it('reads prototype-looking group keys as data', () => {
    const event = JSON.parse(
      '{"eventSource":"aws:kafka","records":{"__proto__":[{"topic":"__proto__","partition":0,"offset":0}],"constructor":[]}}',
    ) as unknown;
    expect(() => decodeKafkaEvent(event)).toThrow('records["__proto__"][0] is topic "__proto__" partition 0, not of group "__proto__"');
  });
});

describe('decodeKafkaEvent: optional fields and edge shapes', () => {
  const single = (wire: Record<string, unknown>, group = 'orders-0') => decodeKafkaEvent({ eventSource: 'aws:kafka', records: { [group]: [wire] } });
  const malformedMessage = (decoded: DecodedEvent) => {
    const entry = decoded.partitions[0]?.entries[0];
    return entry !== undefined && 'malformed' in entry ? entry.malformed.error.message : undefined;
  };

  it('decodes a record without headers or schema metadata to exactly its fields', () => {
    const wire = wireRecord({ offset: 4, key: 'k', value: { a: 1 } });
    delete wire.headers;
    expect(onlyRecord(single(wire))).toStrictEqual({
      topic: 'orders',
      partition: 0,
      offset: 4,
      timestampMs: 1_700_000_000_004,
      timestampType: 'CREATE_TIME',
      key: Buffer.from('k'),
      value: Buffer.from('{"a":1}'),
      headers: [],
    });
  });

  it('reads null schema metadata and null metadata fields as absent', () => {
    const record = onlyRecord(single({ ...wireRecord({ offset: 1 }), keySchemaMetadata: null, valueSchemaMetadata: { dataFormat: null, schemaId: '7' } }));
    expect('keySchemaMetadata' in record).toBe(false);
    expect(record.valueSchemaMetadata).toStrictEqual({ schemaId: '7' });
  });

  it.each([
    ['a missing timestampType', { timestampType: undefined }, 'records["orders-0"][0].timestampType is not a string'],
    ['an empty timestampType', { timestampType: '' }, 'records["orders-0"][0].timestampType is not a string'],
    ['a NaN timestamp', { timestamp: Number.NaN }, 'records["orders-0"][0].timestamp is not a number'],
    ['an infinite timestamp', { timestamp: Number.POSITIVE_INFINITY }, 'records["orders-0"][0].timestamp is not a number'],
    ['a header that is not an object', { headers: [5] }, 'records["orders-0"][0].headers[0] is not an object'],
    ['a key schema that is not an object', { keySchemaMetadata: 'JSON' }, 'records["orders-0"][0].keySchemaMetadata is not an object'],
    ['a schema field that is not a string', { valueSchemaMetadata: { schemaId: 7 } }, 'records["orders-0"][0].valueSchemaMetadata.schemaId is not a string'],
  ])('reports %s as a malformed record', (_, fields, message) => {
    expect(malformedMessage(single({ ...wireRecord({ offset: 0 }), ...fields }))).toBe(message);
  });

  it.each([
    ['an empty topic', { topic: '' }, '-0', 'records["-0"][0].topic is not a non-empty string'],
    ['a fractional partition', { partition: 1.5 }, 'orders-1.5', 'records["orders-1.5"][0].partition is not a non-negative integer'],
    ['a partition given as text', { partition: '0' }, 'orders-0', 'records["orders-0"][0].partition is not a non-negative integer'],
    ['a negative partition', { partition: -1 }, 'orders--1', 'records["orders--1"][0].partition is not a non-negative integer'],
    ['an offset given as text', { offset: '4' }, 'orders-0', 'records["orders-0"][0].offset is not a non-negative integer'],
    ['an offset past the safe integers', { offset: 2 ** 53 }, 'orders-0', 'records["orders-0"][0].offset is not a non-negative integer'],
  ])('refuses an event whose record has %s', (_, fields, group, message) => {
    expect(() => single({ ...wireRecord({ offset: 0 }), ...fields }, group)).toThrow(new MalformedEventError(message));
  });

  it('keeps the first delivery of a repeated offset', () => {
    const decoded = decodeKafkaEvent(
      kafkaEvent([
        { offset: 5, value: 'first' },
        { offset: 5, value: 'second' },
      ]),
    );
    expect(onlyRecord(decoded).value?.toString()).toBe('"first"');
  });

  it('lets an error that is not about the event propagate instead of marking the record malformed', () => {
    const wire = wireRecord({ offset: 0 });
    Object.defineProperty(wire, 'timestamp', {
      enumerable: true,
      get: () => {
        throw new TypeError('not about the event');
      },
    });
    expect(() => single(wire)).toThrow(TypeError);
  });

  it.each([
    ['orders-2', { topic: 'orders', partition: 2 }],
    ['my-topic-10', { topic: 'my-topic', partition: 10 }],
    ['nodash', { topic: '', partition: Number.NaN }],
  ])('names an empty group %s by its key', (group, expected) => {
    expect(decodeKafkaEvent({ eventSource: 'aws:kafka', records: { [group]: [] } }).partitions).toEqual([{ partitionKey: group, ...expected, entries: [] }]);
  });
});
