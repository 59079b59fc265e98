/**
 * AVRO, JSONSCHEMA and PROTOBUF on the REST Proxy v3 records, against the real broker and the
 * real registry: one record, several in one body, and a batch, read back with an independent
 * deserializer (kafkajs' schema registry package, which fetches the schema by the frame's id);
 * the answers to each mix of schema members Confluent's REST Proxy refuses; and every answer
 * held to docs/openapi.yaml. Expected answers are written by hand from Confluent's
 * `api/v3/openapi.yaml` and its v3 produce rules (SchemaManagerImpl).
 */
import { SchemaRegistry as IndependentRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../lib/logger';
import { createProduceRuntime, type ProduceRuntime } from '../../../lib/produce';
import { freePort } from '../../../local/ports';
import { httpEvent } from '../../helpers/http-events';
import { createTestTables, createTestTopic, topicRecordCount, testConfig, testKafka, testSchemaRegistryUrl, uniqueName } from '../../helpers/infra';
import { openApiProblems } from '../../helpers/openapi';
import { ORDER_AVRO } from '../../helpers/order-schemas';
import { readBack } from '../produce/read-back';

const V3 = 'application/json';
const RECORDS = '/v3/clusters/{cluster_id}/topics/{topic_name}/records';
const BATCH = '/v3/clusters/{cluster_id}/topics/{topic_name}/records:batch';

const ITEM_PROTO = 'syntax = "proto3";\npackage test.items;\nmessage Item {\n  string id = 1;\n  int32 quantity = 2;\n}\n';
const TOTAL_JSON_SCHEMA = JSON.stringify({ type: 'object', properties: { id: { type: 'string' }, total: { type: 'integer' } }, required: ['id', 'total'] });

/** Bytes 1-4 of a Confluent frame: the schema id. */
const frameId = (bytes: Buffer | null | undefined): number | undefined => bytes?.readUInt32BE(1);

describe('schema formats on v3 records, against the real broker and registry', () => {
  let runtime: ProduceRuntime;
  let clusterId: string;
  const independent = new IndependentRegistry({ host: testSchemaRegistryUrl() });

  async function post(target: ProduceRuntime, topic: string, body: string, batch = false): Promise<APIGatewayProxyStructuredResultV2> {
    const path = `/v3/clusters/${clusterId}/topics/${topic}/records${batch ? ':batch' : ''}`;
    const result = (await target.handler(
      httpEvent({ method: 'POST', path, headers: { host: 'api.example.com', 'content-type': V3 }, body }),
    )) as APIGatewayProxyStructuredResultV2;
    expect(openApiProblems('POST', batch ? BATCH : RECORDS, result)).toEqual([]);
    return result;
  }
  const reports = (result: APIGatewayProxyStructuredResultV2): Record<string, unknown>[] =>
    (result.body as string)
      .split('\r\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    const config = testConfig();
    await createTestTables(config);
    runtime = createProduceRuntime(config, { logger: silentLogger });
    const admin = testKafka().admin();
    await admin.connect();
    try {
      clusterId = (await admin.describeCluster()).clusterId;
    } finally {
      await admin.disconnect();
    }
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('writes AVRO, JSONSCHEMA and PROTOBUF given by schema text, reporting subject, id and version, every digit kept', async () => {
    const topic = await createTestTopic('v3-avro', 1);
    const avro = await post(
      runtime,
      topic,
      JSON.stringify({
        key: { type: 'AVRO', schema: '"string"', data: 'order-1' },
        value: { type: 'AVRO', schema: ORDER_AVRO, data: { id: 'order-1', quantity: 2, total: 1250, note: { string: 'gift' } } },
      }),
    );
    expect(avro.statusCode).toBe(200);
    const [avroReport] = reports(avro);
    const [avroRecord] = await readBack(topic, 1);
    const keyId = frameId(avroRecord?.key);
    const valueId = frameId(avroRecord?.value);
    // Sizes by hand: the frame's 5 bytes, then Avro's zig-zag varints (string: length 7 as 0x0e, then 7 bytes;
    // the order: 8 for its id, 1 for quantity 2, 2 for total 1250, 1 for the union branch, 5 for "gift").
    expect(avroReport).toMatchObject({
      error_code: 200,
      cluster_id: clusterId,
      topic_name: topic,
      partition_id: 0,
      offset: 0,
      key: { type: 'AVRO', size: 13, subject: `${topic}-key`, schema_id: keyId, schema_version: 1 },
      value: { type: 'AVRO', size: 22, subject: `${topic}-value`, schema_id: valueId, schema_version: 1 },
    });
    expect(keyId).not.toBe(valueId);
    expect(await independent.decode(avroRecord?.key as Buffer)).toBe('order-1');
    expect(await independent.decode(avroRecord?.value as Buffer)).toEqual({ id: 'order-1', quantity: 2, total: 1250, note: 'gift' });

    const jsonTopic = await createTestTopic('v3-jsonschema', 1);
    const json = await post(
      runtime,
      jsonTopic,
      `{"value": {"type": "JSONSCHEMA", "schema": ${JSON.stringify(TOTAL_JSON_SCHEMA)}, "data": {"id": "o-1", "total": 9007199254740993}}}`,
    );
    const [jsonRecord] = await readBack(jsonTopic, 1);
    // 2^53+1 reaches Kafka digit for digit: the frame, then the JSON text (37 bytes).
    expect(jsonRecord?.value?.subarray(5).toString('utf8')).toBe('{"id":"o-1","total":9007199254740993}');
    expect(reports(json)).toEqual([
      expect.objectContaining({
        error_code: 200,
        value: { type: 'JSONSCHEMA', size: 42, subject: `${jsonTopic}-value`, schema_id: frameId(jsonRecord?.value), schema_version: 1 },
      }),
    ]);

    const protoTopic = await createTestTopic('v3-protobuf', 1);
    const proto = await post(runtime, protoTopic, JSON.stringify({ value: { type: 'PROTOBUF', schema: ITEM_PROTO, data: { id: 'o-1', quantity: 2 } } }));
    const [protoRecord] = await readBack(protoTopic, 1);
    // The frame, the message index 0, then field 1 (0x0a, length 3, "o-1") and field 2 (0x10, 2): 5 + 1 + 5 + 2.
    expect(reports(proto)).toEqual([
      expect.objectContaining({
        value: { type: 'PROTOBUF', size: 13, subject: `${protoTopic}-value`, schema_id: frameId(protoRecord?.value), schema_version: 1 },
      }),
    ]);
    expect(await independent.decode(protoRecord?.value as Buffer)).toMatchObject({ id: 'o-1', quantity: 2 });
  });

  it('finds schemas by id, version, latest and record name for several records in one body', async () => {
    const topic = await createTestTopic('v3-stream', 1);
    const { id } = await independent.register({ type: SchemaType.AVRO, schema: ORDER_AVRO }, { subject: `${topic}-value` });
    const namespace = uniqueName('ns').replaceAll('-', '_');
    const named = JSON.stringify({ type: 'record', name: 'Tick', namespace, fields: [{ name: 'n', type: 'int' }] });
    const order = (n: number): unknown => ({ id: `o-${n}`, quantity: n, total: 10 * n, note: null });
    const body = [
      { value: { schema_id: id, data: order(1) } },
      { value: { schema_version: 1, data: order(2) } },
      { value: { data: order(3) } },
      { value: { subject_name_strategy: 'RECORD_NAME', type: 'AVRO', schema: named, data: { n: 4 } } },
      { value: { subject_name_strategy: 'TOPIC_RECORD_NAME', type: 'AVRO', schema: named, data: { n: 5 } } },
    ]
      .map((record) => JSON.stringify(record))
      .join('\n');
    const result = await post(runtime, topic, body);
    expect(result.statusCode).toBe(200);
    const answered = reports(result).map((report) => report.value as Record<string, unknown>);
    const sameSchema = { type: 'AVRO', subject: `${topic}-value`, schema_id: id, schema_version: 1 };
    expect(answered.slice(0, 3)).toEqual([expect.objectContaining(sameSchema), expect.objectContaining(sameSchema), expect.objectContaining(sameSchema)]);
    expect(answered[3]).toMatchObject({ type: 'AVRO', subject: `${namespace}.Tick`, schema_version: 1 });
    expect(answered[4]).toMatchObject({ type: 'AVRO', subject: `${topic}-${namespace}.Tick`, schema_version: 1 });
    const records = await readBack(topic, 5);
    expect(await Promise.all(records.map((record) => independent.decode(record.value as Buffer)))).toEqual([order(1), order(2), order(3), { n: 4 }, { n: 5 }]);
  });

  it('answers a PROTOBUF batch 207, a record not matching its schema failing on its own', async () => {
    const topic = await createTestTopic('v3-batch', 1);
    const entry = (id: string, data: unknown): unknown => ({ id, value: { type: 'PROTOBUF', schema: ITEM_PROTO, data } });
    const result = await post(
      runtime,
      topic,
      JSON.stringify({ entries: [entry('a', { id: 'x', quantity: 1 }), entry('b', { id: 'y', quantity: 'two' })] }),
      true,
    );
    expect(result.statusCode).toBe(207);
    const answer = JSON.parse(result.body as string) as { successes: Record<string, unknown>[]; failures: Record<string, unknown>[] };
    expect(answer.successes).toEqual([
      expect.objectContaining({ id: 'a', offset: 0, value: expect.objectContaining({ type: 'PROTOBUF', subject: `${topic}-value` }) }),
    ]);
    expect(answer.failures).toEqual([{ id: 'b', error_code: 42203, message: 'value.data.quantity: expected int32 (a whole number, or its decimal string)' }]);
    const [record] = await readBack(topic, 1);
    expect(await independent.decode(record?.value as Buffer)).toMatchObject({ id: 'x', quantity: 1 });
    expect(await topicRecordCount(topic)).toBe(1);
  });

  it('answers each mix of schema members Confluent refuses in its own report, and writes nothing', async () => {
    const topic = await createTestTopic('v3-mixes', 1);
    const { id } = await independent.register({ type: SchemaType.AVRO, schema: ORDER_AVRO }, { subject: `${topic}-value` });
    const cases: [unknown, number, string][] = [
      [{ type: 'AVRO', schema_id: id, data: 'x' }, 400, 'value.schema_id: goes with subject or subject_name_strategy only, not with type'],
      [{ schema_id: id, schema_version: 1, data: 'x' }, 400, 'value.schema_id: goes with subject or subject_name_strategy only, not with schema_version'],
      [{ schema_version: 1, schema: '"string"', data: 'x' }, 400, 'value.schema_version: goes with subject or subject_name_strategy only, not with schema'],
      [{ schema: '"string"', data: 'x' }, 400, 'value.schema: needs type (AVRO, JSONSCHEMA or PROTOBUF)'],
      [
        { type: 'JSONSCHEMA', data: 'x' },
        400,
        "value.type: JSONSCHEMA needs schema, schema_id or schema_version; for the subject's latest schema leave type out",
      ],
      [
        { subject_name_strategy: 'RECORD_NAME', schema_version: 1, data: 'x' },
        400,
        'value.subject_name_strategy: RECORD_NAME needs schema_id or schema, to name the subject by',
      ],
      [{ schema_version: 7, data: 'x' }, 400, `value.schema_version: subject "${topic}-value" has no version 7`],
      [
        { type: 'JSONSCHEMA', subject_name_strategy: 'RECORD_NAME', schema: '{"type":"string"}', data: 'x' },
        400,
        'value.subject_name_strategy: RECORD_NAME needs a record name; this JSON Schema has no title',
      ],
      [{ schema_id: 2_147_483_647, data: 'x' }, 42207, 'value.schema_id: schema id 2147483647 is not registered'],
      [{ subject: uniqueName('none'), data: 'x' }, 42207, 'value: subject "'],
      [{ type: 'AVRO', schema: '{"type":"nope"}', data: 'x' }, 42205, 'value.schema: not a valid Avro schema'],
      [{ type: 'AVRO', subject: uniqueName('ints'), schema: '"int"', data: 'x' }, 42203, 'value.data: '],
      // The topic's value subject holds the order schema, and Apicurio checks compatibility by default.
      [{ type: 'AVRO', schema: '"int"', data: 1 }, 42205, `the schema is not compatible with the schemas registered under subject "${topic}-value"`],
      [{ subject_name_strategy: 'TOPIC', data: 'x' }, 42201, 'value.subject_name_strategy: must be one of TOPIC_NAME, RECORD_NAME, TOPIC_RECORD_NAME'],
      [{ schema_id: '1', data: 'x' }, 42201, 'value.schema_id: must be a schema id (a whole number)'],
    ];
    const result = await post(runtime, topic, cases.map(([value]) => JSON.stringify({ value })).join('\r\n'));
    expect(result.statusCode).toBe(200);
    const answered = reports(result);
    expect(answered.map((report) => report.error_code)).toEqual(cases.map(([, code]) => code));
    answered.forEach((report, index) => {
      expect(report.message).toContain(cases[index]?.[2]);
    });
    expect(await topicRecordCount(topic)).toBe(0);
  });

  it('answers 503 with a fixed message when the registry cannot be reached, naming no host, and writes nothing', async () => {
    const port = await freePort();
    const config = testConfig({ SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}/apis/ccompat/v7`, SCHEMA_REGISTRY_TIMEOUT_MS: '500' });
    const unreachable = createProduceRuntime(config, { logger: silentLogger });
    try {
      const topic = await createTestTopic('v3-registry-down', 1);
      const single = await post(unreachable, topic, JSON.stringify({ value: { type: 'AVRO', schema: '"string"', data: 'v' } }));
      expect(single.statusCode).toBe(503);
      expect(single.body).toBe('{"error_code":50304,"message":"the schema registry is unavailable; retry later"}\r\n');
      const batch = await post(unreachable, topic, JSON.stringify({ entries: [{ id: '1', value: { schema_id: 1, data: 'v' } }] }), true);
      expect(batch.statusCode).toBe(207);
      expect(JSON.parse(batch.body as string)).toEqual({
        successes: [],
        failures: [{ id: '1', error_code: 50304, message: 'the schema registry is unavailable; retry later' }],
      });
      expect(await topicRecordCount(topic)).toBe(0);
    } finally {
      await unreachable.close();
    }
  });
});
