/** The format codecs on bytes written by hand from each format's specification. */
import { describe, expect, it } from 'vitest';
import { parseJsonExact } from '../../../lib/json-numbers';
import { avroCodec } from '../../../lib/schema/avro';
import { DataMismatch, SchemaParseFailure } from '../../../lib/schema/codec';
import { jsonSchemaCodec } from '../../../lib/schema/json-schema';
import { protobufCodec } from '../../../lib/schema/protobuf';

const ORDER = JSON.stringify({
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'total', type: 'long' },
    { name: 'note', type: ['null', 'string'] },
    { name: 'raw', type: 'bytes' },
  ],
});
// "o1" (length 2 zig-zag = 4), long 2^53+1, union branch 1 ("string") "hi", bytes [0xff].
const ORDER_BYTES = Buffer.from([0x04, 0x6f, 0x31, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x02, 0x04, 0x68, 0x69, 0x02, 0xff]);
const ORDER_JSON = '{"id":"o1","total":9007199254740993,"note":{"string":"hi"},"raw":"\\u00ff"}';

function mismatch(run: () => unknown): DataMismatch {
  try {
    run();
  } catch (error) {
    if (error instanceof DataMismatch) return error;
    throw error;
  }
  throw new Error('no mismatch');
}

describe('Avro codec', () => {
  const codec = avroCodec(ORDER);

  it('encodes Avro JSON encoding (wrapped unions, bytes as code points) with every digit of a long', () => {
    expect(codec.encode(parseJsonExact(ORDER_JSON), Buffer.from(ORDER_JSON))).toEqual(ORDER_BYTES);
  });

  it('decodes to the same Avro JSON encoding, the long kept as written', () => {
    expect(JSON.stringify(codec.decode(ORDER_BYTES))).toBe(ORDER_JSON.replace('\\u00ff', 'ÿ'));
  });

  it('names the path of a value that does not match', () => {
    const error = mismatch(() => codec.encode(parseJsonExact('{"id":"o1","total":"x","note":null,"raw":""}'), Buffer.alloc(0)));
    expect(error.path).toBe('/total');
    const union = mismatch(() => codec.encode(parseJsonExact('{"id":"o1","total":1,"note":"bare","raw":""}'), Buffer.alloc(0)));
    expect(union.path).toBe('/note');
  });

  it('refuses bytes that are not this schema', () => {
    expect(() => codec.decode(Buffer.from([0x04, 0x6f]))).toThrow(DataMismatch);
  });

  it('refuses a schema that does not parse', () => {
    expect(() => avroCodec('{"type":"recrod"}')).toThrow(SchemaParseFailure);
  });
});

describe('Protobuf codec', () => {
  const codec = protobufCodec(
    'syntax = "proto3"; package p; message A { int64 n = 1; string s = 2; message Inner { bool b = 1; } } message B { int32 x = 1; }',
  );

  it('writes the message index 0 and the first message', () => {
    expect(codec.encode(parseJsonExact('{"n":9007199254740993,"s":"a"}'), Buffer.alloc(0))).toEqual(
      Buffer.from([0x00, 0x08, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0x12, 0x01, 0x61]),
    );
  });

  it('decodes the message the indexes name, 64-bit integers as strings (the JSON mapping)', () => {
    expect(codec.decode(Buffer.from([0x00, 0x08, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]))).toEqual({ n: '9007199254740993' });
    // Indexes [1]: the second top-level message, B.
    expect(codec.decode(Buffer.from([0x02, 0x02, 0x08, 0x07]))).toEqual({ x: 7 });
    // Indexes [0, 0]: A.Inner.
    expect(codec.decode(Buffer.from([0x04, 0x00, 0x00, 0x08, 0x01]))).toEqual({ b: true });
  });

  it('names the field that does not match', () => {
    expect(mismatch(() => codec.encode({ s: 5 }, Buffer.alloc(0))).path).toBe('/s');
  });

  it('refuses a schema without a message', () => {
    expect(() => protobufCodec('syntax = "proto3";')).toThrow(SchemaParseFailure);
  });
});

describe('Protobuf codec refuses what it would otherwise change', () => {
  const codec = protobufCodec(
    'syntax = "proto3"; message M { int32 i32 = 1; uint32 u32 = 2; int64 i64 = 3; uint64 u64 = 4; repeated int32 many = 5; N inner = 6; int32 user_id = 7; } message N { sint32 s = 1; }',
  );
  const refusal = (json: string): [string, string] => {
    const error = mismatch(() => codec.encode(parseJsonExact(json), Buffer.alloc(0)));
    return [error.path, error.message];
  };

  it.each([
    ['{"i32":4294967297}', '/i32', 'is outside the range of int32'],
    ['{"u32":-1}', '/u32', 'is outside the range of uint32'],
    ['{"i64":100000000000000000000}', '/i64', 'is outside the range of int64'],
    ['{"u64":-1}', '/u64', 'is outside the range of uint64'],
    ['{"many":[1,2147483648]}', '/many/1', 'is outside the range of int32'],
    ['{"inner":{"s":-2147483649}}', '/inner/s', 'is outside the range of sint32'],
    ['{"userId":5,"user_id":6}', '/user_id', 'names field user_id a second time'],
    ['{"nope":true}', '/nope', 'is not a field of message M'],
  ])('%s', (json, path, detail) => {
    expect(refusal(json)).toEqual([path, detail]);
  });

  describe('at the ends of each integer type', () => {
    const types = protobufCodec(
      'syntax = "proto3"; message T { int32 a = 1; sint32 b = 2; sfixed32 c = 3; uint32 d = 4; fixed32 e = 5; int64 f = 6; sint64 g = 7; sfixed64 h = 8; uint64 i = 9; fixed64 j = 10; }',
    );
    const encodes = (json: string): boolean => {
      try {
        types.encode(parseJsonExact(json), Buffer.alloc(0));
        return true;
      } catch (error) {
        if (error instanceof DataMismatch) return false;
        throw error;
      }
    };
    it.each([
      ['a', '-2147483648', '2147483647'],
      ['b', '-2147483648', '2147483647'],
      ['c', '-2147483648', '2147483647'],
      ['d', '0', '4294967295'],
      ['e', '0', '4294967295'],
      ['f', '-9223372036854775808', '9223372036854775807'],
      ['g', '-9223372036854775808', '9223372036854775807'],
      ['h', '-9223372036854775808', '9223372036854775807'],
      ['i', '0', '18446744073709551615'],
      ['j', '0', '18446744073709551615'],
    ])('field %s takes %s and %s, and nothing beyond', (field, min, max) => {
      const beyond = (text: string, by: bigint): string => String(BigInt(text) + by);
      expect([encodes(`{"${field}":${min}}`), encodes(`{"${field}":${max}}`)]).toEqual([true, true]);
      expect([encodes(`{"${field}":${beyond(min, -1n)}}`), encodes(`{"${field}":${beyond(max, 1n)}}`)]).toEqual([false, false]);
    });
  });

  it('writes the ends of each range exactly', () => {
    const bytes = codec.encode(parseJsonExact('{"u64":18446744073709551615,"i32":-2147483648}'), Buffer.alloc(0));
    expect(codec.decode(bytes)).toEqual({ i32: -2147483648, u64: '18446744073709551615' });
  });
});

describe('JSON Schema codec', () => {
  const codec = jsonSchemaCodec(JSON.stringify({ type: 'object', properties: { n: { type: 'integer', maximum: 10 } }, required: ['n'] }));

  it('writes the JSON text as given once it validates', () => {
    const text = Buffer.from('{ "n" : 3 }');
    expect(codec.encode(parseJsonExact(text.toString()), text)).toBe(text);
  });

  it('names the path that does not validate', () => {
    const error = mismatch(() => codec.encode({ n: 11 }, Buffer.alloc(0)));
    expect(error.path).toBe('/n');
    expect(error.message).toBe('must be <= 10');
  });

  it('decodes JSON text with every digit kept', () => {
    const open = jsonSchemaCodec('{"type":"object"}');
    expect(JSON.stringify(open.decode(Buffer.from('{"n":12345678901234567890}')))).toBe('{"n":12345678901234567890}');
  });

  it("does not validate what it decodes, as Confluent's deserializer by default", () => {
    expect(codec.decode(Buffer.from('{"n":11}'))).toEqual({ n: 11 });
    expect(codec.decode(Buffer.from('{}'))).toEqual({});
  });
});

describe('Avro codec on every kind of type', () => {
  const codec = avroCodec(
    JSON.stringify({
      type: 'record',
      name: 'All',
      fields: [
        { name: 'tags', type: { type: 'array', items: 'string' } },
        { name: 'counts', type: { type: 'map', values: 'long' } },
        { name: 'id', type: { type: 'fixed', name: 'Id', size: 2 } },
        { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
        { name: 'child', type: ['null', { type: 'record', name: 'Child', fields: [{ name: 'n', type: 'int' }] }] },
        { name: 'ratio', type: 'double' },
      ],
    }),
  );
  const valid = '{"tags":["x"],"counts":{"a":-9007199254740993},"id":"ab","kind":"B","child":{"Child":{"n":1}},"ratio":0.12345678901234567890}';

  it('round-trips arrays, maps with longs, fixed, enums, a union of a record, and doubles', () => {
    const bytes = codec.encode(parseJsonExact(valid), Buffer.from(valid));
    expect(JSON.stringify(codec.decode(bytes))).toBe(
      '{"tags":["x"],"counts":{"a":-9007199254740993},"id":"ab","kind":"B","child":{"Child":{"n":1}},"ratio":0.12345678901234568}',
    );
  });

  it.each([
    ['{"tags":"x","counts":{},"id":"ab","kind":"A","child":null,"ratio":1}', '/tags', 'expected an array'],
    ['{"tags":[],"counts":[],"id":"ab","kind":"A","child":null,"ratio":1}', '/counts', 'expected an object (map)'],
    ['{"tags":[],"counts":{"a":1.5},"id":"ab","kind":"A","child":null,"ratio":1}', '/counts/a', 'expected a whole number (long)'],
    ['{"tags":[],"counts":{},"id":5,"kind":"A","child":null,"ratio":1}', '/id', 'expected a string of code points 0-255 (fixed)'],
    ['{"tags":[],"counts":{},"id":"ab","kind":"A","child":{"Other":{}},"ratio":1}', '/child', '"Other" is not a branch of the union'],
    ['{"tags":[],"counts":{},"id":"ab","kind":"A","child":{"a":1,"b":2},"ratio":1}', '/child', 'expected null or {"<branch>": value} (union)'],
    ['{"tags":[1],"counts":{},"id":"ab","kind":"A","child":null,"ratio":1}', '/tags/0', 'expected string'],
    ['{"tags":[],"counts":{},"id":"ab","kind":"C","child":null,"ratio":1}', '/kind', 'expected Kind'],
    ['[]', '', 'expected an object (record)'],
  ])('names the path of %s', (text, path, detail) => {
    const error = mismatch(() => codec.encode(parseJsonExact(text), Buffer.from(text)));
    expect([error.path, error.message]).toEqual([path, detail]);
  });

  it('refuses a long beyond 64 bits', () => {
    const long = avroCodec('"long"');
    expect(mismatch(() => long.encode(parseJsonExact('9223372036854775808'), Buffer.alloc(0))).message).toBe('expected long');
    expect(long.encode(parseJsonExact('-9223372036854775808'), Buffer.alloc(0))).toEqual(
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    );
  });
});

describe('Avro codec edges', () => {
  it('takes a long written {"type": "long"} (a timestamp-millis too) like "long", every digit kept', () => {
    const codec = avroCodec(
      JSON.stringify({
        type: 'record',
        name: 'E',
        fields: [
          { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
          { name: 'n', type: { type: 'long' } },
        ],
      }),
    );
    const bytes = codec.encode(parseJsonExact('{"at":1612552482000,"n":9007199254740993}'), Buffer.alloc(0));
    expect(JSON.stringify(codec.decode(bytes))).toBe('{"at":1612552482000,"n":9007199254740993}');
  });

  it('writes a value larger than its 64 KiB working buffer whole, and gives each value bytes of its own', () => {
    const codec = avroCodec('"string"');
    const large = 'x'.repeat(70_000);
    const bytes = codec.encode(large, Buffer.alloc(0));
    // 70,000 as a zig-zag varint is 3 bytes (0xe0 0xc5 0x08), then the characters.
    expect(bytes.length).toBe(70_003);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xe0, 0xc5, 0x08]));
    expect(codec.decode(bytes)).toBe(large);
    const first = codec.encode('a', Buffer.alloc(0));
    const second = codec.encode('b', Buffer.alloc(0));
    expect([first, second]).toEqual([Buffer.from([0x02, 0x61]), Buffer.from([0x02, 0x62])]);
  });

  it('encodes a record that holds itself, naming the place of a mismatch at any depth', () => {
    const codec = avroCodec(
      JSON.stringify({
        type: 'record',
        name: 'Node',
        fields: [
          { name: 'n', type: 'long' },
          { name: 'next', type: ['null', 'Node'] },
        ],
      }),
    );
    // n=1 (0x02), branch 1 (0x02), n=2 (0x04), branch 0 (0x00).
    expect(codec.encode({ n: 1, next: { Node: { n: 2, next: null } } }, Buffer.alloc(0))).toEqual(Buffer.from([0x02, 0x02, 0x04, 0x00]));
    expect(mismatch(() => codec.encode({ n: 1, next: { Node: { n: 'x', next: null } } }, Buffer.alloc(0))).segments).toEqual(['next', 'Node', 'n']);
  });

  it('refuses bytes with a code point above 255 instead of keeping its low byte', () => {
    const codec = avroCodec('"bytes"');
    expect(mismatch(() => codec.encode('\u0101', Buffer.alloc(0))).message).toBe('expected a string of code points 0-255 (bytes)');
    expect(codec.encode('\u00ff', Buffer.alloc(0))).toEqual(Buffer.from([0x02, 0xff]));
  });
});

describe('JSON Schema codec drafts', () => {
  it.each([
    ['https://json-schema.org/draft/2020-12/schema', { prefixItems: [{ type: 'integer' }] }, [1], ['x']],
    ['https://json-schema.org/draft/2019-09/schema', { dependentRequired: { a: ['b'] } }, { a: 1, b: 2 }, { a: 1 }],
    ['http://json-schema.org/draft-07/schema#', { type: 'string' }, 'ok', 5],
  ])('validates with the draft %s names', (draft, rules, good, bad) => {
    const codec = jsonSchemaCodec(JSON.stringify({ $schema: draft, $id: 'https://example.com/same', ...rules }));
    expect(codec.encode(good, Buffer.from('g'))).toEqual(Buffer.from('g'));
    expect(() => codec.encode(bad, Buffer.from('b'))).toThrow(DataMismatch);
  });

  it('compiles two schemas with one $id, and refuses text that is not a schema', () => {
    jsonSchemaCodec(JSON.stringify({ $id: 'https://example.com/twice', type: 'string' }));
    expect(() => jsonSchemaCodec(JSON.stringify({ $id: 'https://example.com/twice', type: 'number' }))).not.toThrow();
    expect(() => jsonSchemaCodec('{not json')).toThrow(SchemaParseFailure);
    expect(() => jsonSchemaCodec('{"type":"nonsense"}')).toThrow(SchemaParseFailure);
  });

  it('refuses bytes that are not UTF-8 JSON', () => {
    const codec = jsonSchemaCodec('{}');
    expect(mismatch(() => codec.decode(Buffer.from([0xff]))).message).toBe('the bytes are not UTF-8 JSON');
    expect(mismatch(() => codec.decode(Buffer.from('{'))).message).toBe('the bytes are not UTF-8 JSON');
  });
});

describe('Protobuf codec refusals', () => {
  const codec = protobufCodec('syntax = "proto3"; message A { int32 n = 1; message B { int32 m = 1; } }');

  it('refuses a value that is not an object, indexes naming no message, and bytes that are not the message', () => {
    expect(mismatch(() => codec.encode([1], Buffer.alloc(0))).message).toBe('expected an object (message A)');
    expect(mismatch(() => codec.decode(Buffer.from([0x02, 0x04, 0x08]))).message).toBe('message index 2 names no message of the schema');
    expect(mismatch(() => codec.decode(Buffer.from([0x00, 0x08, 0x80]))).message).toMatch(/^the bytes are not this schema's message: /);
    expect(mismatch(() => codec.decode(Buffer.from([0x02]))).message).toBe('Protobuf message indexes cut short or too long');
  });

  it('refuses a schema that does not parse', () => {
    expect(() => protobufCodec('message {')).toThrow(SchemaParseFailure);
  });
});
