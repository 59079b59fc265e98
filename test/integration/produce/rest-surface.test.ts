/**
 * Conformance of the REST Proxy surface against the real broker: the v2 partition route, the v2
 * metadata reads, the v3 records (one, several, a batch) and cluster reads, and their 4xx
 * answers. Expected answers are written by hand from Confluent's API reference and its
 * `api/v3/openapi.yaml`; every answer is also held to docs/openapi.yaml.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLER_HEADER } from '../../../lib/headers';
import { silentLogger } from '../../../lib/logger';
import { createProduceRuntime, type ProduceRuntime } from '../../../lib/produce';
import { b64, httpEvent } from '../../helpers/http-events';
import { createTestTables, createTestTopic, testConfig, testKafka } from '../../helpers/infra';
import { heldToOpenApi, openApiProblems } from '../../helpers/openapi';
import { readBack } from './read-back';

const JSON_V2 = 'application/vnd.kafka.json.v2+json';
const V2 = 'application/vnd.kafka.v2+json';
const CRLF = '\r\n';

describe('the REST Proxy surface against the real broker', () => {
  let runtime: ProduceRuntime;
  let clusterId: string;
  let brokerId: number;
  let topic: string;

  /** Calls the handler and holds the answer to the OpenAPI document under `template`. */
  async function call(
    method: string,
    path: string,
    template: string,
    { body, contentType, headers = {} }: { body?: string; contentType?: string; headers?: Record<string, string> } = {},
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const requestHeaders: Record<string, string> = { host: 'api.example.com', ...headers };
    if (contentType !== undefined) requestHeaders['content-type'] = contentType;
    const result = (await runtime.handler(
      httpEvent({ method, path, headers: requestHeaders, ...(body === undefined ? {} : { body }) }),
    )) as APIGatewayProxyStructuredResultV2;
    expect(openApiProblems(method, template, result)).toEqual([]);
    return result;
  }
  const json = (result: APIGatewayProxyStructuredResultV2): unknown => JSON.parse(result.body as string);
  const reports = (result: APIGatewayProxyStructuredResultV2): unknown[] =>
    (result.body as string)
      .split(CRLF)
      .slice(0, -1)
      .map((line) => JSON.parse(line));
  const records = (id: string, name: string): string => `/v3/clusters/${id}/topics/${name}/records`;
  const RECORDS = '/v3/clusters/{cluster_id}/topics/{topic_name}/records';
  const BATCH = '/v3/clusters/{cluster_id}/topics/{topic_name}/records:batch';

  beforeAll(async () => {
    const config = testConfig({ MAX_RECORDS_PER_REQUEST: '4' });
    await createTestTables(config);
    runtime = createProduceRuntime(config, { logger: silentLogger });
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      clusterId = cluster.clusterId;
      brokerId = cluster.brokers[0]?.nodeId as number;
    } finally {
      await admin.disconnect();
    }
    topic = await createTestTopic('surface', 3);
  });
  afterAll(async () => {
    await runtime.close();
  });

  describe('v2 partition route', () => {
    it('sends every record to the path partition, and a record naming the same partition is accepted', async () => {
      const name = await createTestTopic('surface-partition', 3);
      const result = await call('POST', `/topics/${name}/partitions/1`, '/topics/{topic}/partitions/{partition}', {
        contentType: JSON_V2,
        body: JSON.stringify({
          records: [
            { key: 'a', value: { n: 1 } },
            { value: { n: 2 }, partition: 1 },
          ],
        }),
      });
      expect(result.statusCode).toBe(200);
      expect(result.headers).toMatchObject({ 'Content-Type': V2 });
      expect(json(result)).toEqual({
        key_schema_id: null,
        value_schema_id: null,
        offsets: [
          { partition: 1, offset: 0, error_code: null, error: null },
          { partition: 1, offset: 1, error_code: null, error: null },
        ],
      });
      const read = await readBack(name, 2);
      expect(read.map((record) => [record.partition, record.offset, record.value?.toString()])).toEqual([
        [1, 0, '{"n":1}'],
        [1, 1, '{"n":2}'],
      ]);
    });

    it('refuses a record naming another partition with 422 naming it, and a partition the topic lacks with 404 40402', async () => {
      const other = await call('POST', `/topics/${topic}/partitions/1`, '/topics/{topic}/partitions/{partition}', {
        contentType: JSON_V2,
        body: JSON.stringify({ records: [{ value: 1 }, { value: 2, partition: 2 }] }),
      });
      expect(other.statusCode).toBe(422);
      expect(json(other)).toEqual({ error_code: 42201, message: 'records[1].partition: 2 differs from the partition of the path, 1' });

      const missing = await call('POST', `/topics/${topic}/partitions/7`, '/topics/{topic}/partitions/{partition}', {
        contentType: JSON_V2,
        body: JSON.stringify({ records: [{ value: 1 }] }),
      });
      expect(missing.statusCode).toBe(404);
      expect(json(missing)).toEqual({ error_code: 40402, message: `records[0].partition: partition 7 does not exist; topic "${topic}" has 3` });

      const notANumber = await call('POST', `/topics/${topic}/partitions/one`, '/topics/{topic}/partitions/{partition}', {
        contentType: JSON_V2,
        body: JSON.stringify({ records: [{ value: 1 }] }),
      });
      expect(notANumber.statusCode).toBe(404);
      expect(json(notANumber)).toEqual({ error_code: 40402, message: 'partition "one" does not exist' });
    });
  });

  describe('v2 metadata reads', () => {
    it('lists the topics, and shows a topic, its partitions and one partition in Confluent shapes', async () => {
      const list = await call('GET', '/topics', '/topics');
      expect(list.statusCode).toBe(200);
      expect(json(list)).toEqual(expect.arrayContaining([topic]));
      expect((json(list) as string[]).filter((name) => name.startsWith('__'))).toEqual([]);

      const partition = (index: number): unknown => ({ partition: index, leader: brokerId, replicas: [{ broker: brokerId, leader: true, in_sync: true }] });
      const shown = await call('GET', `/topics/${topic}`, '/topics/{topic}');
      expect(shown.statusCode).toBe(200);
      expect(shown.headers).toMatchObject({ 'Content-Type': V2 });
      const body = json(shown) as { name: string; configs: Record<string, string>; partitions: unknown[] };
      expect(body.name).toBe(topic);
      // Every topic-level setting, defaults included, as Confluent lists them.
      expect(body.configs).toMatchObject({ 'cleanup.policy': 'delete', 'compression.type': 'producer' });
      expect(Object.keys(body.configs)).toContain('retention.ms');
      expect(body.partitions).toEqual([partition(0), partition(1), partition(2)]);

      const partitions = await call('GET', `/topics/${topic}/partitions`, '/topics/{topic}/partitions');
      expect(json(partitions)).toEqual([partition(0), partition(1), partition(2)]);
      const one = await call('GET', `/topics/${topic}/partitions/2`, '/topics/{topic}/partitions/{partition}');
      expect(json(one)).toEqual(partition(2));
    });

    it('answers 404 40401 for a missing topic and 40402 for a missing partition', async () => {
      const missing = await call('GET', '/topics/no-such-topic-here', '/topics/{topic}');
      expect(missing.statusCode).toBe(404);
      expect(json(missing)).toEqual({ error_code: 40401, message: 'the topic or partition does not exist' });
      const partitions = await call('GET', '/topics/no-such-topic-here/partitions', '/topics/{topic}/partitions');
      expect(json(partitions)).toMatchObject({ error_code: 40401 });
      const partition = await call('GET', `/topics/${topic}/partitions/3`, '/topics/{topic}/partitions/{partition}');
      expect(partition.statusCode).toBe(404);
      expect(json(partition)).toEqual({ error_code: 40402, message: `partition 3 does not exist; topic "${topic}" has 3` });
    });

    it('shows only the topics of ALLOWED_TOPICS: another is 404 as a missing one is', async () => {
      const config = testConfig({ ALLOWED_TOPICS: `${topic},not-created-yet` });
      await createTestTables(config);
      const limited = heldToOpenApi(createProduceRuntime(config, { logger: silentLogger }));
      try {
        const list = (await limited.handler(httpEvent({ method: 'GET', path: '/topics' }))) as APIGatewayProxyStructuredResultV2;
        expect(json(list)).toEqual([topic]);
        const other = (await limited.handler(httpEvent({ method: 'GET', path: '/topics/__consumer_offsets' }))) as APIGatewayProxyStructuredResultV2;
        expect(other.statusCode).toBe(404);
        expect(json(other)).toEqual({ error_code: 40401, message: 'topic "__consumer_offsets" not found' });
      } finally {
        await limited.close();
      }
    });
  });

  describe('v3 clusters', () => {
    it("lists the cluster and shows it by its real id, with links under the API's own address", async () => {
      const self = `https://api.example.com/v3/clusters/${clusterId}`;
      const cluster = {
        kind: 'KafkaCluster',
        metadata: { self, resource_name: `crn:///kafka=${clusterId}` },
        cluster_id: clusterId,
        controller: { related: `${self}/brokers/${brokerId}` },
        acls: { related: `${self}/acls` },
        brokers: { related: `${self}/brokers` },
        broker_configs: { related: `${self}/broker-configs` },
        consumer_groups: { related: `${self}/consumer-groups` },
        topics: { related: `${self}/topics` },
        partition_reassignments: { related: `${self}/topics/-/partitions/-/reassignment` },
      };
      const list = await call('GET', '/v3/clusters', '/v3/clusters');
      expect(list.statusCode).toBe(200);
      expect(list.headers).toMatchObject({ 'Content-Type': 'application/json' });
      expect(json(list)).toEqual({ kind: 'KafkaClusterList', metadata: { self: 'https://api.example.com/v3/clusters', next: null }, data: [cluster] });
      const one = await call('GET', `/v3/clusters/${clusterId}`, '/v3/clusters/{cluster_id}');
      expect(json(one)).toEqual(cluster);
    });

    it('answers 404 for a cluster id that is not the cluster’s', async () => {
      const other = await call('GET', '/v3/clusters/not-this-one', '/v3/clusters/{cluster_id}');
      expect(other.statusCode).toBe(404);
      expect(json(other)).toEqual({ error_code: 404, message: 'cluster not-this-one cannot be found' });
    });
  });

  describe('v3 records', () => {
    it('produces JSON, BINARY with repeated headers, and STRING records, read back byte for byte with their headers', async () => {
      const name = await createTestTopic('surface-v3', 2);
      const jsonRecord = await call('POST', records(clusterId, name), RECORDS, {
        contentType: 'application/json',
        body: '{"partition_id": 1, "key": {"type": "JSON", "data": 12345678901234567890}, "value": {"type": "JSON", "data": {"amount": 0.10, "n": [1, 2]}}, "timestamp": "2021-02-05T19:14:42Z"}',
      });
      expect(jsonRecord.statusCode).toBe(200);
      expect(jsonRecord.headers).toMatchObject({ 'Content-Type': 'application/json' });
      expect(jsonRecord.body).toBe(
        `{"error_code":200,"cluster_id":"${clusterId}","topic_name":"${name}","partition_id":1,"offset":0,"timestamp":"2021-02-05T19:14:42.000Z","key":{"type":"JSON","size":20},"value":{"type":"JSON","size":25}}${CRLF}`,
      );

      const binary = await call('POST', records(clusterId, name), RECORDS, {
        contentType: 'application/json',
        body: JSON.stringify({
          partition_id: 0,
          headers: [
            { name: 'Header-1', value: b64('one') },
            { name: 'Header-1', value: b64('two') },
            { name: 'Header-2', value: b64('three') },
          ],
          key: { type: 'BINARY', data: Buffer.from([0, 255, 7]).toString('base64') },
          value: { type: 'BINARY', data: Buffer.from([1, 2, 3, 254]).toString('base64') },
          timestamp: '2021-02-05T19:14:43.500+01:00',
        }),
      });
      expect(reports(binary)).toEqual([
        {
          error_code: 200,
          cluster_id: clusterId,
          topic_name: name,
          partition_id: 0,
          offset: 0,
          timestamp: '2021-02-05T18:14:43.500Z',
          key: { type: 'BINARY', size: 3 },
          value: { type: 'BINARY', size: 4 },
        },
      ]);

      const text = await call('POST', records(clusterId, name), RECORDS, {
        contentType: 'application/json',
        body: JSON.stringify({ partition_id: 0, value: { type: 'STRING', data: 'café ☕' } }),
      });
      expect(reports(text)).toEqual([expect.objectContaining({ error_code: 200, partition_id: 0, offset: 1, value: { type: 'STRING', size: 9 } })]);
      expect(reports(text)[0]).not.toHaveProperty('key');

      const read = await readBack(name, 3);
      expect(read.map((record) => [record.partition, record.offset])).toEqual([
        [0, 0],
        [0, 1],
        [1, 0],
      ]);
      const [binaryRead, textRead, jsonRead] = read;
      expect(jsonRead?.key?.toString()).toBe('12345678901234567890');
      expect(jsonRead?.value?.toString()).toBe('{"amount":0.10,"n":[1,2]}');
      expect([...(binaryRead?.key ?? [])]).toEqual([0, 255, 7]);
      expect([...(binaryRead?.value ?? [])]).toEqual([1, 2, 3, 254]);
      expect(binaryRead?.headers['Header-1']).toEqual(['one', 'two']);
      expect(binaryRead?.headers['Header-2']).toBe('three');
      expect(binaryRead?.headers['message-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(binaryRead?.headers[CALLER_HEADER]).toBeDefined();
      expect(textRead?.key).toBeNull();
      expect(textRead?.value?.toString('utf8')).toBe('café ☕');
    });

    it("writes a null header value as Kafka's null header value, read back as null by a plain kafkajs consumer", async () => {
      const name = await createTestTopic('surface-null-header', 1);
      const result = await call('POST', records(clusterId, name), RECORDS, {
        contentType: 'application/json',
        body: JSON.stringify({
          headers: [
            { name: 'trace', value: b64('t-1') },
            { name: 'deleted', value: null },
            { name: 'trace', value: null },
          ],
          value: { type: 'STRING', data: 'v' },
        }),
      });
      expect(reports(result)).toEqual([expect.objectContaining({ error_code: 200, offset: 0, value: { type: 'STRING', size: 1 } })]);
      const [read] = await readBack(name, 1);
      expect(read?.headers.deleted).toBeNull();
      expect(read?.headers.trace).toEqual(['t-1', null]);
      expect(read?.headers['message-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers several records in one body with one report each, in order, a failed one in its place while the others go', async () => {
      const name = await createTestTopic('surface-stream', 1);
      const body = [
        '{"value": {"type": "STRING", "data": "first"}}',
        '{"value": {"type": "BINARY", "data": "not base64!"}}',
        '{"value": {"type": "JSON", "data": {"third": true}}}',
        '{"value": {"type": "STRING", "data": "fourth"}, "partition_id": 1}',
      ].join('\n');
      const result = await call('POST', records(clusterId, name), RECORDS, {
        contentType: 'application/json',
        body,
        headers: { 'idempotency-key': 'stream-1' },
      });
      expect(result.statusCode).toBe(200);
      const answered = reports(result) as Record<string, unknown>[];
      expect(answered.map((report) => report.error_code)).toEqual([200, 42201, 200, 40402]);
      expect(answered[1]).toEqual({ error_code: 42201, message: 'value.data: must be a base64 string' });
      // The topic has one partition: a record for partition 1 is refused in its place, as Confluent's v3 answers it.
      expect(answered[3]).toEqual({ error_code: 40402, message: `partition 1 does not exist; topic "${name}" has 1` });
      expect(answered.map((report) => report.offset)).toEqual([0, undefined, 1, undefined]);
      const read = await readBack(name, 2);
      expect(read.map((record) => [record.value?.toString(), record.headers['message-id']])).toEqual([
        ['first', 'stream-1:0'],
        ['{"third":true}', 'stream-1:2'],
      ]);
    });

    it('keeps the records before a body cut in the middle of one, and reports the cut one 40001', async () => {
      const name = await createTestTopic('surface-cut', 1);
      const result = await call('POST', records(clusterId, name), RECORDS, {
        contentType: 'application/json',
        body: '{"value": {"type": "STRING", "data": "whole"}} {"value": {"type": "STRING", "da',
      });
      expect(result.statusCode).toBe(200);
      expect(reports(result)).toEqual([
        expect.objectContaining({ error_code: 200, offset: 0 }),
        { error_code: 40001, message: 'record 1 is not JSON: unexpected end of input at byte 79' },
      ]);
    });

    it('answers a batch 207 with its successes and failures by id', async () => {
      const name = await createTestTopic('surface-batch', 1);
      const result = await call('POST', `${records(clusterId, name)}:batch`, BATCH, {
        contentType: 'application/json',
        body: JSON.stringify({
          entries: [
            { id: '1', value: { type: 'STRING', data: 'My first message' } },
            { id: '2', value: { type: 'BINARY', data: 1 } },
            { id: '3', key: { type: 'STRING', data: 'k' }, value: { type: 'JSON', data: [1] }, timestamp: '2021-02-05T19:14:42Z' },
          ],
        }),
      });
      expect(result.statusCode).toBe(207);
      expect(json(result)).toEqual({
        successes: [
          { id: '1', cluster_id: clusterId, topic_name: name, partition_id: 0, offset: 0, timestamp: expect.any(String), value: { type: 'STRING', size: 16 } },
          {
            id: '3',
            cluster_id: clusterId,
            topic_name: name,
            partition_id: 0,
            offset: 1,
            timestamp: '2021-02-05T19:14:42.000Z',
            key: { type: 'STRING', size: 1 },
            value: { type: 'JSON', size: 3 },
          },
        ],
        failures: [{ id: '2', error_code: 42201, message: 'value.data: must be a string' }],
      });
    });

    it.each([
      [
        'duplicate ids',
        {
          entries: [
            { id: 'a', value: { type: 'STRING', data: 'x' } },
            { id: 'a', value: { type: 'STRING', data: 'y' } },
          ],
        },
        'Batch entry IDs are not distinct.',
      ],
      ['an empty batch', { entries: [] }, 'Empty batch.'],
      [
        'too many entries',
        { entries: ['1', '2', '3', '4', '5'].map((id) => ({ id, value: { type: 'STRING', data: id } })) },
        'Too many entries in batch: 5; the limit is 4.',
      ],
      [
        'an id too long',
        { entries: [{ id: 'x'.repeat(81), value: { type: 'STRING', data: 'x' } }] },
        'Batch entry identifier is not a valid string (1 to 80 characters).',
      ],
      [
        'an id that is not a string',
        { entries: [{ id: 7, value: { type: 'STRING', data: 'x' } }] },
        'Batch entry identifier is not a valid string (1 to 80 characters).',
      ],
    ])('refuses a batch with %s: 422 42208, nothing produced', async (_, body, message) => {
      const name = await createTestTopic('surface-bad-batch', 1);
      const result = await call('POST', `${records(clusterId, name)}:batch`, BATCH, { contentType: 'application/json', body: JSON.stringify(body) });
      expect(result.statusCode).toBe(422);
      expect(json(result)).toEqual({ error_code: 42208, message });
      const offsets = await offsetsOf(name);
      expect(offsets).toEqual(['0']);
    });

    it('answers the whole request 4xx for a wrong cluster, media type, topic or body', async () => {
      const one = JSON.stringify({ value: { type: 'STRING', data: 'x' } });
      const cases: [string, { path: string; contentType?: string; body?: string }, number, unknown][] = [
        [
          'a cluster id that is not the cluster’s',
          { path: records('other', topic), body: one },
          404,
          { error_code: 404, message: 'cluster other cannot be found' },
        ],
        [
          'a media type other than application/json',
          { path: records(clusterId, topic), contentType: 'text/plain', body: one },
          415,
          { error_code: 41501, message: 'Content-Type "text/plain" is not supported; use application/json' },
        ],
        [
          'a topic that does not exist',
          { path: records(clusterId, 'no-such-topic-v3'), body: one },
          404,
          { error_code: 40401, message: 'the topic or partition does not exist' },
        ],
        [
          'an empty body',
          { path: records(clusterId, topic), body: '' },
          422,
          { error_code: 42201, message: 'body: is empty; send a record {"value": {"type", "data"}}, or several one after another' },
        ],
        [
          'a body that is not JSON',
          { path: records(clusterId, topic), body: '!!' },
          400,
          { error_code: 40001, message: 'the body is not JSON: expected a JSON value at byte 0' },
        ],
        ['too many records', { path: records(clusterId, topic), body: one.repeat(5) }, 413, { error_code: 41301, message: '5 records; the limit is 4' }],
      ];
      for (const [what, request, status, body] of cases) {
        const result = await call('POST', request.path, RECORDS, { contentType: request.contentType ?? 'application/json', body: request.body ?? '' });
        expect([what, result.statusCode, json(result)]).toEqual([what, status, body]);
        expect(result.headers).toMatchObject({ 'Content-Type': 'application/json' });
      }
    });

    it('replays a v3 answer for a repeated Idempotency-Key and produces nothing more', async () => {
      const name = await createTestTopic('surface-replay', 1);
      const request = {
        contentType: 'application/json',
        body: JSON.stringify({ value: { type: 'STRING', data: 'once' } }),
        headers: { 'idempotency-key': 'v3-key' },
      };
      const first = await call('POST', records(clusterId, name), RECORDS, request);
      const again = await call('POST', records(clusterId, name), RECORDS, request);
      expect(again.statusCode).toBe(200);
      expect(again.headers).toMatchObject({ 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true' });
      expect(again.body).toBe(first.body);
      expect(await offsetsOf(name)).toEqual(['1']);
    });
  });
});

/** The high-water mark of each partition of `topic`, as strings. */
async function offsetsOf(topic: string): Promise<string[]> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((entry) => entry.high);
  } finally {
    await admin.disconnect();
  }
}
