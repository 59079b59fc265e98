/** Avro refusals name the place inside the value, however deep; longs take their whole range. */
import { describe, expect, it } from 'vitest';
import { parseJsonExact } from '../../../lib/json-numbers';
import { avroCodec } from '../../../lib/schema/avro';
import { DataMismatch, placeOf } from '../../../lib/schema/codec';

const codec = avroCodec(
  JSON.stringify({
    type: 'record',
    name: 'Outer',
    fields: [
      { name: 'inner', type: { type: 'record', name: 'Inner', fields: [{ name: 'n', type: 'long' }] } },
      { name: 'longs', type: { type: 'array', items: 'long' } },
      { name: 'maybe', type: ['null', 'long', 'Inner'] },
      { name: 'raw', type: { type: 'array', items: 'bytes' } },
    ],
  }),
);
const valid = { inner: { n: 1 }, longs: [], maybe: null, raw: [] };

function refusal(value: unknown): string {
  try {
    codec.encode(value, Buffer.alloc(0));
  } catch (error) {
    if (error instanceof DataMismatch) return `${placeOf(error.segments)}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('Avro refusals name their place', () => {
  it.each([
    [{ ...valid, inner: 5 }, '.inner: expected an object (record)'],
    [{ ...valid, inner: { n: 'x' } }, '.inner.n: expected a whole number (long)'],
    [{ ...valid, longs: [1, 'x'] }, '.longs[1]: expected a whole number (long)'],
    [{ ...valid, maybe: { long: 'x' } }, '.maybe.long: expected a whole number (long)'],
    [{ ...valid, maybe: { Inner: { n: [] } } }, '.maybe.Inner.n: expected a whole number (long)'],
    [{ ...valid, maybe: { Inner: 3 } }, '.maybe.Inner: expected an object (record)'],
    [{ ...valid, raw: ['ok', 7] }, '.raw[1]: expected a string of code points 0-255 (bytes)'],
  ])('%j', (value, answer) => {
    expect(refusal(value)).toBe(answer);
  });

  it('takes every long from -2^63 to 2^63 - 1, and nothing beyond', () => {
    const long = avroCodec('"long"');
    expect(JSON.stringify(long.decode(long.encode(parseJsonExact('9223372036854775807'), Buffer.alloc(0))))).toBe('9223372036854775807');
    expect(JSON.stringify(long.decode(long.encode(parseJsonExact('-9223372036854775808'), Buffer.alloc(0))))).toBe('-9223372036854775808');
    expect(() => long.encode(parseJsonExact('-9223372036854775809'), Buffer.alloc(0))).toThrow('expected long');
    expect(() => long.encode(1.5, Buffer.alloc(0))).toThrow('expected a whole number (long)');
    expect(() => long.encode(parseJsonExact('12345678901234567890.5'), Buffer.alloc(0))).toThrow('expected a whole number (long)');
  });

  it('keeps avsc text of bytes that do not decode in the cause only', () => {
    const long = avroCodec('"long"');
    try {
      long.decode(Buffer.from([0x80]));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DataMismatch);
      expect((error as DataMismatch).segments).toEqual([]);
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
  });
});
