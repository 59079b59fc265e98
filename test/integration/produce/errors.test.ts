import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduceRuntime, type ProduceRuntime } from '../../../lib/produce';
import { createLogger, silentLogger } from '../../../lib/logger';
import { freePort } from '../../../local/ports';
import { createTestTables, createTestTopic, testConfig, testKafka, uniqueName } from '../../helpers/infra';
import { b64, BINARY_V2, httpEvent, produceEvent } from '../../helpers/http-events';
import { heldToOpenApi } from '../../helpers/openapi';

type Result = Awaited<ReturnType<ProduceRuntime['handler']>>;

function bodyOf(result: Result): unknown {
  return JSON.parse(result.body as string);
}

/** A logger that keeps its lines, parsed, for asserting what was logged. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { logger: createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)), lines };
}

async function createTopicWithConfig(prefix: string, configEntries: { name: string; value: string }[]): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries }] });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

describe('produce errors, each with its status and REST Proxy body', () => {
  let runtime: ProduceRuntime;
  let topic: string;

  beforeAll(async () => {
    const config = testConfig({ MAX_RECORDS_PER_REQUEST: '3', MAX_REQUEST_BYTES: '400', PRODUCE_TIMEOUT_MS: '5000' });
    await createTestTables(config);
    runtime = heldToOpenApi(createProduceRuntime(config, { logger: silentLogger }));
    topic = await createTestTopic('produce-errors', 2);
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('400 40001 when the body is not JSON', async () => {
    const result = await runtime.handler(produceEvent(topic, '{"records": ['));
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({ error_code: 40001 });
  });

  it('422 42201 naming the field and record index', async () => {
    const result = await runtime.handler(produceEvent(topic, { records: [{ value: 1 }, { key: 'no value' }] }));
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toEqual({ error_code: 42201, message: 'records[1].value: is required (null for a tombstone)' });
  });

  it('422 42201 for binary values that are not base64', async () => {
    const result = await runtime.handler(produceEvent(topic, { records: [{ value: 'not base64!' }] }, { contentType: BINARY_V2 }));
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toEqual({ error_code: 42201, message: 'records[0].value: must be a base64 string' });
  });

  it('413 41301 for too many records', async () => {
    const result = await runtime.handler(produceEvent(topic, { records: [{ value: 1 }, { value: 2 }, { value: 3 }, { value: 4 }] }));
    expect(result.statusCode).toBe(413);
    expect(bodyOf(result)).toEqual({ error_code: 41301, message: 'records: 4 records; the limit is 3' });
  });

  it('413 41301 for too many bytes, checked before parsing', async () => {
    const result = await runtime.handler(produceEvent(topic, `{"records":[{"value":"${'x'.repeat(400)}"`));
    expect(result.statusCode).toBe(413);
    expect(bodyOf(result)).toMatchObject({ error_code: 41301 });
  });

  it('413 41301 when the broker refuses the batch as larger than the topic allows', async () => {
    const small = await createTopicWithConfig('produce-small', [{ name: 'max.message.bytes', value: '100' }]);
    const result = await runtime.handler(produceEvent(small, { records: [{ value: 'y'.repeat(200) }] }));
    expect(result.statusCode).toBe(413);
    expect(bodyOf(result)).toMatchObject({ error_code: 41301 });
  });

  it('415 41501 for an unsupported content type', async () => {
    const result = await runtime.handler(produceEvent(topic, { records: [{ value: 1 }] }, { contentType: 'text/plain' }));
    expect(result.statusCode).toBe(415);
    expect(bodyOf(result)).toMatchObject({ error_code: 41501 });
  });

  it('403 40301 for a topic outside ALLOWED_TOPICS', async () => {
    const config = testConfig({ ALLOWED_TOPICS: 'orders,payments' });
    const restricted = heldToOpenApi(createProduceRuntime(config, { logger: silentLogger }));
    try {
      const result = await restricted.handler(produceEvent(topic, { records: [{ value: 1 }] }));
      expect(result.statusCode).toBe(403);
      expect(bodyOf(result)).toEqual({ error_code: 40301, message: `topic "${topic}" is not open for producing` });
    } finally {
      await restricted.close();
    }
  });

  it('404 40401 for a topic that does not exist', async () => {
    const missing = uniqueName('missing');
    const result = await runtime.handler(produceEvent(missing, { records: [{ value: 1 }] }));
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result)).toMatchObject({ error_code: 40401 });
  });

  it('404 40402 naming the record whose partition does not exist', async () => {
    const result = await runtime.handler(
      produceEvent(topic, {
        records: [
          { value: 1, partition: 1 },
          { value: 2, partition: 2 },
        ],
      }),
    );
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result)).toEqual({
      error_code: 40402,
      message: `records[1].partition: partition 2 does not exist; topic "${topic}" has 2`,
    });
  });

  it('404 40400 for another route and 405 40501 for another method', async () => {
    const route = await runtime.handler(httpEvent({ path: '/consumers/x', body: '{}' }));
    expect(route.statusCode).toBe(404);
    expect(bodyOf(route)).toMatchObject({ error_code: 40400 });
    const method = await runtime.handler(httpEvent({ method: 'DELETE', path: `/topics/${topic}` }));
    expect(method.statusCode).toBe(405);
    expect(method.headers).toMatchObject({ Allow: 'POST, GET' });
    expect(bodyOf(method)).toMatchObject({ error_code: 40501 });
  });

  it('503 50301 when Kafka is unreachable, answered without host or port; the detail is logged with the request id', async () => {
    const port = await freePort();
    const config = testConfig({ KAFKA_BROKERS: `127.0.0.1:${port}`, PRODUCE_TIMEOUT_MS: '8000' });
    const { logger, lines } = capturingLogger();
    const unreachable = heldToOpenApi(createProduceRuntime(config, { logger }));
    try {
      const result = await unreachable.handler(produceEvent(topic, { records: [{ value: 1 }] }));
      expect(result.statusCode).toBe(503);
      expect(bodyOf(result)).toEqual({ error_code: 50301, message: 'Kafka is unavailable; retry later' });
      const failed = lines.find((line) => line.message === 'request failed');
      expect(failed).toMatchObject({ requestId: 'test-request', httpStatus: 503 });
      expect(String(failed?.cause)).toContain(`127.0.0.1:${port}`);
    } finally {
      await unreachable.close();
    }
  });

  it('504 50401 when no answer comes within PRODUCE_TIMEOUT_MS (a broker address that accepts and never replies)', async () => {
    const sockets: Socket[] = [];
    const blackHole: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as { port: number };
    const config = testConfig({ KAFKA_BROKERS: `127.0.0.1:${port}`, PRODUCE_TIMEOUT_MS: '1000' });
    const silent = heldToOpenApi(createProduceRuntime(config, { logger: silentLogger }));
    try {
      const startedMs = Date.now();
      const result = await silent.handler(produceEvent(topic, { records: [{ value: 1 }] }));
      expect(result.statusCode).toBe(504);
      expect(bodyOf(result)).toMatchObject({ error_code: 50401 });
      expect(Date.now() - startedMs).toBeLessThan(3_000);
    } finally {
      await silent.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });

  it('503 50302 when the idempotency store refuses connections, answered without host, port or error text', async () => {
    const port = await freePort();
    const config = testConfig({ DYNAMODB_ENDPOINT: `http://127.0.0.1:${port}` });
    const { logger, lines } = capturingLogger();
    const noStore = heldToOpenApi(createProduceRuntime(config, { logger }));
    try {
      const result = await noStore.handler(produceEvent(topic, { records: [{ value: 1 }] }, { headers: { 'idempotency-key': 'k1' } }));
      expect(result.statusCode).toBe(503);
      expect(bodyOf(result)).toEqual({ error_code: 50302, message: 'the idempotency store is unavailable; retry later' });
      expect(result.body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|connect/);
      expect(result.body).not.toContain(String(port));
      // The detail is in the log, on a line that names the request.
      const failed = lines.find((line) => line.message === 'request failed');
      expect(failed).toMatchObject({ requestId: 'test-request', httpStatus: 503, errorName: 'StoreUnavailableError' });
      expect(String(failed?.cause)).toContain('ECONNREFUSED');
      expect(String(failed?.cause)).toContain(String(port));
    } finally {
      await noStore.close();
    }
  });

  it('422 when the broker refuses a record (no key on a compacted topic), never a 500', async () => {
    const compacted = await createTopicWithConfig('produce-compact', [{ name: 'cleanup.policy', value: 'compact' }]);
    const result = await runtime.handler(produceEvent(compacted, { records: [{ value: b64('x') }] }, { contentType: BINARY_V2 }));
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toEqual({ error_code: 42201, message: 'Kafka refused a record as invalid for this topic' });
  });
});
