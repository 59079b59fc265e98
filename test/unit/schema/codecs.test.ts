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
    expect(JSON.stringify(codec.decode(Buffer.from('{"n":12345678901234567890}')))).toBe('{"n":12345678901234567890}');
  });
});
