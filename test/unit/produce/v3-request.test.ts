/** Reading REST Proxy v3 records: one record, several one after another, and batches. */
import { describe, expect, it } from 'vitest';
import {
  type AppError,
  BodyNotJsonError,
  ClusterNotFoundError,
  InvalidBatchError,
  PartitionNotFoundError,
  PayloadTooLargeError,
  SchemaArgumentsError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../../lib/errors';
import type { RecordSlot } from '../../../lib/produce/command';
import type { HttpRequest } from '../../../lib/produce/route';
import { readV3BatchRequest, readV3RecordsRequest, type V3ReadContext } from '../../../lib/produce/v3-request';
import type { ProduceRecord } from '../../../lib/produce/validation';

const NOW_MS = 1_800_000_000_000;
const context: V3ReadContext = { limits: { maxRecordsPerRequest: 3, maxRequestBytes: 2_000 }, clusterId: async () => 'cluster-1', nowMs: () => NOW_MS };

function request(body: string, { cluster = 'cluster-1', contentType = 'application/json', batch = false } = {}): HttpRequest {
  return {
    route: {
      method: 'POST',
      path: batch ? '/v3/clusters/{cluster_id}/topics/{topic_name}/records:batch' : '/v3/clusters/{cluster_id}/topics/{topic_name}/records',
      operation: batch ? 'produceRecordsBatch' : 'produceRecords',
      api: 'v3',
    },
    params: { cluster_id: cluster, topic_name: 'orders' },
    contentType,
    idempotencyKey: undefined,
    body: Buffer.from(body, 'utf8'),
    authorizer: undefined,
    baseUrl: 'https://api.example.com',
  };
}

/** The slots of a body, read and encoded as the service does. */
async function read(body: string, options = {}): Promise<RecordSlot[]> {
  const command = readV3RecordsRequest(request(body, options), context);
  const slots = await command.read();
  return command.encode === undefined ? slots : command.encode(slots, new AbortController().signal);
}
const text = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString('utf8'));

describe('readV3RecordsRequest', () => {
  it('reads one record: JSON kept as written, STRING as UTF-8, BINARY decoded, headers in order, partition and timestamp', async () => {
    const [slot] = await read(
      '{"partition_id": 2, "key": {"type": "STRING", "data": "k\\u00e9"}, "value": {"type": "JSON", "data": {"n": 1.50, "big": 12345678901234567890}}, "headers": [{"name": "h", "value": "MQ=="}, {"name": "h", "value": "Mg=="}], "timestamp": "2021-02-05T19:14:42.250Z"}',
    );
    const record = slot as ProduceRecord;
    expect(text(record.key)).toBe('ké');
    expect(text(record.value)).toBe('{"n":1.50,"big":12345678901234567890}');
    expect(record.headers.map((header) => [header.name, header.value?.toString()])).toEqual([
      ['h', '1'],
      ['h', '2'],
    ]);
    expect(record.partition).toBe(2);
    expect(record.timestampMs).toBe(1_612_552_482_250);
  });

  it('reads 29 February of a leap year and a time with an offset', async () => {
    const [leap] = await read('{"value": {"type": "STRING", "data": "x"}, "timestamp": "2024-02-29T23:59:59Z"}');
    const [offset] = await read('{"value": {"type": "STRING", "data": "x"}, "timestamp": "2021-02-05T20:14:42+01:00"}');
    expect((leap as ProduceRecord).timestampMs).toBe(1_709_251_199_000);
    expect((offset as ProduceRecord).timestampMs).toBe(1_612_552_482_000);
  });

  it('decodes BINARY strictly, takes the time of reading when no timestamp is given, and leaves an absent key null', async () => {
    const [slot] = await read('{"value": {"type": "BINARY", "data": "AP8H"}}');
    const record = slot as ProduceRecord;
    expect([...(record.value ?? [])]).toEqual([0, 255, 7]);
    expect(record.key).toBeNull();
    expect(record.timestampMs).toBe(NOW_MS);
    expect(record.partition).toBeUndefined();
  });

  it('reads several records one after another, with or without whitespace between them', async () => {
    const slots = await read('{"value":{"type":"STRING","data":"a"}}{"value":{"type":"STRING","data":"b"}}\r\n {"value":{"type":"JSON","data":null}}');
    expect(slots.map((slot) => text((slot as ProduceRecord).value))).toEqual(['a', 'b', null]);
  });

  it.each([
    ['a value that is not an object', '{"value": "x"}', new ValidationError('value: must be an object {"type", "data"}')],
    ['a record that is not an object', '[1]', new ValidationError('record: must be an object')],
    ['an unknown field', '{"value": {"type": "STRING", "data": "x"}, "partition": 1}', new ValidationError('record.partition: unknown field')],
    ['a field given twice', '{"value": {"type": "STRING", "data": "x"}, "value": null}', new ValidationError('record.value: given more than once')],
    ['BINARY that is not base64', '{"value": {"type": "BINARY", "data": "not base64!"}}', new ValidationError('value.data: must be a base64 string')],
    ['STRING data that is not a string', '{"key": {"type": "STRING", "data": 5}}', new ValidationError('key.data: must be a string')],
    [
      'an unknown type',
      '{"value": {"type": "XML", "data": "x"}}',
      new ValidationError('value.type: must be one of BINARY, JSON, STRING, AVRO, JSONSCHEMA, PROTOBUF'),
    ],
    [
      'no type (the latest schema) without a registry',
      '{"value": {"data": 1}}',
      new ValidationError('value: a value with a schema needs a schema registry, and none is configured'),
    ],
    [
      'a schema id without a registry',
      '{"key": {"schema_id": 1, "data": 1}}',
      new ValidationError('key: a key with a schema needs a schema registry, and none is configured'),
    ],
    [
      'a schema type with no schema',
      '{"value": {"type": "AVRO", "data": "x"}}',
      new SchemaArgumentsError("value.type: AVRO needs schema, schema_id or schema_version; for the subject's latest schema leave type out"),
    ],
    [
      'a schema field with a plain type',
      '{"value": {"type": "JSON", "subject": "s", "data": 1}}',
      new ValidationError('value.subject: does not apply to type JSON'),
    ],
    [
      'a timestamp that is not RFC 3339',
      '{"value": {"type": "STRING", "data": "x"}, "timestamp": "05/02/2021"}',
      new ValidationError('timestamp: must be an RFC 3339 date-time from 1970 on, such as "2021-02-05T19:14:42Z"'),
    ],
    [
      'a day the month does not have',
      '{"value": {"type": "STRING", "data": "x"}, "timestamp": "2021-02-29T19:14:42Z"}',
      new ValidationError('timestamp: must be an RFC 3339 date-time from 1970 on, such as "2021-02-05T19:14:42Z"'),
    ],
    [
      'hour 24',
      '{"value": {"type": "STRING", "data": "x"}, "timestamp": "2021-02-05T24:00:00Z"}',
      new ValidationError('timestamp: must be an RFC 3339 date-time from 1970 on, such as "2021-02-05T19:14:42Z"'),
    ],
    [
      'an offset of 24 hours',
      '{"value": {"type": "STRING", "data": "x"}, "timestamp": "2021-02-05T19:14:42+24:00"}',
      new ValidationError('timestamp: must be an RFC 3339 date-time from 1970 on, such as "2021-02-05T19:14:42Z"'),
    ],
    [
      'a timestamp before 1970',
      '{"value": {"type": "STRING", "data": "x"}, "timestamp": "1969-12-31T23:59:59Z"}',
      new ValidationError('timestamp: must be an RFC 3339 date-time from 1970 on, such as "2021-02-05T19:14:42Z"'),
    ],
    [
      'a partition that is not a number',
      '{"value": {"type": "STRING", "data": "x"}, "partition_id": "1"}',
      new ValidationError('partition_id: must be a whole number from 0 to 2147483647'),
    ],
    ['a negative partition', '{"value": {"type": "STRING", "data": "x"}, "partition_id": -1}', new PartitionNotFoundError('partition -1 does not exist')],
    [
      'the caller header',
      '{"value": {"type": "STRING", "data": "x"}, "headers": [{"name": "x-caller-id", "value": "YQ=="}]}',
      new ValidationError('headers[0].name: "x-caller-id" is set by the API from the authenticated caller and cannot be sent'),
    ],
    [
      'a header without a value',
      '{"value": {"type": "STRING", "data": "x"}, "headers": [{"name": "h"}]}',
      new ValidationError('headers[0].value: must be a base64 string'),
    ],
    [
      'a null message-id header',
      '{"value": {"type": "STRING", "data": "x"}, "headers": [{"name": "message-id", "value": null}]}',
      new ValidationError('headers[0].value: a "message-id" header must be non-empty UTF-8 text, the id the consumer deduplicates on'),
    ],
  ])('refuses %s in its own slot', async (_, body, error) => {
    expect(await read(body)).toEqual([error]);
  });

  it("reads a null header value as Kafka's null header value, in its place among the others", async () => {
    const [slot] = await read(
      '{"value": {"type": "STRING", "data": "x"}, "headers": [{"name": "a", "value": "MQ=="}, {"name": "n", "value": null}, {"name": "a", "value": ""}]}',
    );
    expect((slot as ProduceRecord).headers).toEqual([
      { name: 'a', value: Buffer.from('1') },
      { name: 'n', value: null },
      { name: 'a', value: Buffer.alloc(0) },
    ]);
  });

  it('keeps the records before a body broken in the middle of one, and puts the error in its place', async () => {
    const slots = await read('{"value":{"type":"STRING","data":"a"}} {"value":{"type":"STR');
    expect(text((slots[0] as ProduceRecord).value)).toBe('a');
    expect(slots[1]).toEqual(new BodyNotJsonError('record 1 is not JSON: unexpected end of input at byte 60'));
    expect(slots).toHaveLength(2);
  });

  it.each([
    [
      'another media type',
      request('{}', { contentType: 'application/vnd.kafka.json.v2+json' }),
      new UnsupportedMediaTypeError('Content-Type "application/vnd.kafka.json.v2+json" is not supported; use application/json'),
    ],
    ['another cluster', request('{}', { cluster: 'cluster-2' }), new ClusterNotFoundError('cluster cluster-2 cannot be found')],
    ['an empty body', request(' \n'), new ValidationError('body: is empty; send a record {"value": {"type", "data"}}, or several one after another')],
    ['a body that is no JSON at all', request('{"value"'), new BodyNotJsonError('the body is not JSON: unexpected end of input at byte 8')],
    ['too many records', request('{}{}{}{}'), new PayloadTooLargeError('4 records; the limit is 3')],
    [
      'too many bytes',
      request(`{"value":{"type":"STRING","data":"${'x'.repeat(2_000)}"}}`),
      new PayloadTooLargeError('the body has 2037 bytes; the limit is 2000'),
    ],
  ])('refuses the whole request for %s', async (_, given, error) => {
    await expect(Promise.resolve(readV3RecordsRequest(given, context).read())).rejects.toThrow(error);
  });
});

describe('readV3BatchRequest', () => {
  const batch = (body: unknown): Promise<RecordSlot[]> => Promise.resolve(readV3BatchRequest(request(JSON.stringify(body), { batch: true }), context).read());

  it('reads each entry as a record, refusing a bad one in its own slot', async () => {
    const slots = await batch({
      entries: [
        { id: 'a', value: { type: 'STRING', data: 'x' } },
        { id: 'b', value: { type: 'BINARY', data: 1 } },
      ],
    });
    expect(text((slots[0] as ProduceRecord).value)).toBe('x');
    expect(slots[1]).toEqual(new ValidationError('value.data: must be a string'));
  });

  it.each([
    ['no entries', { entries: [] }, 'Empty batch.'],
    ['too many', { entries: ['1', '2', '3', '4'].map((id) => ({ id })) }, 'Too many entries in batch: 4; the limit is 3.'],
    ['duplicate ids', { entries: [{ id: 'a' }, { id: 'a' }] }, 'Batch entry IDs are not distinct.'],
    ['an empty id', { entries: [{ id: '' }] }, 'Batch entry identifier is not a valid string (1 to 80 characters).'],
    ['an id of 81 characters', { entries: [{ id: 'x'.repeat(81) }] }, 'Batch entry identifier is not a valid string (1 to 80 characters).'],
    ['a numeric id', { entries: [{ id: 1 }] }, 'Batch entry identifier is not a valid string (1 to 80 characters).'],
    ['entries that are not an array', { entries: {} }, 'entries: must be an array of records with an "id".'],
    ['a body that is not an object', [], 'Request body is empty or not an object {"entries": [...]}. Data is required.'],
  ])('refuses a batch with %s: 42208', async (_, body, message) => {
    await expect(batch(body)).rejects.toThrow(new InvalidBatchError(message));
  });

  it('takes an id of 80 characters', async () => {
    const slots = await batch({ entries: [{ id: 'x'.repeat(80), value: { type: 'STRING', data: 'x' } }] });
    expect(text((slots[0] as ProduceRecord).value)).toBe('x');
  });
});

describe('v3 reports of plain records', () => {
  it('reports each produced record with its own key and value types, also after a record refused in its place', async () => {
    const command = readV3RecordsRequest(
      request('{"value": {"type": "XML", "data": "<a/>"}} {"key": {"type": "STRING", "data": "k"}, "value": {"type": "BINARY", "data": "AAE="}}'),
      context,
    );
    const slots = await command.read();
    const encoded = command.encode === undefined ? slots : await command.encode(slots, new AbortController().signal);
    const answer = command.writer.write(encoded, [
      { partition: null, offset: null, error: encoded[0] as AppError },
      { partition: 2, offset: 7, error: null },
    ]);
    const reports = answer.body
      .split('\r\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line));
    expect(reports[0]).toEqual({ error_code: 42201, message: 'value.type: must be one of BINARY, JSON, STRING, AVRO, JSONSCHEMA, PROTOBUF' });
    expect(reports[1]).toEqual({
      error_code: 200,
      cluster_id: 'cluster-1',
      topic_name: 'orders',
      partition_id: 2,
      offset: 7,
      timestamp: '2027-01-15T08:00:00.000Z',
      key: { type: 'STRING', size: 1 },
      value: { type: 'BINARY', size: 2 },
    });
  });
});
