/** Concatenated JSON, as the v3 streaming produce takes it: values one after another, up to the first that is not JSON. */
import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, RawJson, readJsonSequence, type Place } from '../../../lib/produce/json-body';

const RAW_VALUE: Place = { object: (member) => (member === 'value' ? 'raw' : 'plain') };
const raw = (value: unknown): string => (value as RawJson).bytes.toString('utf8');

describe('readJsonSequence', () => {
  it('reads values with or without whitespace between them, keeping raw places as written', () => {
    const { values, error } = readJsonSequence(Buffer.from('{"value": [1.50, 2]}{"value":{"a" : 1}}\r\n\t {"value":null} '), RAW_VALUE);
    expect(error).toBeUndefined();
    expect(values.map((value) => (value as { value: unknown }).value)).toEqual([expect.any(RawJson), expect.any(RawJson), null]);
    expect(values.slice(0, 2).map((value) => raw((value as { value: unknown }).value))).toEqual(['[1.50,2]', '{"a":1}']);
  });

  it('reads an empty body, or whitespace only, as no values', () => {
    expect(readJsonSequence(Buffer.from(''), 'plain')).toEqual({ values: [] });
    expect(readJsonSequence(Buffer.from(' \r\n'), 'plain')).toEqual({ values: [] });
  });

  it('stops at the first value that is not JSON, keeping those before it and where it started', () => {
    const sequence = readJsonSequence(Buffer.from('{"a":1} {"a":2} {"a":'), { object: () => 'plain' });
    expect(sequence.values).toEqual([{ a: 1 }, { a: 2 }]);
    expect(sequence.error).toEqual(new JsonSyntaxError('unexpected end of input', 21));
    expect(sequence.errorStart).toBe(16);
  });

  it('refuses bytes that are not UTF-8 as a whole', () => {
    expect(() => readJsonSequence(Buffer.from([0x7b, 0xff, 0x7d]), 'plain')).toThrow(new JsonSyntaxError('not valid UTF-8', 0));
  });

  it('reads scalars one after another only where a token ends them', () => {
    expect(readJsonSequence(Buffer.from('1 2"x"true'), 'plain').values).toEqual([1, 2, 'x', true]);
  });
});
