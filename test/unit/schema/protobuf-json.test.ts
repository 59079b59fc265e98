/**
 * Protobuf's canonical JSON mapping on produce: what the consume side writes for a Protobuf
 * record (64-bit integers as decimal strings, enum names, bytes as base64) is accepted back,
 * as are the proto and JSON names of a field; what protobufjs would change is refused by path.
 * https://protobuf.dev/programming-guides/json/
 */
import { describe, expect, it } from 'vitest';
import { parseJsonExact } from '../../../lib/json-numbers';
import { DataMismatch, placeOf } from '../../../lib/schema/codec';
import { jsonNameOf } from '../../../lib/schema/protobuf-json';
import { protobufCodec } from '../../../lib/schema/protobuf';
import protobuf from 'protobufjs';

const SCHEMA = `syntax = "proto3";
message Order {
  int64 big = 1;
  Kind kind = 2;
  bytes raw = 3;
  string user_name = 4;
  uint64 count = 5;
  int32 small = 6 [json_name = "tiny"];
  float ratio = 7;
  repeated sint64 many = 8;
  map<int32, string> labels = 9;
  oneof choice { string a = 10; string b = 11; }
  Line line = 12;
}
enum Kind { KIND_ZERO = 0; KIND_ONE = 1; }
message Line { double price = 1; }`;

const codec = protobufCodec(SCHEMA);
const encode = (json: string): Buffer => codec.encode(parseJsonExact(json), Buffer.from(json));

/** Message index 0, then big = 2^53 + 1, kind = 1, raw = 0xff, user_name = "a": written out by hand. */
const ORDER_BYTES = [0x00, 0x08, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0x10, 0x01, 0x1a, 0x01, 0xff, 0x22, 0x01, 0x61];

function refusal(json: string): [string, string] {
  try {
    encode(json);
  } catch (error) {
    if (error instanceof DataMismatch) return [placeOf(error.segments), error.message];
    throw error;
  }
  throw new Error(`${json} was accepted`);
}

describe('Protobuf produce takes the canonical JSON mapping', () => {
  it.each([
    ['the forms the consume side writes', '{"big":"9007199254740993","kind":"KIND_ONE","raw":"/w==","user_name":"a"}'],
    ['numbers, an enum number, URL-safe base64 and the JSON name', '{"big":9007199254740993,"kind":1,"raw":"_w","userName":"a"}'],
    ['null for a field left at its default', '{"big":"9007199254740993","kind":"KIND_ONE","raw":"/w==","userName":"a","count":null,"line":null}'],
  ])('writes the same bytes from %s', (_name, json) => {
    expect([...encode(json)]).toEqual(ORDER_BYTES);
  });

  it('reads back what it decodes', () => {
    const decoded = codec.decode(Buffer.from(ORDER_BYTES));
    expect(decoded).toEqual({ big: '9007199254740993', kind: 'KIND_ONE', raw: '/w==', user_name: 'a' });
    expect([...codec.encode(decoded, Buffer.alloc(0))]).toEqual(ORDER_BYTES);
  });

  it('keeps every digit of the ends of uint64 and sint64 given as strings', () => {
    const bytes = encode('{"count":"18446744073709551615","many":["-9223372036854775808","9223372036854775807"]}');
    expect(codec.decode(bytes)).toEqual({ count: '18446744073709551615', many: ['-9223372036854775808', '9223372036854775807'] });
  });

  it('takes a json_name option in place of the default JSON name, and the proto name too', () => {
    expect(codec.decode(encode('{"tiny":5}'))).toEqual({ small: 5 });
    expect(codec.decode(encode('{"small":"6"}'))).toEqual({ small: 6 });
    expect(refusal('{"small_":1}')).toEqual(['.small_', 'is not a field of message Order']);
  });

  it('takes floats as numbers, decimal strings and the three special strings', () => {
    expect(codec.decode(encode('{"ratio":"0.5","line":{"price":"Infinity"}}'))).toEqual({ ratio: 0.5, line: { price: Number.POSITIVE_INFINITY } });
    expect(Number.isNaN((codec.decode(encode('{"ratio":"NaN"}')) as { ratio: number }).ratio)).toBe(true);
  });

  it('takes map keys of an integer type as strings', () => {
    expect(codec.decode(encode('{"labels":{"-1":"x","7":"y"}}'))).toEqual({ labels: { '-1': 'x', '7': 'y' } });
  });
});

describe('Protobuf produce refuses, by path, what it would otherwise change', () => {
  it.each([
    ['{"nope":1}', '.nope', 'is not a field of message Order'],
    ['{"user_name":"a","userName":"b"}', '.userName', 'names field user_name a second time'],
    ['{"big":"12.5"}', '.big', 'expected int64 (a whole number, or its decimal string)'],
    ['{"big":"0x10"}', '.big', 'expected int64 (a whole number, or its decimal string)'],
    ['{"big":true}', '.big', 'expected int64 (a whole number, or its decimal string)'],
    ['{"big":"9223372036854775808"}', '.big', 'is outside the range of int64'],
    ['{"count":"-1"}', '.count', 'is outside the range of uint64'],
    ['{"count":18446744073709551616}', '.count', 'is outside the range of uint64'],
    ['{"tiny":2147483648}', '.tiny', 'is outside the range of int32'],
    ['{"many":["1",2.5]}', '.many[1]', 'expected sint64 (a whole number, or its decimal string)'],
    ['{"many":5}', '.many', 'expected an array (repeated)'],
    ['{"kind":"KIND_TWO"}', '.kind', 'expected a value of enum Kind (its name or number)'],
    ['{"kind":7}', '.kind', 'expected a value of enum Kind (its name or number)'],
    ['{"raw":"not base64!"}', '.raw', 'expected a base64 string (bytes)'],
    ['{"raw":[1]}', '.raw', 'expected a base64 string (bytes)'],
    ['{"user_name":5}', '.user_name', 'expected a string'],
    ['{"ratio":"half"}', '.ratio', 'expected float (a number, or "NaN", "Infinity", "-Infinity")'],
    ['{"ratio":1e39}', '.ratio', 'is outside the range of float'],
    ['{"labels":{"x":"y"}}', '.labels.x', 'expected int32 (a whole number, or its decimal string)'],
    ['{"labels":[]}', '.labels', 'expected an object (map)'],
    ['{"a":"x","b":"y"}', '.b', 'is in oneof choice with a, given too'],
    ['{"line":{"cost":1}}', '.line.cost', 'is not a field of message Line'],
    ['{"line":5}', '.line', 'expected an object (message Line)'],
    ['[]', '', 'expected an object (message Order)'],
  ])('%s', (json, place, detail) => {
    expect(refusal(json)).toEqual([place, detail]);
  });

  it('refuses a map key other than "true" or "false" for bool keys', () => {
    const bools = protobufCodec('syntax = "proto3"; message M { map<bool, int32> flags = 1; }');
    expect(bools.decode(bools.encode({ flags: { true: 1 } }, Buffer.alloc(0)))).toEqual({ flags: { true: 1 } });
    expect(() => bools.encode({ flags: { yes: 1 } }, Buffer.alloc(0))).toThrow('expected the key "true" or "false" (bool)');
  });
});

describe('jsonNameOf', () => {
  it('is protoc lowerCamelCase of the name unless json_name is given', () => {
    const { root } = protobuf.parse(
      'syntax = "proto3"; message M { int32 user_id = 1; int32 a_b_c = 2; int32 x = 3 [json_name = "why"]; int32 trailing_ = 4; }',
      {
        keepCase: true,
      },
    );
    expect(root.lookupType('M').fieldsArray.map(jsonNameOf)).toEqual(['userId', 'aBC', 'why', 'trailing']);
  });
});

describe('placeOf', () => {
  it('writes member names and indexes as JavaScript does', () => {
    expect(placeOf(['items', 1, 'a b', 'x_1', '0'])).toBe('.items[1]["a b"].x_1["0"]');
    expect(placeOf([])).toBe('');
  });
});

describe('Protobuf produce, the edges of floats and bytes', () => {
  const floats = protobufCodec('syntax = "proto3"; message F { float f = 1; double d = 2; bytes b = 3; }');
  const decoded = (json: string) => floats.decode(floats.encode(parseJsonExact(json), Buffer.alloc(0)));
  const refused = (json: string): string => {
    try {
      floats.encode(parseJsonExact(json), Buffer.alloc(0));
    } catch (error) {
      if (error instanceof DataMismatch) return `${placeOf(error.segments)}: ${error.message}`;
      throw error;
    }
    return 'accepted';
  };

  it.each([
    ['{"d":"-Infinity"}', { d: Number.NEGATIVE_INFINITY }],
    ['{"d":".5"}', { d: 0.5 }],
    ['{"d":"2."}', { d: 2 }],
    ['{"d":"-1e2"}', { d: -100 }],
    ['{"d":"1E+2"}', { d: 100 }],
    ['{"d":"15"}', { d: 15 }],
    ['{"d":0.12345678901234567890123}', { d: 0.12345678901234568 }],
    ['{"f":3.4028234663852886e38}', { f: 3.4028234663852886e38 }],
    ['{"f":-3.4028234663852886e38}', { f: -3.4028234663852886e38 }],
    ['{"d":1e300}', { d: 1e300 }],
    ['{"b":"AQID"}', { b: 'AQID' }],
    ['{"b":"AQIDBA"}', { b: 'AQIDBA==' }],
    ['{"b":"AQIDBA=="}', { b: 'AQIDBA==' }],
    ['{"b":"AQIDBAU"}', { b: 'AQIDBAU=' }],
    ['{"b":"AQIDBAU="}', { b: 'AQIDBAU=' }],
    ['{"b":"-_-_"}', { b: '+/+/' }],
    ['{"b":""}', { b: '' }],
  ])('takes %s', (json, value) => {
    expect(decoded(json)).toEqual(value);
  });

  it.each([
    ['{"d":"1e"}', '.d: expected double (a number, or "NaN", "Infinity", "-Infinity")'],
    ['{"d":"e5"}', '.d: expected double (a number, or "NaN", "Infinity", "-Infinity")'],
    ['{"d":"1.5x"}', '.d: expected double (a number, or "NaN", "Infinity", "-Infinity")'],
    ['{"d":"x1.5"}', '.d: expected double (a number, or "NaN", "Infinity", "-Infinity")'],
    ['{"d":"--1"}', '.d: expected double (a number, or "NaN", "Infinity", "-Infinity")'],
    ['{"d":"1e+"}', '.d: expected double (a number, or "NaN", "Infinity", "-Infinity")'],
    ['{"d":"."}', '.d: expected double (a number, or "NaN", "Infinity", "-Infinity")'],
    ['{"d":"infinity"}', '.d: expected double (a number, or "NaN", "Infinity", "-Infinity")'],
    ['{"d":true}', '.d: expected double (a number, or "NaN", "Infinity", "-Infinity")'],
    ['{"f":"3.5e38"}', '.f: is outside the range of float'],
    ['{"f":-3.5e38}', '.f: is outside the range of float'],
    ['{"b":"A"}', '.b: expected a base64 string (bytes)'],
    ['{"b":"AQIDB"}', '.b: expected a base64 string (bytes)'],
    ['{"b":"AQ=D"}', '.b: expected a base64 string (bytes)'],
    ['{"b":"AQI=="}', '.b: expected a base64 string (bytes)'],
    ['{"b":"AQ==="}', '.b: expected a base64 string (bytes)'],
    ['{"b":" AQID"}', '.b: expected a base64 string (bytes)'],
    ['{"b":"AQID "}', '.b: expected a base64 string (bytes)'],
    ['{"b":"AQ!D"}', '.b: expected a base64 string (bytes)'],
  ])('refuses %s', (json, answer) => {
    expect(refused(json)).toBe(answer);
  });

  it('takes a double beyond a float range, and bool only as true or false', () => {
    expect(decoded('{"d":3.5e38}')).toEqual({ d: 3.5e38 });
    const bools = protobufCodec('syntax = "proto3"; message B { bool on = 1; }');
    expect(bools.decode(bools.encode({ on: true }, Buffer.alloc(0)))).toEqual({ on: true });
    expect(() => bools.encode({ on: 'true' }, Buffer.alloc(0))).toThrow('expected true or false (bool)');
    expect(() => bools.encode({ on: 1 }, Buffer.alloc(0))).toThrow('expected true or false (bool)');
  });

  it('reads integers from numbers, exact numbers and decimal strings only', () => {
    const ints = protobufCodec('syntax = "proto3"; message I { int32 a = 1; int64 b = 2; uint32 c = 3; }');
    expect(ints.decode(ints.encode(parseJsonExact('{"a":"-7","b":-7,"c":"007"}'), Buffer.alloc(0)))).toEqual({ a: -7, b: '-7', c: 7 });
    for (const bad of ['{"a":1.5}', '{"a":"1.0"}', '{"a":"+1"}', '{"a":" 1"}', '{"a":"1 "}', '{"a":"-"}', '{"a":[1]}', '{"b":1.5}', '{"b":"12a"}']) {
      expect(() => ints.encode(parseJsonExact(bad), Buffer.alloc(0))).toThrow(/expected (int32|int64) \(a whole number, or its decimal string\)/);
    }
  });
});
