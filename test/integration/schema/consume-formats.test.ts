/**
 * Schema'd records through the local pipeline into the sink, on the real broker, store and
 * registry: written by the produce API in each format, and framed by an independent serializer
 * (kafkajs' schema registry package) straight onto the topic. A registry that goes away costs
 * a 503 on produce and retries on consume, and nothing is lost or dead-lettered when it is back.
 */
import { SchemaRegistry as IndependentRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterEach, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { silentLogger } from '../../../lib/logger';
import type { SchemaRegistryConfig } from '../../../lib/config';
import type { RecordProcessor } from '../../../lib/consume/processor';
import { ConfluentSchemaRegistry } from '../../../lib/schema/registry-client';
import { Schemas } from '../../../lib/schema/schemas';
import type { EmulatedSchemaRegistry } from '../../../local/emulator/schema-registry';
import { inspectTopic } from '../../../local/inspect';
import { readBack } from '../produce/read-back';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime';
import { startTcpGate, type TcpGate } from '../../../chaos/lib/tcp-gate';
import { testBrokers, testDynamo, testDynamoEndpoint, testKafka, testSchemaRegistryUrl, uniqueName, waitFor } from '../../helpers/infra';

const ORDER_AVRO = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'test.consume',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'total', type: 'long' },
  ],
});

const runtimes: LocalRuntime[] = [];
const gates: TcpGate[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop()));
  await Promise.all(gates.splice(0).map((gate) => gate.close()));
});

/** A gate in front of the test registry, closed and opened at will, and the registry's URL through it; closed after each test. */
async function gatedRegistry(): Promise<{ gate: TcpGate; gatedUrl: string }> {
  const registry = new URL(testSchemaRegistryUrl());
  const gate = await startTcpGate({ host: registry.hostname, port: Number(registry.port) });
  gates.push(gate);
  return { gate, gatedUrl: `http://127.0.0.1:${gate.port}${registry.pathname}` };
}

/**
 * An Avro record schema named `name` (one int member, `n`) registered under `<topic>-value` by an
 * independent client, behind the pipeline's back: the consume function has never fetched it.
 */
async function registerBehindTheBack(topic: string, name: string): Promise<{ independent: IndependentRegistry; id: number }> {
  const independent = new IndependentRegistry({ host: testSchemaRegistryUrl() });
  const { id } = await independent.register(
    {
      type: SchemaType.AVRO,
      schema: JSON.stringify({ type: 'record', name, namespace: uniqueName('ns').replaceAll('-', '_'), fields: [{ name: 'n', type: 'int' }] }),
    },
    { subject: `${topic}-value` },
  );
  return { independent, id };
}

async function start(
  registryUrl: string,
  functionTimeoutMs?: number,
  schemaRegistry?: EmulatedSchemaRegistry,
  processor?: RecordProcessor,
): Promise<{ runtime: LocalRuntime; messages: string }> {
  const messages = uniqueName('messages');
  const topic = uniqueName('schema-events');
  const runtime = await startLocalRuntime({
    external: { kafkaBrokers: testBrokers(), dynamoEndpoint: testDynamoEndpoint(), schemaRegistryUrl: registryUrl },
    env: { IDEMPOTENCY_TABLE: uniqueName('idempotency'), MESSAGES_TABLE: messages, PORT: '0', ALLOWED_TOPICS: '*' },
    // One poller: the records of every partition come in one event, as the tests below need.
    eventSource: {
      topic,
      onFailureTopic: `${topic}-dlq`,
      consumerGroupId: uniqueName('group'),
      maximumRetryAttempts: 20,
      provisionedPollers: { minimum: 1, maximum: 1 },
    },
    batchingWindowMs: 20,
    retryBackoff: { initialMs: 50, maxMs: 200 },
    logger: silentLogger,
    ...(functionTimeoutMs === undefined ? {} : { functionTimeoutMs }),
    ...(schemaRegistry === undefined ? {} : { schemaRegistry }),
    ...(processor === undefined ? {} : { processor }),
  });
  runtimes.push(runtime);
  return { runtime, messages };
}

async function post(runtime: LocalRuntime, contentType: string, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${runtime.httpUrl}/topics/${runtime.settings.topic}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The sink's `value` attributes by record key, as DynamoDB holds them (numbers as their text). */
async function sinkValues(table: string): Promise<Map<string, unknown>> {
  const { Items = [] } = await testDynamo().send(new ScanCommand({ TableName: table }));
  return new Map(Items.map((item) => [item.key?.S ?? '', item.value]));
}

describe('schema formats through the local pipeline', () => {
  // One pipeline (so one topic, and so one pair of subjects) per format: a subject holds one schema type.
  it.each([
    [
      'Avro',
      'application/vnd.kafka.avro.v2+json',
      `{"key_schema":"\\"string\\"","value_schema":${JSON.stringify(ORDER_AVRO)},"records":[{"key":"k-1","value":{"id":"a","total":12345678901234567}}]}`,
      { M: { id: { S: 'a' }, total: { N: '12345678901234567' } } },
      'AVRO',
    ],
    [
      'Protobuf',
      'application/vnd.kafka.protobuf.v2+json',
      `{"value_schema":${JSON.stringify('syntax = "proto3"; message V { int64 n = 1; string s = 2; }')},"records":[{"value":{"n":9007199254740993,"s":"x"}}]}`,
      // The Protobuf JSON mapping writes 64-bit integers as strings.
      { M: { n: { S: '9007199254740993' }, s: { S: 'x' } } },
      'PROTOBUF',
    ],
    [
      'JSON Schema',
      'application/vnd.kafka.jsonschema.v2+json',
      `{"value_schema":${JSON.stringify('{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}')},"records":[{"value":{"big":12345678901234567890,"f":0.5}}]}`,
      { M: { big: { N: '12345678901234567890' }, f: { N: '0.5' } } },
      'JSON',
    ],
  ])('stores %s values decoded in the sink, numbers as written, and inspect shows them', async (_name, contentType, requestBody, stored, format) => {
    const { runtime, messages } = await start(testSchemaRegistryUrl());
    const produced = await post(runtime, contentType, requestBody);
    expect(produced.status, JSON.stringify(produced.body)).toBe(200);
    const values = await waitFor('the sink item', async () => {
      const found = await sinkValues(messages);
      return found.size === 1 ? found : undefined;
    });
    expect([...values.values()]).toEqual([stored]);

    // npm run inspect shows the format, the schema id and the decoded value.
    const lines: string[] = [];
    const registry = new ConfluentSchemaRegistry(runtime.config.schemaRegistry as SchemaRegistryConfig);
    await inspectTopic({
      config: runtime.config,
      topic: runtime.settings.topic,
      fromBeginning: true,
      idleMs: 5_000,
      write: (line) => lines.push(line),
      logger: silentLogger,
      decoder: new Schemas(registry),
    });
    const [line] = lines.map((text) => JSON.parse(text) as { decoded: { valueSchema: unknown } });
    expect(line?.decoded.valueSchema).toEqual({ format, schemaId: String(produced.body.value_schema_id) });
  });

  it('produces and consumes Protobuf whose schema imports another, registered with references', async () => {
    const { runtime, messages } = await start(testSchemaRegistryUrl());
    const registry = testSchemaRegistryUrl();
    const pkg = uniqueName('shop').replaceAll('-', '_');
    const register = async (subject: string, body: unknown): Promise<number> => {
      const response = await fetch(`${registry}/subjects/${subject}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify(body),
      });
      const answer = (await response.json()) as { id: number };
      expect(response.status, JSON.stringify(answer)).toBe(200);
      return answer.id;
    };
    const moneySubject = `${pkg}-money`;
    await register(moneySubject, {
      schemaType: 'PROTOBUF',
      schema: `syntax = "proto3"; package ${pkg}; message Money { string currency = 1; int64 units = 2; }`,
    });
    const id = await register(`${runtime.settings.topic}-value`, {
      schemaType: 'PROTOBUF',
      schema: `syntax = "proto3"; package ${pkg}; import "${pkg}/money.proto"; message Order { string id = 1; Money total = 2; }`,
      references: [{ name: `${pkg}/money.proto`, subject: moneySubject, version: 1 }],
    });
    const produced = await post(
      runtime,
      'application/vnd.kafka.protobuf.v2+json',
      `{"value_schema_id":${id},"records":[{"value":{"id":"o-1","total":{"currency":"EUR","units":"12345678901234567"}}}]}`,
    );
    expect(produced.status, JSON.stringify(produced.body)).toBe(200);
    const values = await waitFor('the sink item', async () => {
      const found = await sinkValues(messages);
      return found.size === 1 ? found : undefined;
    });
    // Written with the imported message inside, read back by the consume function with the same references.
    expect([...values.values()]).toEqual([{ M: { id: { S: 'o-1' }, total: { M: { currency: { S: 'EUR' }, units: { S: '12345678901234567' } } } } }]);
  });

  it('decodes records an independent serializer framed, and dead-letters one whose schema id is unknown, alone', async () => {
    const { runtime, messages } = await start(testSchemaRegistryUrl());
    const independent = new IndependentRegistry({ host: testSchemaRegistryUrl() });
    const { id } = await independent.register({ type: SchemaType.AVRO, schema: ORDER_AVRO }, { subject: `${runtime.settings.topic}-value` });
    const producer = testKafka().producer();
    await producer.connect();
    try {
      await producer.send({
        topic: runtime.settings.topic,
        messages: [
          { key: 'framed-1', value: await independent.encode(id, { id: 'f', total: 42 }), partition: 0 },
          { key: 'unknown-id', value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x61, 0x02]), partition: 0 },
          { key: 'framed-2', value: await independent.encode(id, { id: 'g', total: -1 }), partition: 0 },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    const values = await waitFor('two sink items', async () => {
      const found = await sinkValues(messages);
      return found.size === 2 ? found : undefined;
    });
    expect(values.get('framed-1')).toEqual({ M: { id: { S: 'f' }, total: { N: '42' } } });
    expect(values.get('framed-2')).toEqual({ M: { id: { S: 'g' }, total: { N: '-1' } } });
    await waitFor('the dead letter', () => runtime.emulator.stats().deadLettered === 1, { timeoutMs: 30_000 });
  });

  it('answers 503 on produce and retries on consume while the registry is away, and loses nothing when it is back', async () => {
    const { gate, gatedUrl } = await gatedRegistry();
    const { runtime, messages } = await start(gatedUrl, 4_000);
    const { independent, id } = await registerBehindTheBack(runtime.settings.topic, 'Late');

    await gate.close();
    const refused = await post(
      runtime,
      'application/vnd.kafka.avro.v2+json',
      `{"value_schema":${JSON.stringify(ORDER_AVRO)},"records":[{"value":{"id":"x","total":1}}]}`,
    );
    expect(refused).toEqual({ status: 503, body: { error_code: 50304, message: 'the schema registry is unavailable; retry later' } });

    const producer = testKafka().producer();
    await producer.connect();
    try {
      await producer.send({ topic: runtime.settings.topic, messages: [{ key: 'late', value: await independent.encode(id, { n: 7 }) }] });
    } finally {
      await producer.disconnect();
    }
    await waitFor('a retried invocation', () => runtime.emulator.stats().retried >= 1, { timeoutMs: 30_000 });
    expect(await sinkValues(messages)).toEqual(new Map());

    await gate.open();
    const values = await waitFor('the sink item', async () => {
      const found = await sinkValues(messages);
      return found.size === 1 ? found : undefined;
    });
    expect(values.get('late')).toEqual({ M: { n: { N: '7' } } });
    expect(runtime.emulator.stats().deadLettered).toBe(0);
  });

  it('goes on with a plain partition while a framed one waits for the registry, and applies each record once when it is back', async () => {
    const { gate, gatedUrl } = await gatedRegistry();
    // Each application of a record, by its key, with the decoded value if any.
    const applied: string[] = [];
    const processor: RecordProcessor = {
      async process(record) {
        applied.push(`${record.key?.toString()}${record.decodedValue === undefined ? '' : `=${JSON.stringify(record.decodedValue.value)}`}`);
      },
    };
    // Long enough that the framed partition's wait outlasts the plain partition's work by far.
    const { runtime } = await start(gatedUrl, 10_000, undefined, processor);
    const { independent, id } = await registerBehindTheBack(runtime.settings.topic, 'Mixed');
    await gate.close();
    const producer = testKafka().producer();
    await producer.connect();
    try {
      await producer.send({
        topic: runtime.settings.topic,
        messages: [
          { key: 'plain-0', value: '{"p":0}', partition: 0 },
          { key: 'plain-1', value: '{"p":1}', partition: 0 },
          { key: 'before-framed', value: '{"p":2}', partition: 1 },
          { key: 'framed-1', value: await independent.encode(id, { n: 1 }), partition: 1 },
          { key: 'framed-2', value: await independent.encode(id, { n: 2 }), partition: 1 },
          { key: 'after-framed', value: '{"p":3}', partition: 1 },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    // The plain partition, and the plain record before the first framed one, are done while the
    // framed record's invocation still waits for the registry (well within its 10 s).
    await waitFor('the plain records', () => ['plain-0', 'plain-1', 'before-framed'].every((key) => applied.includes(`${key}`)), { timeoutMs: 6_000 });
    expect(runtime.emulator.stats().retried).toBe(0);
    expect(applied.filter((entry) => entry.startsWith('framed') || entry.startsWith('after'))).toEqual([]);

    await waitFor('a retried invocation', () => runtime.emulator.stats().retried >= 1, { timeoutMs: 30_000 });
    await gate.open();
    await waitFor('every record', () => applied.length >= 6, { timeoutMs: 30_000 });
    // lost=0 duplicated=0: each record applied exactly once, the framed ones decoded, in partition order.
    expect([...applied].sort()).toEqual(['after-framed', 'before-framed', 'framed-1={"n":1}', 'framed-2={"n":2}', 'plain-0', 'plain-1']);
    expect(applied.filter((entry) => /^(before|framed|after)/.test(entry))).toEqual(['before-framed', 'framed-1={"n":1}', 'framed-2={"n":2}', 'after-framed']);
    expect(runtime.emulator.stats().deadLettered).toBe(0);
  });

  it.each([
    ['SOURCE', { S: 'a' }],
    ['JSON', { S: 'a' }],
  ] as const)(
    'with the mapping validating values (%s format): delivers valid records decoded and sends the others on with their reason, never to the function',
    async (eventRecordFormat, id) => {
      const { runtime, messages } = await start(testSchemaRegistryUrl(), undefined, { eventRecordFormat, schemaValidation: ['VALUE'] });
      const topic = runtime.settings.topic;
      const valid = await post(
        runtime,
        'application/vnd.kafka.avro.v2+json',
        `{"value_schema":${JSON.stringify(ORDER_AVRO)},"records":[{"value":{"id":"a","total":12345678901234567}}]}`,
      );
      expect(valid.status, JSON.stringify(valid.body)).toBe(200);
      const plain = await fetch(`${runtime.httpUrl}/topics/${topic}`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
        body: '{"records":[{"key":"k-plain","value":{"plain":true}}]}',
      });
      expect(plain.status).toBe(200);

      // The valid record has no key: the sink's item without one.
      const values = await waitFor('the valid record in the sink', async () => {
        const found = await sinkValues(messages);
        return found.has('') ? found : undefined;
      });
      expect(values.get('')).toEqual({ M: { id, total: { N: '12345678901234567' } } });
      const [refused] = await readBack(runtime.settings.onFailureTopic, 1);
      // The json format keeps the key as its JSON text.
      expect(refused?.key?.toString()).toBe('"k-plain"');
      expect(refused?.headers['x-failure-reason']).toBe('SCHEMA_NOT_FOUND');
      expect(runtime.emulator.stats()).toMatchObject({ deadLettered: 1, delivered: 1 });
      expect([...(await sinkValues(messages)).keys()]).toEqual(['']);
    },
  );
});
