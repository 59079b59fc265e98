/** The edges of the v3 rules: bounds, the RFC 3339 forms, null schema fields, and reports of distinct timestamps. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { PartitionNotFoundError, ValidationError } from '../../../lib/errors';
import type { ClusterMetadata } from '../../../lib/kafka/metadata';
import { silentLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import type { RecordOutcome } from '../../../lib/produce/command';
import { readHttpRequest } from '../../../lib/produce/route';
import { v3RecordsWriter } from '../../../lib/produce/v3-answer';
import { readV3RecordsRequest } from '../../../lib/produce/v3-request';
import type { ProduceRecord } from '../../../lib/produce/validation';
import { TEST_CALLER_KEYS } from '../../helpers/caller-keys';
import { FakeClock } from '../../helpers/fake-clock';
import { httpEvent } from '../../helpers/http-events';
import { fakeProducer } from './fakes';

const readContext = { limits: { maxRecordsPerRequest: 10, maxRequestBytes: 10_000 }, clusterId: async () => 'c-1', nowMs: () => 7 };
/** The one slot of a v3 record read as the route reads it; its refusal thrown. */
async function read(record: unknown): Promise<ProduceRecord> {
  const event = httpEvent({ path: '/v3/clusters/c-1/topics/orders/records', headers: { 'content-type': 'application/json' }, body: JSON.stringify(record) });
  const [slot] = await readV3RecordsRequest(readHttpRequest(event), readContext).read();
  if (slot instanceof Error) throw slot;
  return slot as ProduceRecord;
}
const value = { type: 'STRING', data: 'x' };

describe('v3 record edges', () => {
  it.each([
    ['2021-02-05T19:14:42Z', 1_612_552_482_000],
    ['2021-02-05t19:14:42z', 1_612_552_482_000],
    ['2021-02-05T19:14:42.5+01:00', 1_612_548_882_500],
    ['2021-02-05T19:14:42.123456789-00:30', 1_612_554_282_123],
    ['1970-01-01T00:00:00Z', 0],
  ])('takes the timestamp %s as %d ms', async (timestamp, ms) => {
    expect((await read({ value, timestamp })).timestampMs).toBe(ms);
  });

  it.each([
    '2021-02-05 19:14:42Z',
    '2021-02-05T19:14:42',
    '2021-02-05T19:14Z',
    '2021-02-05T19:14:42.Z',
    '2021-02-05T19:14:42.1234567890Z',
    '2021-13-05T19:14:42Z',
  ])('refuses the timestamp %s', async (timestamp) => {
    await expect(read({ value, timestamp })).rejects.toThrow(
      new ValidationError('timestamp: must be an RFC 3339 date-time from 1970 on, such as "2021-02-05T19:14:42Z"'),
    );
  });

  it('takes partition 2147483647 and refuses 2147483648 and a fraction', async () => {
    expect((await read({ value, partition_id: 2_147_483_647 })).partition).toBe(2_147_483_647);
    expect((await read({ value, partition_id: 0 })).partition).toBe(0);
    await expect(read({ value, partition_id: 2_147_483_648 })).rejects.toThrow(
      new ValidationError('partition_id: must be a whole number from 0 to 2147483647'),
    );
    await expect(read({ value, partition_id: 1.5 })).rejects.toThrow(new ValidationError('partition_id: must be a whole number from 0 to 2147483647'));
    await expect(read({ value, partition_id: -2 })).rejects.toThrow(new PartitionNotFoundError('partition -2 does not exist'));
  });

  it('ignores schema fields given as null, and a key or value given as null', async () => {
    const record = await read({ key: null, value: { type: 'JSON', schema_id: null, subject: null, data: [1] } });
    expect(record.key).toBeNull();
    expect(record.value?.toString()).toBe('[1]');
  });

  it('keeps null data null in each type, and the time of reading without a timestamp', async () => {
    for (const type of ['BINARY', 'STRING', 'JSON']) expect((await read({ value: { type, data: null } })).value).toBeNull();
    expect((await read({ value: { type: 'JSON', data: [[[[1]]]] } })).value?.toString()).toBe('[[[[1]]]]');
    expect((await read({ value })).timestampMs).toBe(7);
  });
});

describe('v3 records edges', () => {
  const request = (body: string) =>
    readHttpRequest(httpEvent({ path: '/v3/clusters/c-1/topics/orders/records', headers: { 'content-type': 'application/json; charset=utf-8' }, body }));
  const context = { limits: { maxRecordsPerRequest: 2, maxRequestBytes: 10_000 }, clusterId: async () => 'c-1', nowMs: () => 5 };

  it('takes exactly MAX_RECORDS_PER_REQUEST records, and application/json with parameters', async () => {
    const slots = await readV3RecordsRequest(request('{"value":{"type":"STRING","data":"a"}} {"value":{"type":"STRING","data":"b"}}'), context).read();
    expect(slots).toHaveLength(2);
  });

  it('refuses JSON nested deeper than 100 levels in its own slot', async () => {
    const deep = `${'['.repeat(101)}${']'.repeat(101)}`;
    const [slot] = await readV3RecordsRequest(request(`{"value":{"type":"JSON","data":${deep}}}`), context).read();
    expect(slot).toEqual(new ValidationError('value.data: nested deeper than 100 levels'));
  });
});

describe('v3 reports', () => {
  it('writes each distinct timestamp of a request, and null for a record without one', () => {
    const writer = v3RecordsWriter(() => ({ clusterId: 'c', topic: 't', types: [] }));
    const records: ProduceRecord[] = [
      { key: null, value: null, headers: [], timestampMs: 0 },
      { key: null, value: null, headers: [], timestampMs: 1_000 },
      { key: null, value: null, headers: [], timestampMs: 1_000 },
      { key: null, value: null, headers: [] },
    ];
    const outcomes: RecordOutcome[] = records.map((_, offset) => ({ partition: 0, offset, error: null }));
    expect(writer.write(records, outcomes).body.split('\r\n').slice(0, -1)).toEqual([
      '{"error_code":200,"cluster_id":"c","topic_name":"t","partition_id":0,"offset":0,"timestamp":"1970-01-01T00:00:00.000Z"}',
      '{"error_code":200,"cluster_id":"c","topic_name":"t","partition_id":0,"offset":1,"timestamp":"1970-01-01T00:00:01.000Z"}',
      '{"error_code":200,"cluster_id":"c","topic_name":"t","partition_id":0,"offset":2,"timestamp":"1970-01-01T00:00:01.000Z"}',
      '{"error_code":200,"cluster_id":"c","topic_name":"t","partition_id":0,"offset":3,"timestamp":null}',
    ]);
  });

  it("stamps a record without a timestamp with the runtime's clock, and sends that timestamp", async () => {
    const metadata: ClusterMetadata = {
      cluster: async () => ({ clusterId: 'c-1', controller: 1 }),
      topicNames: async () => [],
      topic: async () => ({ name: 't', configs: {}, partitions: [] }),
      close: async () => undefined,
    };
    const producer = fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: 0n }] }) });
    const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1' });
    const runtime = createProduceRuntime(config, {
      logger: silentLogger,
      producer,
      metadata,
      clock: new FakeClock(1_612_552_482_000),
      callerKeys: TEST_CALLER_KEYS,
    });
    const event: APIGatewayProxyEventV2 = httpEvent({
      path: '/v3/clusters/c-1/topics/orders/records',
      headers: { 'content-type': 'application/json' },
      body: '{"value":{"type":"STRING","data":"x"}}',
    });
    const result = await runtime.handler(event);
    expect(JSON.parse(String(result.body).trim()).timestamp).toBe('2021-02-05T19:14:42.000Z');
    expect(producer.sentRecords[0]?.timestampMs).toBe(1_612_552_482_000);
  });
});

describe('readHttpRequest base URL', () => {
  it("falls back to API Gateway's domain name without a Host header, and to localhost without either", () => {
    const event = httpEvent({ method: 'GET', path: '/v3/clusters' });
    expect(readHttpRequest(event).baseUrl).toBe('https://test.execute-api.us-east-1.amazonaws.com');
    expect(readHttpRequest({ ...event, requestContext: { ...event.requestContext, domainName: undefined as unknown as string } }).baseUrl).toBe(
      'https://localhost',
    );
  });
});
