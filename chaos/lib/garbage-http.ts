/**
 * Generates malformed produce requests, deterministically from a seed: wrong types, huge
 * and truncated bodies, wrong content types, odd encodings (invalid UTF-8, BOM, UTF-16),
 * hostile header values, invalid base64, deep nesting, prototype-pollution keys and
 * partitions out of range. Each request is raw HTTP/1.1 bytes, with the statuses the
 * contract allows for it.
 */
import type { Prng } from './prng';

/** One generated request. */
export interface GarbageRequest {
  /** The family it belongs to, for the report. */
  kind: string;
  /** The whole request: request line, headers, body. */
  bytes: Buffer;
  /** Statuses the contract allows for this request. */
  allowedStatuses: readonly number[];
}

/** What the generator needs to know about the service under test. */
export interface GarbageTarget {
  /** An existing topic the service may write to. */
  topic: string;
  /** That topic's partition count; partitions at or above it do not exist. */
  partitions: number;
  /** The service's MAX_REQUEST_BYTES. */
  maxRequestBytes: number;
  /** The service's MAX_RECORDS_PER_REQUEST. */
  maxRecordsPerRequest: number;
  /** The cluster's id, as the v3 routes want it in the path. */
  clusterId: string;
  /**
   * The topic the v3 garbage produces to, apart from `topic`: every record on it must have been
   * reported produced by some answer, and none of a rejected request.
   */
  v3Topic: string;
}

type Header = readonly [name: string, value: string | Buffer];

const JSON_V2 = 'application/vnd.kafka.json.v2+json';
const BINARY_V2 = 'application/vnd.kafka.binary.v2+json';

/** Builds request bytes with a correct Content-Length and `Connection: close`. */
export function rawRequest(method: string, path: string | Buffer, headers: readonly Header[], body: Buffer = Buffer.alloc(0)): Buffer {
  const head: Buffer[] = [
    Buffer.from(`${method} `, 'latin1'),
    Buffer.isBuffer(path) ? path : Buffer.from(path, 'latin1'),
    Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n', 'latin1'),
  ];
  for (const [name, value] of headers) {
    head.push(Buffer.from(`${name}: `, 'latin1'), Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'), Buffer.from('\r\n', 'latin1'));
  }
  if (method !== 'GET' || body.length > 0) head.push(Buffer.from(`Content-Length: ${body.length}\r\n`, 'latin1'));
  head.push(Buffer.from('\r\n', 'latin1'));
  return Buffer.concat([...head, body]);
}

function validBody(prng: Prng, records = prng.int(1, 5)): string {
  return JSON.stringify({ records: Array.from({ length: records }, (_, i) => ({ key: `k${prng.int(0, 9)}`, value: { garbage: true, i } })) });
}

function post(target: GarbageTarget, contentType: string | undefined, body: Buffer | string, extra: readonly Header[] = []): Buffer {
  const headers: Header[] = contentType === undefined ? [...extra] : [['Content-Type', contentType], ...extra];
  return rawRequest('POST', `/topics/${target.topic}`, headers, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
}

/** A v3 records (or, with `:batch`, records:batch) request to the v3 garbage topic. */
function postV3(target: GarbageTarget, contentType: string | undefined, body: string, suffix = ''): Buffer {
  const headers: Header[] = contentType === undefined ? [] : [['Content-Type', contentType]];
  return rawRequest('POST', `/v3/clusters/${target.clusterId}/topics/${target.v3Topic}/records${suffix}`, headers, Buffer.from(body, 'utf8'));
}

/** The statuses the route table gives `method` on `path` with a valid v2 body. */
function routeStatuses(target: GarbageTarget, method: string, path: string): number[] {
  const bare = path.split('?')[0] ?? path;
  const served: Record<string, string[]> = {
    '/topics': ['GET'],
    '/topics/': ['GET'],
    [`/topics/${target.topic}/partitions/0`]: ['GET', 'POST'],
    [`/topics/${target.topic}`]: ['GET', 'POST'],
    '/v3/clusters/': ['GET'],
  };
  const methods = served[bare];
  if (methods === undefined) return [404];
  if (!methods.includes(method)) return [405];
  return [200, 400, 404];
}

/** v3 bodies that are no valid record: wrong types, unknown fields, schema members that do not go together, bad timestamps and partitions. */
const V3_MALFORMED: readonly string[] = [
  '{}',
  '[]',
  'null',
  '"value"',
  '{"value":"x"}',
  '{"value":{"type":"BINARY","data":"%%%"}}',
  '{"value":{"type":"BINARY","data":1}}',
  '{"value":{"type":"STRING","data":{"a":1}}}',
  '{"value":{"type":"AVRO","data":"x"}}',
  '{"value":{"type":"PROTOBUF","schema_id":1,"data":{}}}',
  '{"value":{"data":1}}',
  '{"value":{"type":"XML","data":"<a/>"}}',
  '{"value":{"type":"JSON","data":1,"type":"STRING"}}',
  '{"value":{"type":"STRING","data":"x"},"timestamp":"yesterday"}',
  '{"value":{"type":"STRING","data":"x"},"timestamp":12}',
  '{"value":{"type":"STRING","data":"x"},"partition_id":-1}',
  '{"value":{"type":"STRING","data":"x"},"partition_id":"0"}',
  '{"value":{"type":"STRING","data":"x"},"partition_id":99}',
  '{"value":{"type":"STRING","data":"x"},"headers":[{"name":"x-caller-id","value":"YQ=="}]}',
  '{"value":{"type":"STRING","data":"x"},"headers":[{"name":"message-id","value":null}]}',
  '{"value":{"type":"STRING","data":"x"},"headers":[{"name":"h"}]}',
  '{"value":{"type":"STRING","data":"x"},"__proto__":{"partition_id":0}}',
  '{"value":{"type":"JSON","data":{"__proto__":{"polluted":true}}}} {"value":',
  '{"key":{"type":"STRING","data":"x"},"value":{"type":"JSON","data":[[[[[[]]]]]]}}garbage',
];

/**
 * v3 keys and values whose schema members Confluent's REST Proxy refuses (400), or that name a
 * schema that is not there, does not parse, or does not fit the data (422). A schema given as
 * text goes under a subject of its own, so that no garbage ever becomes the v3 topic's latest
 * schema (a value without `type` takes that one).
 */
const V3_SCHEMA_MIXES: readonly string[] = [
  '{"value":{"type":"AVRO","schema_id":1,"data":"x"}}',
  '{"value":{"schema_id":1,"schema_version":1,"data":"x"}}',
  '{"value":{"schema_id":1,"schema":"\\"string\\"","data":"x"}}',
  '{"value":{"schema_version":1,"type":"PROTOBUF","data":{}}}',
  '{"value":{"schema":"\\"string\\"","data":"x"}}',
  '{"value":{"type":"JSONSCHEMA","data":1}}',
  '{"key":{"type":"AVRO","data":"k"},"value":{"type":"STRING","data":"x"}}',
  '{"value":{"subject_name_strategy":"RECORD_NAME","data":1}}',
  '{"value":{"subject_name_strategy":"TOPIC_RECORD_NAME","schema_version":1,"data":1}}',
  '{"value":{"subject_name_strategy":"NOPE","schema_id":1,"data":1}}',
  '{"value":{"subject_name_strategy":"RECORD_NAME","type":"JSONSCHEMA","subject":null,"schema":"{\\"type\\":\\"string\\"}","data":"x"}}',
  '{"value":{"schema_id":-1,"data":1}}',
  '{"value":{"schema_id":"1","data":1}}',
  '{"value":{"schema_id":1e400,"data":1}}',
  '{"value":{"schema_id":2147483647,"data":1}}',
  '{"value":{"schema_version":0,"data":1}}',
  '{"value":{"subject":"chaos-garbage-none","schema_version":99999,"data":1}}',
  '{"value":{"subject":"","data":1}}',
  '{"value":{"subject":"chaos-garbage-none","data":1}}',
  '{"value":{"type":"AVRO","subject":"chaos-garbage-avro","schema":"{not avro","data":1}}',
  '{"value":{"type":"PROTOBUF","subject":"chaos-garbage-proto","schema":"message {","data":{}}}',
  '{"value":{"type":"JSONSCHEMA","subject":"chaos-garbage-json","schema":"{\\"type\\":7}","data":1}}',
  '{"value":{"type":"AVRO","subject":"chaos-garbage-int","schema":"\\"int\\"","data":"not an int"}}',
  '{"value":{"type":"AVRO","subject":"chaos-garbage-long","schema":"\\"long\\"","data":9223372036854775808}}',
  '{"value":{"type":"STRING","schema_id":1,"data":"x"}}',
  '{"value":{"type":"AVRO","subject":"chaos-garbage-int","schema":"\\"int\\"","data":1,"schema":"\\"long\\""}}',
];

/** Batch entries with hostile or broken ids, and batches that are not batches. */
const HOSTILE_BATCHES: readonly unknown[] = [
  [],
  {},
  null,
  'entries',
  [{ id: '1' }, { id: '1' }],
  [{ id: '', value: { type: 'STRING', data: 'x' } }],
  [{ id: 'x'.repeat(81), value: { type: 'STRING', data: 'x' } }],
  [{ id: 1, value: { type: 'STRING', data: 'x' } }],
  [{ id: null, value: { type: 'STRING', data: 'x' } }],
  [{ id: { toString: 'x' }, value: { type: 'STRING', data: 'x' } }],
  [{ value: { type: 'STRING', data: 'x' } }],
  [
    { id: '__proto__', value: { type: 'STRING', data: 'x' } },
    { id: 'constructor', value: { type: 'BINARY', data: '!' } },
  ],
  [
    { id: '\u0000', value: { type: 'STRING', data: 'x' } },
    { id: '\ud800', value: { type: 'STRING', data: 'y' } },
  ],
  [
    { id: 'a', value: { type: 'STRING', data: 'x' } },
    { id: 'A', value: { type: 'AVRO', data: 'y' } },
    { id: 'a ', value: 5 },
  ],
  Array.from({ length: 600 }, (_, i) => ({ id: String(i), value: { type: 'STRING', data: 'x' } })),
];

type Generator = (prng: Prng, target: GarbageTarget) => Omit<GarbageRequest, 'kind'>;

const WRONG_TYPES: readonly string[] = [
  '{"records":{}}',
  '{"records":"abc"}',
  '{"records":null}',
  '{"records":[]}',
  '{"records":[1,2,3]}',
  '{"records":[null]}',
  '{"records":[[]]}',
  '{"records":[{}]}',
  '{"records":[{"key":"a"}]}',
  '{"records":[{"value":1,"partition":"0"}]}',
  '{"records":[{"value":1,"partition":true}]}',
  '{"records":[{"value":1,"partition":{}}]}',
  '{"records":[{"value":1,"headers":{}}]}',
  '{"records":[{"value":1,"headers":"x"}]}',
  '{"records":[{"value":1,"headers":[1]}]}',
  '{"records":[{"value":1,"headers":[{"name":1,"value":"YQ=="}]}]}',
  '{"records":[{"value":1,"headers":[{"name":"a","value":5}]}]}',
  '{"records":[{"value":1,"headers":[{"value":"YQ=="}]}]}',
  '{"records":[{"value":1,"headers":[{"name":"a","value":"%%%"}]}]}',
  '"records"',
  '[]',
  '[{"value":1}]',
  'null',
  'true',
  '12345',
  '{}',
  '{"record":[{"value":1}]}',
  '{"value_schema":"x","records":"y"}',
];

const PARTITIONS_OUT_OF_RANGE = (partitions: number): readonly string[] => [
  String(partitions),
  String(partitions + 1),
  '-1',
  '1.5',
  '2147483648',
  '9007199254740993',
  '1e400',
  '-0.0001',
  '99999999999999999999999',
];

const BAD_CONTENT_TYPES: readonly (string | undefined)[] = [
  undefined,
  '',
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=xyz',
  'application/x-www-form-urlencoded',
  // The v2 avro, jsonschema and protobuf formats are served; their v1 names are not.
  'application/vnd.kafka.avro.v1+json',
  'application/vnd.kafka.protobuf.v1+json',
  'application/vnd.kafka.v2+json',
  'application/octet-stream',
  '*/*',
  'json',
  ';;;',
  'application/vnd.kafka.json.v3+json',
];

const HOSTILE_IDEMPOTENCY_KEYS = (prng: Prng): readonly (string | Buffer)[] => [
  '',
  ' ',
  'x'.repeat(4_000),
  Buffer.from([0xc3, 0xa9, 0xff, 0xfe, 0x80]),
  '"; DROP TABLE idempotency; --',
  '__proto__',
  'constructor',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell-style probe, meant literally.
  '${jndi:ldap://127.0.0.1/a}',
  `${prng.int(0, 1e9)}\t${prng.int(0, 1e9)}`,
  '../../../../etc/passwd',
  '%00%0d%0a',
];

const HOSTILE_HEADERS: readonly Header[] = [
  ['__proto__', 'polluted'],
  ['constructor', 'x'],
  ['Content-Encoding', 'gzip'],
  ['Content-Encoding', 'br, deflate'],
  ['X-Forwarded-For', `127.0.0.1, ::1, ${'a'.repeat(2_000)}`],
  ['Accept', 'text/html'],
  ['Accept-Charset', 'utf-16'],
  ['Message-Id', 'spoofed'],
  ['Cookie', `a=${'b'.repeat(3_000)}`],
  ['Authorization', 'Bearer \u00ff\u00fe'],
];

const GENERATORS: Record<string, Generator> = {
  'truncated-json': (prng, target) => {
    const body = validBody(prng);
    return { bytes: post(target, JSON_V2, body.slice(0, prng.int(1, body.length - 1))), allowedStatuses: [400] };
  },
  'not-json': (prng, target) => ({
    bytes: post(target, JSON_V2, Buffer.concat([Buffer.from('{'), prng.bytes(prng.int(1, 200))])),
    allowedStatuses: [400],
  }),
  'empty-body': (prng, target) => ({ bytes: post(target, prng.pick([JSON_V2, 'application/json']), ''), allowedStatuses: [400, 422] }),
  'wrong-types': (prng, target) => ({ bytes: post(target, JSON_V2, prng.pick(WRONG_TYPES)), allowedStatuses: [422] }),
  'too-many-records': (prng, target) => ({
    bytes: post(target, JSON_V2, JSON.stringify({ records: Array.from({ length: target.maxRecordsPerRequest + prng.int(1, 500) }, () => ({ value: 1 })) })),
    allowedStatuses: [413],
  }),
  'wrong-content-type': (prng, target) => ({ bytes: post(target, prng.pick(BAD_CONTENT_TYPES), validBody(prng)), allowedStatuses: [415] }),
  'invalid-utf8': (prng, target) => {
    const bad = prng.pick([[0xc3, 0x28], [0xa0, 0xa1], [0xe2, 0x28, 0xa1], [0xf0, 0x28, 0x8c, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff]]);
    const body = Buffer.concat([Buffer.from('{"records":[{"key":"k","value":"'), Buffer.from(bad), Buffer.from('"}]}')]);
    return { bytes: post(target, prng.pick([JSON_V2, 'application/json']), body), allowedStatuses: [200, 400, 422] };
  },
  bom: (prng, target) => ({
    bytes: post(target, JSON_V2, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(validBody(prng))])),
    allowedStatuses: [200, 400],
  }),
  utf16: (prng, target) => {
    const body = validBody(prng);
    const littleEndian = prng.chance(0.5);
    const encoded = Buffer.from(body, 'utf16le');
    if (!littleEndian) encoded.swap16();
    const bom = Buffer.from(littleEndian ? [0xff, 0xfe] : [0xfe, 0xff]);
    const contentType = prng.pick([JSON_V2, `${JSON_V2}; charset=utf-16`, 'application/json; charset=utf-16le']);
    return { bytes: post(target, contentType, prng.chance(0.5) ? Buffer.concat([bom, encoded]) : encoded), allowedStatuses: [400, 415] };
  },
  'hostile-idempotency-key': (prng, target) => ({
    bytes: post(target, JSON_V2, validBody(prng), [['Idempotency-Key', prng.pick(HOSTILE_IDEMPOTENCY_KEYS(prng))]]),
    allowedStatuses: [200, 400, 409, 422],
  }),
  'hostile-headers': (prng, target) => ({
    bytes: post(target, JSON_V2, validBody(prng), [prng.pick(HOSTILE_HEADERS), prng.pick(HOSTILE_HEADERS)]),
    allowedStatuses: [200, 400, 415],
  }),
  'repeated-idempotency-key': (prng, target) => ({
    bytes: post(target, JSON_V2, validBody(prng), [
      ['Idempotency-Key', `a-${prng.int(0, 1e9)}`],
      ['Idempotency-Key', `b-${prng.int(0, 1e9)}`],
    ]),
    allowedStatuses: [200, 400, 422],
  }),
  'invalid-base64': (prng, target) => {
    const bad = prng.pick(['%%%', 'a', 'YQ', 'Y===', '====', 'YW Jj', '\u00e9\u00e9', '-_-_', 'YWJj\n', '=YWJj', 'not base64!']);
    const where = prng.pick(['value', 'key', 'header']);
    const record = where === 'value' ? { value: bad } : where === 'key' ? { key: bad, value: 'YQ==' } : { value: 'YQ==', headers: [{ name: 'h', value: bad }] };
    return { bytes: post(target, BINARY_V2, JSON.stringify({ records: [record] })), allowedStatuses: [422] };
  },
  'binary-wrong-types': (prng, target) => ({
    bytes: post(target, BINARY_V2, JSON.stringify({ records: [{ value: prng.pick([{ a: 1 }, [1, 2], 42, true]) }] })),
    allowedStatuses: [422],
  }),
  'deep-nesting': (prng, target) => {
    const depth = prng.pick([1_000, 10_000, 100_000, 500_000]);
    const bracket = prng.pick(['[', '{"a":']);
    const close = bracket === '[' ? ']' : '}';
    const value = `${bracket.repeat(depth)}1${close.repeat(depth)}`;
    const body = prng.chance(0.5) ? `{"records":[{"value":${value}}]}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;
    return { bytes: post(target, JSON_V2, body), allowedStatuses: [200, 400, 413, 422] };
  },
  'prototype-pollution': (prng, target) => {
    const body = prng.pick([
      '{"records":[{"value":1,"__proto__":{"partition":99}}]}',
      '{"__proto__":{"records":[{"value":1}]}}',
      '{"constructor":{"prototype":{"records":[{"value":1}]}}}',
      '{"records":[{"value":{"__proto__":{"polluted":true}},"key":{"constructor":{"prototype":{"polluted":true}}}}]}',
      '{"records":{"__proto__":[]}}',
      '{"records":[{"__proto__":{"value":1}}]}',
      '{"records":[{"value":1,"headers":[{"name":"__proto__","value":"YQ=="},{"name":"constructor","value":"YQ=="}]}]}',
    ]);
    return { bytes: post(target, JSON_V2, body), allowedStatuses: [200, 422] };
  },
  'partition-out-of-range': (prng, target) => ({
    bytes: post(target, JSON_V2, `{"records":[{"value":1,"partition":${prng.pick(PARTITIONS_OUT_OF_RANGE(target.partitions))}}]}`),
    allowedStatuses: [404, 422],
  }),
  'bad-route': (prng, target) => {
    const method = prng.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST']);
    const path = prng.pick([
      '/',
      '/topics',
      '/topics/',
      `/topics/${target.topic}/partitions/0`,
      '/topic/x',
      '/%2e%2e/%2e%2e',
      `/topics/${target.topic}?x=${'y'.repeat(1_000)}`,
      '//topics//x',
      '/v3',
      '/v3/clusters/',
      `/v3/clusters/${target.clusterId}/topics`,
      `/v3/clusters/${target.clusterId}/topics/${target.v3Topic}/records:other`,
    ]);
    return { bytes: rawRequest(method, path, [['Content-Type', JSON_V2]], Buffer.from(validBody(prng))), allowedStatuses: routeStatuses(target, method, path) };
  },
  'metadata-garbage': (prng, target) => {
    const topic = prng.pick([target.topic, 'no-such-topic-chaos', '__consumer_offsets', '%00', 'a'.repeat(300), '..', '%E9t%C3']);
    const partition = prng.pick(['0', String(target.partitions), '-1', '1.5', 'x', '%00', '99999999999999999999', '00']);
    const path = prng.pick([
      `/topics/${topic}`,
      `/topics/${topic}/partitions`,
      `/topics/${topic}/partitions/${partition}`,
      `/v3/clusters/${prng.pick([target.clusterId, 'other', '%00'])}`,
    ]);
    return { bytes: rawRequest('GET', path, []), allowedStatuses: [200, 404, 422] };
  },
  'v3-malformed': (prng, target) => ({
    bytes: postV3(target, 'application/json', prng.pick(V3_MALFORMED)),
    // A malformed record, a partition the topic does not have included, is answered in its own
    // report (200); a body that is no record at all is 400 or 422.
    allowedStatuses: [200, 400, 422],
  }),
  'v3-schema-mix': (prng, target) => ({
    // Several in one body now and then: each is answered in its own report.
    bytes: postV3(target, 'application/json', Array.from({ length: prng.int(1, 3) }, () => prng.pick(V3_SCHEMA_MIXES)).join('\n')),
    allowedStatuses: [200],
  }),
  'v3-cut-stream': (prng, target) => {
    const stream = Array.from({ length: prng.int(1, 4) }, (_, i) => JSON.stringify({ value: { type: 'STRING', data: `cut-${i}` } })).join(
      prng.pick(['', '\n', ' ', '\r\n']),
    );
    // Cut inside the stream, never after its last byte: the records before the cut go, the cut one is reported 40001.
    return { bytes: postV3(target, 'application/json', stream.slice(0, prng.int(1, stream.length - 1))), allowedStatuses: [200, 400] };
  },
  'v3-hostile-batch': (prng, target) => ({
    bytes: postV3(target, 'application/json', JSON.stringify({ entries: prng.pick(HOSTILE_BATCHES) }), ':batch'),
    allowedStatuses: [207, 422],
  }),
  'v3-wrong-cluster': (prng, target) => {
    const cluster = prng.pick(['other', '%00', 'a'.repeat(300), `${target.clusterId}x`, '..']);
    const path = `/v3/clusters/${cluster}/topics/${target.v3Topic}/records${prng.pick(['', ':batch'])}`;
    return {
      bytes: rawRequest('POST', path, [['Content-Type', 'application/json']], Buffer.from('{"value":{"type":"STRING","data":"x"}}')),
      allowedStatuses: [404, 422],
    };
  },
  'v3-wrong-content-type': (prng, target) => ({
    bytes: postV3(
      target,
      prng.pick(BAD_CONTENT_TYPES.filter((type) => type !== undefined && !type.startsWith('application/json'))),
      '{"value":{"type":"STRING","data":"x"}}',
    ),
    allowedStatuses: [415],
  }),
  'bad-topic': (prng, _target) => {
    const topic = prng.pick(['no-such-topic-chaos', 'a'.repeat(300), '%00', '%E9t%C3', 'a%2Fb', '..', '.', 'topic%20with%20space', '%F0%9F%92%A9']);
    // `/topics/.` and `/topics/..` are `/topics` once the path is normalised, a route for GET only.
    const allowed = topic === '.' || topic === '..' ? [400, 403, 404, 405, 422] : [400, 403, 404, 422];
    return { bytes: rawRequest('POST', `/topics/${topic}`, [['Content-Type', JSON_V2]], Buffer.from(validBody(prng))), allowedStatuses: allowed };
  },
};

/**
 * Families that build a body of a MiB or more; generated rarely to keep a run quick. The
 * second stays under MAX_REQUEST_BYTES but holds one record above the topic's
 * `max.message.bytes` (the chaos topic's 512 KiB, or the broker's default of about 1 MiB):
 * bad input all the same, so never a 500, and the broker's refusal drops the produce
 * function's Kafka client while the requests beside it hold it.
 */
const HUGE: Record<string, Generator> = {
  'huge-body': (prng, target) => ({
    bytes: post(target, JSON_V2, JSON.stringify({ records: [{ value: 'x'.repeat(target.maxRequestBytes + prng.int(1, 1_024 * 1_024)) }] })),
    allowedStatuses: [413],
  }),
  'record-over-broker-limit': (prng, target) => ({
    bytes: post(
      target,
      JSON_V2,
      JSON.stringify({ records: [{ value: 'y'.repeat(Math.min(target.maxRequestBytes - 1_024, 1_100_000 + prng.int(0, 100_000))) }] }),
    ),
    allowedStatuses: [200, 413, 422],
  }),
};

/** Names of every family, for reports and tests. */
export const GARBAGE_KINDS: readonly string[] = [...Object.keys(GENERATORS), ...Object.keys(HUGE)];

/**
 * Generates `count` malformed requests. One in `hugeEvery` is huge (alternately above
 * `maxRequestBytes` and a record above the broker's limit); the rest are drawn from the
 * other families.
 */
export function generateGarbageRequests(prng: Prng, target: GarbageTarget, count: number, hugeEvery = 250): GarbageRequest[] {
  const kinds = Object.keys(GENERATORS);
  const requests: GarbageRequest[] = [];
  for (let i = 0; i < count; i += 1) {
    if (i % hugeEvery === hugeEvery - 1) {
      const kind = Math.floor(i / hugeEvery) % 2 === 0 ? 'huge-body' : 'record-over-broker-limit';
      requests.push({ kind, ...(HUGE[kind] as Generator)(prng, target) });
      continue;
    }
    // The first requests cover every family once; after that the seed picks.
    const kind = i < kinds.length ? (kinds[i] as string) : prng.pick(kinds);
    requests.push({ kind, ...(GENERATORS[kind] as Generator)(prng, target) });
  }
  return requests;
}
