/** The produce handler on every route of the table, with a fake producer, fake metadata and the in-memory store. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config';
import type { ClusterMetadata } from '../../../lib/kafka/metadata';
import { silentLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { TEST_CALLER_KEYS } from '../../helpers/caller-keys';
import { httpEvent } from '../../helpers/http-events';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store';
import { fakeProducer } from './fakes';

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1' });
const metadata: ClusterMetadata = {
  cluster: async () => ({ clusterId: 'c-1', controller: 1 }),
  topicNames: async () => ['orders'],
  topic: async (name) => ({ name, configs: {}, partitions: [{ partition: 0, leader: 1, replicas: [1], isr: [1] }] }),
  close: async () => undefined,
};
const body = (result: { body?: string }) => JSON.parse(result.body as string);

function runtime(
  send: (records: number) => { partitions: number[]; acks: { partition: number; baseOffset: bigint }[] } = (records) => ({
    partitions: Array.from({ length: records }, () => 0),
    acks: [{ partition: 0, baseOffset: 10n }],
  }),
) {
  const producer = fakeProducer({ partitions: 3, send });
  const store = new MemoryIdempotencyStore({ returnExisting: true });
  return { producer, store, runtime: createProduceRuntime(config, { logger: silentLogger, producer, metadata, store, callerKeys: TEST_CALLER_KEYS }) };
}

const v3 = (path: string, text: string, headers: Record<string, string> = {}) =>
  httpEvent({ path: `/v3/clusters/c-1/topics/orders/${path}`, headers: { 'content-type': 'application/json', ...headers }, body: text });

describe('produce handler routes', () => {
  it('sends the v2 partition route to the path partition', async () => {
    const { producer, runtime: handler } = runtime();
    const result = await handler.handler(
      httpEvent({ path: '/topics/orders/partitions/2', headers: { 'content-type': 'application/json' }, body: '{"records":[{"value":1},{"value":2}]}' }),
    );
    expect(result.statusCode).toBe(200);
    expect(producer.sentRecords.map((record) => record.partition)).toEqual([2, 2]);
  });

  it('answers the read routes from the metadata, in their media types', async () => {
    const { runtime: handler } = runtime();
    const topics = await handler.handler(httpEvent({ method: 'GET', path: '/topics' }));
    expect([topics.statusCode, topics.headers?.['Content-Type'], body(topics)]).toEqual([200, 'application/vnd.kafka.v2+json', ['orders']]);
    const partition = await handler.handler(httpEvent({ method: 'GET', path: '/topics/orders/partitions/0' }));
    expect(body(partition)).toEqual({ partition: 0, leader: 1, replicas: [{ broker: 1, leader: true, in_sync: true }] });
    const clusters = await handler.handler(httpEvent({ method: 'GET', path: '/v3/clusters', headers: { host: 'h' } }));
    expect([clusters.statusCode, clusters.headers?.['Content-Type'], body(clusters).data[0].cluster_id]).toEqual([200, 'application/json', 'c-1']);
  });

  it('answers v3 records one report each, a refused one in its place, the others sent with their positions in the message ids', async () => {
    const { producer, runtime: handler } = runtime();
    const result = await handler.handler(
      v3('records', '{"value":{"type":"STRING","data":"a"}}{"value":{"type":"XML"}}{"value":{"type":"STRING","data":"c"}}', { 'idempotency-key': 'k' }),
    );
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['Content-Type']).toBe('application/json');
    const reports = (result.body as string)
      .split('\r\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line));
    expect(reports.map((report) => [report.error_code, report.offset])).toEqual([
      [200, 10],
      [42201, undefined],
      [200, 11],
    ]);
    expect(producer.sentRecords.map((record) => record.headers.find((header) => header.name === 'message-id')?.value?.toString())).toEqual(['k:0', 'k:2']);
  });

  it('refuses a v3 record naming a partition the topic lacks (after a refresh) in its place, and sends the others', async () => {
    const { producer, runtime: handler } = runtime();
    const result = await handler.handler(
      v3(
        'records',
        '{"value":{"type":"STRING","data":"a"},"partition_id":2}{"value":{"type":"STRING","data":"b"},"partition_id":3}{"value":{"type":"STRING","data":"c"}}',
      ),
    );
    const reports = (result.body as string)
      .split('\r\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line));
    expect(reports.map((report) => report.error_code)).toEqual([200, 40402, 200]);
    expect(reports[1]).toEqual({ error_code: 40402, message: 'partition 3 does not exist; topic "orders" has 3' });
    expect(producer.sentRecords.map((record) => record.value?.toString())).toEqual(['a', 'c']);
  });

  it('stores no answer for a v3 request with a refused record: its retry produces again, under the same message ids', async () => {
    const { producer, runtime: handler } = runtime();
    const request = v3('records', '{"value":{"type":"STRING","data":"a"}}{"value":5}', { 'idempotency-key': 'k2' });
    await handler.handler(request);
    const again = await handler.handler(request);
    expect(again.headers?.['Idempotent-Replayed']).toBeUndefined();
    expect(producer.sent).toEqual([1, 1]);
  });

  it('replays a complete batch answer with 207 and its media type', async () => {
    const { producer, runtime: handler } = runtime();
    const request = v3('records:batch', '{"entries":[{"id":"a","value":{"type":"STRING","data":"x"}}]}', { 'idempotency-key': 'b' });
    const first = await handler.handler(request);
    const again = await handler.handler(request);
    expect([first.statusCode, again.statusCode, again.headers?.['Content-Type'], again.headers?.['Idempotent-Replayed']]).toEqual([
      207,
      207,
      'application/json',
      'true',
    ]);
    expect(again.body).toBe(first.body);
    expect(producer.sent).toEqual([1]);
  });

  it('sends nothing for a v3 request whose every record was refused, and answers each', async () => {
    const { producer, runtime: handler } = runtime();
    const result = await handler.handler(v3('records', '{"value":1}'));
    expect(result.body).toBe('{"error_code":42201,"message":"value: must be an object {\\"type\\", \\"data\\"}"}\r\n');
    expect(producer.sent).toEqual([]);
  });

  it('answers v3 errors in the v3 media type, v2 ones in the v2 media type, and 405 with the methods the path serves', async () => {
    const { runtime: handler } = runtime();
    const wrongCluster = await handler.handler(
      httpEvent({ path: '/v3/clusters/other/topics/orders/records', headers: { 'content-type': 'application/json' }, body: '{}' }),
    );
    expect([wrongCluster.statusCode, wrongCluster.headers?.['Content-Type'], body(wrongCluster)]).toEqual([
      404,
      'application/json',
      { error_code: 404, message: 'cluster other cannot be found' },
    ]);
    const v2Missing = await handler.handler(httpEvent({ method: 'GET', path: '/topics/orders/partitions/4' }));
    expect([v2Missing.statusCode, v2Missing.headers?.['Content-Type']]).toEqual([404, 'application/vnd.kafka.v2+json']);
    const method = await handler.handler(httpEvent({ method: 'DELETE', path: '/v3/clusters/c-1' }));
    expect([method.statusCode, method.headers?.Allow, method.headers?.['Content-Type']]).toEqual([405, 'GET', 'application/json']);
  });
});

describe('produce handler routes in Lambda', () => {
  it('refuses the read routes without a caller, as the produce routes', async () => {
    const lambda = loadConfig({
      AWS_LAMBDA_FUNCTION_NAME: 'pipeline-produce',
      KAFKA_BROKERS: '127.0.0.1:1',
      ALLOWED_TOPICS: 'orders',
      AWS_REGION: 'us-east-1',
      CALLER_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:caller-keys-AbCdEf',
      PRODUCE_RATE_LIMIT_PER_SEC: '0',
    });
    const handler = createProduceRuntime(lambda, { logger: silentLogger, producer: fakeProducer({}), metadata, callerKeys: TEST_CALLER_KEYS });
    for (const path of ['/topics', '/topics/orders', '/v3/clusters']) {
      const result = await handler.handler(httpEvent({ method: 'GET', path }));
      expect([path, result.statusCode, body(result)]).toEqual([path, 401, { error_code: 40101, message: 'the request carries no authenticated caller' }]);
    }
  });
});
