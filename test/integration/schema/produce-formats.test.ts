/**
 * The REST Proxy's schema'd embedded formats against the real broker and the real registry:
 * records read back with an independent deserializer (kafkajs' schema registry package, which
 * fetches the schema by the id in the frame), every error answered before anything is written,
 * and numbers kept digit for digit.
 */
import { SchemaRegistry as IndependentRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SchemaRegistryConfig } from '../../../lib/config';
import { silentLogger } from '../../../lib/logger';
import { ConfluentSchemaRegistry } from '../../../lib/schema/registry-client';
import { createProduceRuntime, type ProduceRuntime } from '../../../lib/produce';
import { freePort } from '../../../local/ports';
import { produceEvent } from '../../helpers/http-events';
import { createTestTables, createTestTopic, topicRecordCount, testConfig, testSchemaRegistryUrl } from '../../helpers/infra';
import { ORDER_AVRO } from '../../helpers/order-schemas';
import { readBack } from '../produce/read-back';

const AVRO = 'application/vnd.kafka.avro.v2+json';
const JSON_SCHEMA = 'application/vnd.kafka.jsonschema.v2+json';
const PROTOBUF = 'application/vnd.kafka.protobuf.v2+json';

const ORDER_PROTO = 'syntax = "proto3";\npackage test.orders;\nmessage Order {\n  string id = 1;\n  int32 quantity = 2;\n  int64 total = 3;\n}\n';
const ORDER_JSON_SCHEMA = JSON.stringify({
  type: 'object',
  properties: { id: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } },
  required: ['id', 'quantity'],
});

function body(result: { body?: string }): Record<string, unknown> {
  return JSON.parse(result.body as string) as Record<string, unknown>;
}

describe('schema formats on produce, against the real broker and registry', () => {
  let runtime: ProduceRuntime;
  let registry: ConfluentSchemaRegistry;
  const independent = new IndependentRegistry({ host: testSchemaRegistryUrl() });

  beforeAll(async () => {
    const config = testConfig();
    await createTestTables(config);
    registry = new ConfluentSchemaRegistry(config.schemaRegistry as SchemaRegistryConfig);
    runtime = createProduceRuntime(config, { logger: silentLogger, schemaRegistry: registry });
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('writes Avro in the Confluent wire format: schema text first, then the id it answered', async () => {
    const topic = await createTestTopic('avro', 1);
    const first = await runtime.handler(
      produceEvent(
        topic,
        {
          key_schema: '"string"',
          value_schema: ORDER_AVRO,
          records: [{ key: 'order-1', value: { id: 'order-1', quantity: 2, total: 1250, note: { string: 'gift' } } }],
        },
        { contentType: AVRO },
      ),
    );
    expect(first.statusCode).toBe(200);
    const { key_schema_id: keySchemaId, value_schema_id: valueSchemaId } = body(first);
    expect(typeof keySchemaId).toBe('number');
    expect(typeof valueSchemaId).toBe('number');
    expect(keySchemaId).not.toBe(valueSchemaId);

    const second = await runtime.handler(
      produceEvent(
        topic,
        { value_schema_id: valueSchemaId, records: [{ value: { id: 'order-2', quantity: 1, total: -7, note: null } }] },
        { contentType: AVRO },
      ),
    );
    expect(second.statusCode).toBe(200);
    expect(body(second)).toMatchObject({ key_schema_id: null, value_schema_id: valueSchemaId });

    // Warm: the schema given by text again, and by id again, cost no registry request.
    const requestsBefore = registry.requestCount;
    const third = await runtime.handler(
      produceEvent(topic, { value_schema: ORDER_AVRO, records: [{ value: { id: 'order-3', quantity: 1, total: 0, note: null } }] }, { contentType: AVRO }),
    );
    const fourth = await runtime.handler(
      produceEvent(
        topic,
        { value_schema_id: valueSchemaId, records: [{ value: { id: 'order-4', quantity: 1, total: 0, note: null } }] },
        { contentType: AVRO },
      ),
    );
    expect([third.statusCode, fourth.statusCode]).toEqual([200, 200]);
    expect(registry.requestCount).toBe(requestsBefore);

    const [one, two] = await readBack(topic, 4);
    expect(one?.value?.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, valueSchemaId as number]));
    expect(await independent.decode(one?.key as Buffer)).toBe('order-1');
    expect(await independent.decode(one?.value as Buffer)).toEqual({ id: 'order-1', quantity: 2, total: 1250, note: 'gift' });
    expect(await independent.decode(two?.value as Buffer)).toEqual({ id: 'order-2', quantity: 1, total: -7, note: null });
    expect(two?.key).toBeNull();
  });

  it('writes JSON Schema values as the client wrote them, behind the frame', async () => {
    const topic = await createTestTopic('jsonschema', 1);
    const text = `{"records":[{"value":{"id":"a","quantity":3,"big":12345678901234567890,"price":0.10}}],"value_schema":${JSON.stringify(ORDER_JSON_SCHEMA)}}`;
    const result = await runtime.handler(produceEvent(topic, text, { contentType: JSON_SCHEMA }));
    expect(result.statusCode).toBe(200);
    const id = body(result).value_schema_id as number;
    const [record] = await readBack(topic, 1);
    expect(record?.value?.subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, id]));
    expect(record?.value?.subarray(5).toString('utf8')).toBe('{"id":"a","quantity":3,"big":12345678901234567890,"price":0.10}');
    const decoded = (await independent.decode(record?.value as Buffer)) as Record<string, unknown>;
    expect(decoded).toMatchObject({ id: 'a', quantity: 3 });
  });

  it('writes Protobuf with the message index, readable by an independent deserializer', async () => {
    const topic = await createTestTopic('protobuf', 1);
    const result = await runtime.handler(
      produceEvent(topic, { value_schema: ORDER_PROTO, records: [{ value: { id: 'p-1', quantity: 4, total: 99 } }] }, { contentType: PROTOBUF }),
    );
    expect(result.statusCode).toBe(200);
    const id = body(result).value_schema_id as number;
    const [record] = await readBack(topic, 1);
    // Magic byte, the id, then the message index 0 (the file's first message).
    expect(record?.value?.subarray(0, 6)).toEqual(Buffer.from([0, 0, 0, 0, id, 0]));
    const decoded = (await independent.decode(record?.value as Buffer)) as { id: string; quantity: number; total: { toString(): string } };
    expect(decoded.id).toBe('p-1');
    expect(decoded.quantity).toBe(4);
    expect(decoded.total.toString()).toBe('99');
  });

  it('keeps every digit of 2^53 + 1 in an Avro long and a Protobuf int64', async () => {
    const topic = await createTestTopic('big-numbers', 1);
    const avro = await runtime.handler(produceEvent(topic, '{"value_schema":"\\"long\\"","records":[{"value":9007199254740993}]}', { contentType: AVRO }));
    expect(avro.statusCode).toBe(200);
    const proto = await runtime.handler(
      produceEvent(
        topic,
        `{"value_schema":${JSON.stringify('syntax = "proto3"; message Big { int64 n = 1; }')},"records":[{"value":{"n":9007199254740993}}]}`,
        {
          contentType: PROTOBUF,
        },
      ),
    );
    expect(proto.statusCode).toBe(200);
    const [avroRecord, protoRecord] = await readBack(topic, 2);
    // Zig-zag varint of 2^53 + 1 (2^54 + 2), worked out by hand.
    expect(avroRecord?.value?.subarray(5)).toEqual(Buffer.from([0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]));
    // Message index 0, then field 1 as a varint of 2^53 + 1.
    expect(protoRecord?.value?.subarray(5)).toEqual(Buffer.from([0x00, 0x08, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]));
  });

  it.each([
    [
      'a key without a key schema',
      { value_schema: '"string"', records: [{ key: 'k', value: 'v' }] },
      422,
      42201,
      'records[0].key: a key needs key_schema or key_schema_id',
    ],
    ['a value without a value schema', { records: [{ value: 'v' }] }, 422, 42202, 'records[0].value: a value needs value_schema or value_schema_id'],
    [
      'a schema that does not parse',
      { value_schema: '{"type":"recrod","name":"X"}', records: [{ value: {} }] },
      422,
      42205,
      'value_schema: not a valid Avro schema',
    ],
    [
      'an id nothing is registered under',
      { value_schema_id: 2_000_000_000, records: [{ value: 'v' }] },
      422,
      42207,
      'value_schema_id: schema id 2000000000 is not registered',
    ],
    [
      'data that does not match its schema',
      { value_schema: ORDER_AVRO, records: [{ value: { id: 'ok', quantity: 1, total: 1 } }, { value: { id: 'x', quantity: 'two', total: 1 } }] },
      422,
      42203,
      'records[1].value.quantity: expected int',
    ],
    [
      'both a schema and an id',
      { value_schema: '"string"', value_schema_id: 1, records: [{ value: 'v' }] },
      422,
      42201,
      'value_schema and value_schema_id: give one of them, not both',
    ],
  ])('answers %s with %i %i and writes nothing', async (_name, request, status, errorCode, message) => {
    const topic = await createTestTopic('schema-errors', 1);
    const result = await runtime.handler(produceEvent(topic, request, { contentType: AVRO }));
    expect(result.statusCode).toBe(status);
    expect(body(result).error_code).toBe(errorCode);
    // Whole messages, in the API's terms.
    expect(body(result).message).toBe(message);
    expect(await topicRecordCount(topic)).toBe(0);
  });

  it('answers an id registered under another subject with 42207', async () => {
    const other = await createTestTopic('schema-other', 1);
    const registered = await runtime.handler(
      produceEvent(other, { value_schema: '{"type":"fixed","name":"Six","size":6}', records: [{ value: 'abcdef' }] }, { contentType: AVRO }),
    );
    expect(registered.statusCode).toBe(200);
    const topic = await createTestTopic('schema-errors', 1);
    const result = await runtime.handler(
      produceEvent(topic, { value_schema_id: body(registered).value_schema_id, records: [{ value: 'abcdef' }] }, { contentType: AVRO }),
    );
    expect(result.statusCode).toBe(422);
    expect(body(result)).toEqual({
      error_code: 42207,
      message: `value_schema_id: schema id ${body(registered).value_schema_id} is not registered under subject "${topic}-value"`,
    });
    expect(await topicRecordCount(topic)).toBe(0);
  });

  it('answers 503 with a fixed message when the registry cannot be reached, naming no host', async () => {
    const port = await freePort();
    const config = testConfig({ SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}/apis/ccompat/v7`, SCHEMA_REGISTRY_TIMEOUT_MS: '500' });
    const unreachable = createProduceRuntime(config, { logger: silentLogger });
    try {
      const topic = await createTestTopic('schema-down', 1);
      const result = await unreachable.handler(produceEvent(topic, { value_schema: '"string"', records: [{ value: 'v' }] }, { contentType: AVRO }));
      expect(result.statusCode).toBe(503);
      expect(body(result)).toEqual({ error_code: 50304, message: 'the schema registry is unavailable; retry later' });
      expect(await topicRecordCount(topic)).toBe(0);
    } finally {
      await unreachable.close();
    }
  });
});
