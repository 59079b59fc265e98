/**
 * JSON Schema refusals in our words, one per keyword, each with the place inside the value, and
 * the paths and places of the shared helpers.
 */
import { describe, expect, it } from 'vitest';
import { parseJsonExact } from '../../../lib/json-numbers';
import { DataMismatch, placeOf, pointer, segmentsIn } from '../../../lib/schema/codec';
import { jsonSchemaCodec, mismatchOf } from '../../../lib/schema/json-schema';

function refusal(schema: object, json: string): string {
  const codec = jsonSchemaCodec(JSON.stringify(schema));
  try {
    codec.encode(parseJsonExact(json), Buffer.from(json));
  } catch (error) {
    if (error instanceof DataMismatch) return `${placeOf(error.segments)}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('JSON Schema refusals', () => {
  it.each([
    [{ type: ['string', 'null'] }, '1', ': expected string or null'],
    [{ type: 'object', properties: { a: { type: 'object', required: ['b'] } } }, '{"a":{}}', '.a.b: is required'],
    [{ type: 'object', additionalProperties: false, properties: { a: {} } }, '{"a":1,"z":2}', '.z: is not allowed by the schema'],
    [
      { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', unevaluatedProperties: false, properties: { a: {} } },
      '{"a":1,"u":2}',
      '.u: is not allowed by the schema',
    ],
    [{ const: 'x' }, '"y"', ': is not the value the schema requires (const)'],
    [{ minimum: 3 }, '2', ': must be >= 3'],
    [{ exclusiveMinimum: 3 }, '3', ': must be > 3'],
    [{ exclusiveMaximum: 3 }, '3', ': must be < 3'],
    [{ multipleOf: 5 }, '7', ': must be a multiple of 5'],
    [{ pattern: '^a+$' }, '"b"', ': must match the pattern ^a+$'],
    [{ minLength: 2 }, '"a"', ': must have at least 2 characters'],
    [{ type: 'array', minItems: 2 }, '[1]', ': must have at least 2 items'],
    [{ type: 'array', maxItems: 1 }, '[1,2]', ': must have at most 1 items'],
    [{ type: 'object', minProperties: 1 }, '{}', ': must have at least 1 members'],
    [{ type: 'object', maxProperties: 1 }, '{"a":1,"b":2}', ': must have at most 1 members'],
    [{ type: 'array', uniqueItems: true }, '[1,1]', ': does not match the schema (uniqueItems)'],
    [{ not: {} }, '1', ': does not match the schema (not)'],
    [{ type: 'object', properties: { 'a/b': { properties: { 'c~d': { type: 'string' } } } } }, '{"a/b":{"c~d":1}}', '["a/b"]["c~d"]: expected string'],
    [{ type: 'array', items: { type: 'object', properties: { '0': { type: 'string' } } } }, '[{"0":1}]', '[0]["0"]: expected string'],
  ])('%j refuses %s as "%s"', (schema, json, answer) => {
    expect(refusal(schema, json)).toBe(answer);
  });

  it('says the whole value does not match when Ajv gives no error', () => {
    expect(mismatchOf(undefined, 1)).toEqual(new DataMismatch([], 'does not match the schema'));
    expect(mismatchOf(undefined, 1).segments).toEqual([]);
  });

  it('validates numbers with every digit kept as doubles, and writes the bytes given', () => {
    const codec = jsonSchemaCodec('{"type":"integer","maximum":12345678901234567890}');
    const text = Buffer.from('12345678901234567890');
    expect(codec.encode(parseJsonExact(text.toString()), text)).toBe(text);
  });
});

describe('places inside a value', () => {
  it('makes array indexes numbers by walking the value, and keeps other names as text', () => {
    const value = { items: [{ a: 1 }, { a: [5, 6] }], map: { '0': 1 } };
    expect(segmentsIn(value, ['items', '1', 'a', '0'])).toEqual(['items', 1, 'a', 0]);
    expect(segmentsIn(value, ['map', '0'])).toEqual(['map', '0']);
    expect(segmentsIn(value, ['items', 'x', 'y'])).toEqual(['items', 'x', 'y']);
    expect(segmentsIn(null, ['a', '0'])).toEqual(['a', '0']);
    expect(segmentsIn([[1]], ['0', '0'])).toEqual([0, 0]);
    expect(segmentsIn(['a'], ['01x'])).toEqual(['01x']);
    expect(segmentsIn('text', ['0'])).toEqual(['0']);
  });

  it('writes them as JavaScript does, and as a JSON Pointer', () => {
    expect(placeOf(['a', 0, '$b', '_c', 'd1', '1d', 'a-b', ''])).toBe('.a[0].$b._c.d1["1d"]["a-b"][""]');
    expect(pointer(['a', 0, 'b'])).toBe('/a/0/b');
    expect(new DataMismatch(['a', 1], 'x').path).toBe('/a/1');
  });
});
