import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduceRuntime, type ProduceRuntime } from '../../../lib/produce';
import { silentLogger } from '../../../lib/logger';
import { createTestTables, createTestTopic, testConfig } from '../../helpers/infra';
import { digestInHeader } from '../../helpers/caller-keys';
import { asCaller, b64, BINARY_V2, jwtAuthorizer, produceEvent } from '../../helpers/http-events';
import { readBack } from './read-back';
import { heldToOpenApi } from '../../helpers/openapi';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('produce round trip against the real broker', () => {
  let runtime: ProduceRuntime;

  beforeAll(async () => {
    const config = testConfig();
    await createTestTables(config);
    runtime = heldToOpenApi(createProduceRuntime(config, { logger: silentLogger }));
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('returns each record partition and offset, and the broker holds the same keys, values and headers', async () => {
    const topic = await createTestTopic('produce-rt', 3);
    const json = await runtime.handler(
      produceEvent(topic, {
        records: [
          {
            key: 'user-1',
            value: { n: 1 },
            partition: 2,
            headers: [
              { name: 'trace', value: b64('abc') },
              { name: 'constructor', value: b64('c') },
            ],
          },
          { key: 'user-1', value: { n: 2 }, partition: 2 },
          { value: [1, 2, 3], partition: 0 },
          { key: { k: 1 }, value: 'text', partition: 2, headers: [{ name: 'message-id', value: b64('client-id-7') }] },
        ],
      }),
    );
    expect(json.statusCode).toBe(200);
    expect(json.headers).toMatchObject({ 'Content-Type': 'application/vnd.kafka.v2+json' });
    expect(JSON.parse(json.body as string)).toEqual({
      key_schema_id: null,
      value_schema_id: null,
      offsets: [
        { partition: 2, offset: 0, error_code: null, error: null },
        { partition: 2, offset: 1, error_code: null, error: null },
        { partition: 0, offset: 0, error_code: null, error: null },
        { partition: 2, offset: 2, error_code: null, error: null },
      ],
    });

    const binary = await runtime.handler(
      produceEvent(
        topic,
        {
          records: [
            { key: Buffer.from([0, 255, 7]).toString('base64'), value: Buffer.from([1, 2, 3, 254]).toString('base64'), partition: 1 },
            {
              key: null,
              value: b64('second'),
              partition: 0,
              headers: [
                { name: 'h', value: b64('1') },
                { name: 'h', value: b64('2') },
                { name: 'h', value: b64('3') },
              ],
            },
          ],
        },
        { contentType: BINARY_V2 },
      ),
    );
    expect(binary.statusCode).toBe(200);
    expect(JSON.parse(binary.body as string).offsets).toEqual([
      { partition: 1, offset: 0, error_code: null, error: null },
      { partition: 0, offset: 1, error_code: null, error: null },
    ]);

    const read = await readBack(topic, 6);
    expect(read.map(({ partition, offset }) => [partition, offset])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [2, 0],
      [2, 1],
      [2, 2],
    ]);
    const [p0o0, p0o1, p1o0, p2o0, p2o1, p2o2] = read;
    expect(p2o0?.key?.toString()).toBe('"user-1"');
    expect(p2o0?.value?.toString()).toBe('{"n":1}');
    expect(p2o0?.headers.trace).toBe('abc');
    // A header name that is also an Object.prototype member is produced like any other.
    // (kafkajs' consumer decodes headers into a plain object and so merges it with
    // Object.prototype.constructor; the value we sent is the last element.)
    expect([p2o0?.headers.constructor].flat().at(-1)).toBe('c');
    expect(p2o0?.headers['message-id']).toMatch(UUID);
    expect(p2o1?.value?.toString()).toBe('{"n":2}');
    expect(p0o0?.key).toBeNull();
    expect(p0o0?.value?.toString()).toBe('[1,2,3]');
    expect(p2o2?.key?.toString()).toBe('{"k":1}');
    expect(p2o2?.value?.toString()).toBe('"text"');
    expect(p2o2?.headers['message-id']).toBe('client-id-7');
    expect([...(p1o0?.key ?? [])]).toEqual([0, 255, 7]);
    expect([...(p1o0?.value ?? [])]).toEqual([1, 2, 3, 254]);
    expect(p0o1?.key).toBeNull();
    expect(p0o1?.value?.toString()).toBe('second');
    expect(p0o1?.headers.h).toEqual(['1', '2', '3']);
    expect(p0o1?.headers['message-id']).toMatch(UUID);
    expect(new Set(read.map((record) => record.headers['message-id'])).size).toBe(6);
  });

  it('puts JSON keys and values on the topic as the client wrote them: every number digit for digit, escapes as sent', async () => {
    const topic = await createTestTopic('produce-as-written', 1);
    // Written by hand, as a client would send it; JSON.stringify could not produce these tokens.
    const body = `{"records": [
      {"key": 12345678901234567890, "value": {"amount": 0.10, "big": 1e400, "zero": -0, "name": "caf\\u00e9"}},
      {"key": "k\\u0031", "value": [ 1.50 , -9007199254740993 , 2E-400 , "\\ud83d\\ude00\\n" ]},
      {"value": {"a": 1, "a": 2}}
    ]}`;
    const response = await runtime.handler(produceEvent(topic, body));
    expect(response.statusCode).toBe(200);

    const read = await readBack(topic, 3);
    expect(read.map((record) => [record.key?.toString('utf8') ?? null, record.value?.toString('utf8')])).toEqual([
      ['12345678901234567890', '{"amount":0.10,"big":1e400,"zero":-0,"name":"caf\\u00e9"}'],
      ['"k\\u0031"', '[1.50,-9007199254740993,2E-400,"\\ud83d\\ude00\\n"]'],
      [null, '{"a":1,"a":2}'],
    ]);
  });

  it('stamps every record with the caller header (digest and MAC), anonymous without an authorizer locally, and refuses a client-supplied one', async () => {
    const topic = await createTestTopic('produce-caller', 1);
    const anonymous = await runtime.handler(produceEvent(topic, { records: [{ value: 1 }] }));
    const signedIn = await runtime.handler(
      asCaller(produceEvent(topic, { records: [{ value: 2 }, { value: 3 }] }), jwtAuthorizer({ iss: 'https://issuer.example.com/', sub: 'user-1' })),
    );
    expect([anonymous.statusCode, signedIn.statusCode]).toEqual([200, 200]);
    const forged = await runtime.handler(
      produceEvent(topic, { records: [{ value: 4 }, { value: 5, headers: [{ name: 'x-caller-id', value: b64('sha256:forged') }] }] }),
    );
    expect(forged.statusCode).toBe(422);
    expect(JSON.parse(forged.body as string)).toEqual({
      error_code: 42201,
      message: 'records[1].headers[0].name: "x-caller-id" is set by the API from the authenticated caller and cannot be sent',
    });

    const read = await readBack(topic, 3);
    // printf 'anonymous' | sha256sum; printf 'jwt:https://issuer.example.com/\nuser-1' | sha256sum
    expect(read.map((record) => [record.value?.toString(), digestInHeader(record.headers['x-caller-id'])])).toEqual([
      ['1', 'sha256:2f183a4e64493af3f377f745eda502363cd3e7ef6e4d266d444758de0a85fcc8'],
      ['2', 'sha256:deaa2cf031256dd489d13641e97c6dd79da1d827218c5b5e1579ad1f15bf950b'],
      ['3', 'sha256:deaa2cf031256dd489d13641e97c6dd79da1d827218c5b5e1579ad1f15bf950b'],
    ]);
    // Under the configured key k1, each MAC different: it covers its own record.
    const headers = read.map((record) => String(record.headers['x-caller-id']));
    expect(headers.every((header) => /^v1\.k1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/.test(header))).toBe(true);
    expect(new Set(headers).size).toBe(3);
  });

  it('sends a batch of 500 records in one request with contiguous offsets per partition, all on the broker', async () => {
    const topic = await createTestTopic('produce-batch', 3);
    const records = Array.from({ length: 500 }, (_, i) => ({ key: `k${i % 17}`, value: { i } }));
    const response = await runtime.handler(produceEvent(topic, { records }));
    expect(response.statusCode).toBe(200);
    const offsets: { partition: number; offset: number; error_code: null }[] = JSON.parse(response.body as string).offsets;
    expect(offsets).toHaveLength(500);
    const perPartition = new Map<number, number[]>();
    for (const entry of offsets) {
      expect(entry.error_code).toBeNull();
      perPartition.set(entry.partition, [...(perPartition.get(entry.partition) ?? []), entry.offset]);
    }
    for (const list of perPartition.values()) expect(list).toEqual(list.map((_, i) => i));
    expect([...perPartition.values()].reduce((sum, list) => sum + list.length, 0)).toBe(500);

    const read = await readBack(topic, 500);
    expect(read).toHaveLength(500);
    // Each response entry names where its record is: the value read there is the request's value.
    const byPlace = new Map(read.map((record) => [`${record.partition}/${record.offset}`, record.value?.toString()]));
    for (const [i, entry] of offsets.entries()) expect(byPlace.get(`${entry.partition}/${entry.offset}`)).toBe(`{"i":${i}}`);
  });

  it('places keyed records as the Java client does (murmur2 of the key bytes)', async () => {
    const topic = await createTestTopic('produce-murmur', 4);
    // murmur2("foobar") = -790332482 in Kafka's own tests; & 0x7fffffff = 1357151166; % 4 = 2.
    // murmur2("21") = -973932308; & 0x7fffffff = 1173551340; % 4 = 0.
    const response = await runtime.handler(
      produceEvent(
        topic,
        {
          records: [
            { key: b64('foobar'), value: b64('a') },
            { key: b64('21'), value: b64('b') },
          ],
        },
        { contentType: BINARY_V2 },
      ),
    );
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body as string).offsets.map((entry: { partition: number }) => entry.partition)).toEqual([2, 0]);
  });
});
