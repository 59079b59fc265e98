import { describe, expect, it } from 'vitest';
import { BodyNotJsonError, PayloadTooLargeError, TopicNotAllowedError, UnsupportedMediaTypeError, ValidationError } from '../../../lib/errors';
import { checkTopic, EmbeddedFormat, embeddedFormatOf, parseProduceBody, readProduceBody } from '../../../lib/produce/validation';

const limits = { maxRecordsPerRequest: 3, maxRequestBytes: 1_000 };
const parse = (body: unknown, format: EmbeddedFormat = EmbeddedFormat.Json) =>
  parseProduceBody(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), format, limits);

describe('embeddedFormatOf', () => {
  it('accepts the six media types, ignoring case and parameters', () => {
    expect(embeddedFormatOf('application/vnd.kafka.json.v2+json')).toBe('json');
    expect(embeddedFormatOf('Application/JSON; charset=utf-8')).toBe('json');
    expect(embeddedFormatOf('application/vnd.kafka.binary.v2+json')).toBe('binary');
    expect(embeddedFormatOf('application/vnd.kafka.avro.v2+json')).toBe('avro');
    expect(embeddedFormatOf('application/vnd.kafka.jsonschema.v2+json')).toBe('jsonschema');
    expect(embeddedFormatOf('application/vnd.kafka.protobuf.v2+json')).toBe('protobuf');
  });

  it('rejects others and a missing header with 415', () => {
    expect(() => embeddedFormatOf('application/vnd.kafka.avro.v1+json')).toThrow(UnsupportedMediaTypeError);
    expect(() => embeddedFormatOf(undefined)).toThrow(UnsupportedMediaTypeError);
  });
});

describe('checkTopic', () => {
  it('rejects illegal names with 422 and names outside the allow-list with 403', () => {
    expect(() => checkTopic('a/b', '*')).toThrow(ValidationError);
    expect(() => checkTopic('..', '*')).toThrow(ValidationError);
    expect(() => checkTopic('x'.repeat(250), '*')).toThrow(ValidationError);
    expect(() => checkTopic('orders', new Set(['payments']))).toThrow(TopicNotAllowedError);
    expect(() => checkTopic('orders', new Set(['orders']))).not.toThrow();
  });
});

describe('parseProduceBody', () => {
  it('stores JSON keys and values as their UTF-8 JSON text, null as no bytes', () => {
    const [first, second] = parse({ records: [{ key: 'k', value: { a: [1, 'é'] }, partition: 2 }, { value: null }] });
    expect(first?.key?.toString()).toBe('"k"');
    expect(first?.value?.toString()).toBe('{"a":[1,"é"]}');
    expect(first?.partition).toBe(2);
    expect(second).toEqual({ key: null, value: null, headers: [] });
  });

  it('decodes base64 keys, values and header values in the binary format', () => {
    const [record] = parse({ records: [{ key: 'AP8=', value: 'aGk=', headers: [{ name: 'h', value: 'eA==' }] }] }, EmbeddedFormat.Binary);
    expect([...(record?.key ?? [])]).toEqual([0, 255]);
    expect(record?.value?.toString()).toBe('hi');
    expect(record?.headers).toEqual([{ name: 'h', value: Buffer.from('x') }]);
  });

  it('names the field and record index of the first problem', () => {
    const cases: [unknown, string][] = [
      [{ records: [{ value: 1 }, { key: 1 }] }, 'records[1].value: is required (null for a tombstone)'],
      [{ records: [{ value: 1, partition: -1 }] }, 'records[0].partition: must be a whole number from 0 to 2147483647'],
      [{ records: [{ value: 1, partition: 1.5 }] }, 'records[0].partition: must be a whole number from 0 to 2147483647'],
      [{ records: [{ value: 1, colour: 'red' }] }, 'records[0].colour: unknown field'],
      [{ records: [{ value: 1, headers: [{ name: 'a', value: '%%' }] }] }, 'records[0].headers[0].value: must be a base64 string'],
      [{ records: [{ value: 1, headers: [{ name: '', value: 'YQ==' }] }] }, 'records[0].headers[0].name: must be a non-empty string'],
      [
        {
          records: [
            { value: 1 },
            {
              value: 1,
              headers: [
                { name: 'h', value: 'YQ==' },
                { name: 'message-id', value: '' },
              ],
            },
          ],
        },
        'records[1].headers[1].value: a "message-id" header must be non-empty UTF-8 text, the id the consumer deduplicates on',
      ],
      // 0xFF 0xFE: not UTF-8.
      [
        { records: [{ value: 1, headers: [{ name: 'message-id', value: '//4=' }] }] },
        'records[0].headers[0].value: a "message-id" header must be non-empty UTF-8 text, the id the consumer deduplicates on',
      ],
      [{ records: [{ value: 1, headers: {} }] }, 'records[0].headers: must be an array of {"name", "value"}'],
      [{ records: [7] }, 'records[0]: must be an object'],
      [{ records: [] }, 'records: must hold at least one record'],
      [{ records: {} }, 'records: must be an array'],
      [{}, 'records: must be an array'],
      [[1], 'body: must be an object {"records": [...]}'],
      [{ value_schema: '"string"', records: [{ value: 1 }] }, 'value_schema: schemas are not supported for the json and binary formats'],
    ];
    for (const [body, message] of cases) {
      expect(() => parse(body), message).toThrow(new ValidationError(message));
    }
  });

  it('requires base64 for binary keys and values', () => {
    expect(() => parse({ records: [{ value: 'abc' }] }, EmbeddedFormat.Binary)).toThrow(new ValidationError('records[0].value: must be a base64 string'));
    expect(() => parse({ records: [{ key: 5, value: 'YQ==' }] }, EmbeddedFormat.Binary)).toThrow(
      new ValidationError('records[0].key: must be a base64 string'),
    );
  });

  it('rejects keys and values nested deeper than 100 levels with 422, and accepts 100', () => {
    const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const body = (depth: number) =>
      parseProduceBody(Buffer.from(`{"records":[{"value":${nested(depth)}}]}`), EmbeddedFormat.Json, { maxRecordsPerRequest: 3, maxRequestBytes: 100_000 });
    expect(body(100)[0]?.value?.length).toBe(201);
    expect(() => body(101)).toThrow(new ValidationError('records[0].value: nested deeper than 100 levels'));
    // Deep enough to overflow a recursive JSON.stringify: still a 422, not a crash.
    expect(() => body(20_000)).toThrow(new ValidationError('records[0].value: nested deeper than 100 levels'));
  });

  it('keeps JSON keys and values as written, only insignificant whitespace removed', () => {
    const [record] = parse('{"records":[{"key": 12345678901234567890 ,"value": { "n" : [0.10, 1e400, -0], "s": "\\u00e9" } }]}');
    expect(record?.key?.toString('utf8')).toBe('12345678901234567890');
    expect(record?.value?.toString('utf8')).toBe('{"n":[0.10,1e400,-0],"s":"\\u00e9"}');
  });

  it('rejects a record, header or body field given twice with 422 naming it, rather than picking one', () => {
    expect(() => parse('{"records":[{"value":1},{"value":1,"value":2}]}')).toThrow(new ValidationError('records[1].value: given more than once'));
    expect(() => parse('{"records":[{"value":1,"headers":[{"name":"a","name":"b","value":"eA=="}]}]}')).toThrow(
      new ValidationError('records[0].headers[0].name: given more than once'),
    );
    expect(() => parse('{"records":[{"value":1}],"records":[{"value":2}]}')).toThrow(new ValidationError('records: given more than once'));
  });

  it('reads binary-format keys and values as base64 strings, escapes decoded', () => {
    const [record] = parse('{"records":[{"key":"a2V5","value":"dmFs\\u0064WU="}]}', EmbeddedFormat.Binary);
    expect(record?.key?.toString('utf8')).toBe('key');
    expect(record?.value?.toString('utf8')).toBe('value');
  });

  it('rejects a client-supplied caller header, in any case, with 422 naming it', () => {
    const withHeader = (name: string) => ({
      records: [
        { value: 1 },
        {
          value: 2,
          headers: [
            { name: 'trace', value: 'eA==' },
            { name, value: 'eA==' },
          ],
        },
      ],
    });
    for (const name of ['x-caller-id', 'X-Caller-Id']) {
      expect(() => parse(withHeader(name))).toThrow(
        new ValidationError('records[1].headers[1].name: "x-caller-id" is set by the API from the authenticated caller and cannot be sent'),
      );
    }
    expect(() => parse(withHeader('x-caller'))).not.toThrow();
  });

  it('answers 400 for a body that is not UTF-8 JSON', () => {
    expect(() => parse('{"records":')).toThrow(BodyNotJsonError);
    expect(() => parseProduceBody(Buffer.from([0x7b, 0xff, 0x7d]), EmbeddedFormat.Json, limits)).toThrow(BodyNotJsonError);
    expect(() => parse('')).toThrow(BodyNotJsonError);
  });

  it('answers 413 for too many records or bytes', () => {
    expect(() => parse({ records: [{ value: 1 }, { value: 2 }, { value: 3 }, { value: 4 }] })).toThrow(
      new PayloadTooLargeError('records: 4 records; the limit is 3'),
    );
    expect(() => parse(`{"records":[{"value":"${'x'.repeat(1_000)}"}]}`)).toThrow(PayloadTooLargeError);
  });
});

describe('parseProduceBody at its boundaries', () => {
  it('keeps scalar JSON values as their text: a number, a string, a boolean', () => {
    const records = parse('{"records":[{"value":1},{"value":"1"},{"key":false,"value":true}]}');
    expect(records.map(({ key, value }) => [key?.toString() ?? null, value?.toString()])).toEqual([
      [null, '1'],
      [null, '"1"'],
      ['false', 'true'],
    ]);
  });

  it('accepts exactly as many records as the limit', () => {
    expect(parse({ records: [{ value: 1 }, { value: 2 }, { value: 3 }] })).toHaveLength(3);
  });

  it('accepts a body of exactly the byte limit and refuses one byte more with 413', () => {
    const body = (bytes: number) => {
      const frame = '{"records":[{"value":""}]}';
      return `{"records":[{"value":"${'x'.repeat(bytes - frame.length)}"}]}`;
    };
    expect(Buffer.byteLength(body(1_000))).toBe(1_000);
    expect(parse(body(1_000))).toHaveLength(1);
    expect(() => parse(body(1_001))).toThrow(new PayloadTooLargeError('the body has 1001 bytes; the limit is 1000'));
  });

  it('accepts partitions 0 and 2147483647, refuses 2147483648, and treats a null partition as none', () => {
    expect(parse({ records: [{ value: 1, partition: 0 }] })[0]?.partition).toBe(0);
    expect(parse({ records: [{ value: 1, partition: 2_147_483_647 }] })[0]?.partition).toBe(2_147_483_647);
    expect(() => parse({ records: [{ value: 1, partition: 2_147_483_648 }] })).toThrow(
      new ValidationError('records[0].partition: must be a whole number from 0 to 2147483647'),
    );
    expect(() => parse({ records: [{ value: 1, partition: '1' }] })).toThrow(ValidationError);
    expect(parse({ records: [{ value: 1, partition: null }] })[0]).toEqual({ key: null, value: Buffer.from('1'), headers: [] });
  });

  it('reads a pretty-printed envelope as the compact one', () => {
    const compact = '{"records":[{"key":"k","value":{"a":[1,2]},"partition":1,"headers":[{"name":"h","value":"eA=="}]}]}';
    const pretty = JSON.stringify(JSON.parse(compact), null, '\t').replaceAll('\n', '\r\n');
    expect(parse(pretty)).toEqual(parse(compact));
    expect(parse(pretty)[0]?.value?.toString()).toBe('{"a":[1,2]}');
  });
});

describe('parseProduceBody answers in the API terms', () => {
  it.each(['key_schema', 'value_schema', 'key_schema_id', 'value_schema_id'])(
    'refuses %s as a schema, which the json and binary formats do not take',
    (field) => {
      expect(() => parse({ records: [{ value: 1 }], [field]: 'x' })).toThrow(
        new ValidationError(`${field}: schemas are not supported for the json and binary formats`),
      );
    },
  );

  it.each([
    ['an unknown body field', { records: [{ value: 1 }], colour: 'red' }, 'colour: unknown field'],
    ['a header that is not an object', { records: [{ value: 1, headers: [5] }] }, 'records[0].headers[0]: must be an object with "name" and "value"'],
    [
      'an empty message-id header',
      { records: [{ value: 1, headers: [{ name: 'message-id', value: '' }] }] },
      'records[0].headers[0].value: a "message-id" header must be non-empty UTF-8 text, the id the consumer deduplicates on',
    ],
  ])('names %s', (_, body, message) => {
    expect(() => parse(body)).toThrow(new ValidationError(message));
  });

  it('reads null headers as none', () => {
    expect(parse({ records: [{ value: 1, headers: null }] })[0]?.headers).toEqual([]);
  });

  it('takes a valid message-id header, and any bytes, even none, in other headers', () => {
    const [record] = parse({
      records: [
        {
          value: 1,
          headers: [
            { name: 'message-id', value: 'bS0x' },
            { name: 'trace', value: '' },
            { name: 'blob', value: '/w==' },
          ],
        },
      ],
    });
    expect(record?.headers).toEqual([
      { name: 'message-id', value: Buffer.from('m-1') },
      { name: 'trace', value: Buffer.alloc(0) },
      { name: 'blob', value: Buffer.from([0xff]) },
    ]);
  });

  it('wraps the reader message in a 400 naming the byte', () => {
    expect(() => parse('{"records":[}')).toThrow(new BodyNotJsonError('the body is not UTF-8 JSON: expected a JSON value at byte 12'));
  });
});

describe('checkTopic and embeddedFormatOf messages', () => {
  it('names the rule a topic breaks, or that the topic is not open', () => {
    expect(() => checkTopic('a/b', '*')).toThrow(/^topic: must be /);
    expect(() => checkTopic('orders', new Set(['payments']))).toThrow(new TopicNotAllowedError('topic "orders" is not open for producing'));
  });

  it.each([
    ['text/plain', 'Content-Type "text/plain" is not supported'],
    [undefined, 'Content-Type "" is not supported'],
  ])('names the Content-Type %s refused and the ones supported', (contentType, start) => {
    expect(() => embeddedFormatOf(contentType)).toThrow(
      new UnsupportedMediaTypeError(
        `${start}; use one of application/vnd.kafka.json.v2+json, application/json, application/vnd.kafka.binary.v2+json, application/vnd.kafka.avro.v2+json, application/vnd.kafka.jsonschema.v2+json, application/vnd.kafka.protobuf.v2+json`,
      ),
    );
  });

  it('reads the media type without the spaces around it', () => {
    expect(embeddedFormatOf('  application/vnd.kafka.binary.v2+json ; charset=utf-8')).toBe('binary');
  });
});

describe('readProduceBody in the schema formats', () => {
  it('keeps the schema fields as given and each key and value as the JSON text written', () => {
    const body = readProduceBody(
      Buffer.from('{"key_schema_id":3,"value_schema":"\\"long\\"","records":[{"key":"k","value":12345678901234567890},{"value":null}]}'),
      EmbeddedFormat.Avro,
      limits,
    );
    expect(body.schemaFields).toEqual({ key_schema_id: 3, value_schema: '"long"' });
    expect(body.records.map((record) => [record.key?.toString('utf8') ?? null, record.value?.toString('utf8') ?? null])).toEqual([
      ['"k"', '12345678901234567890'],
      [null, null],
    ]);
  });

  it('still refuses fields that are not part of the request', () => {
    expect(() => readProduceBody(Buffer.from('{"schema":"x","records":[{"value":1}]}'), EmbeddedFormat.Protobuf, limits)).toThrow(
      new ValidationError('schema: unknown field'),
    );
  });
});
