import { describe, expect, it } from 'vitest';
import { attributeToJson, printableToText } from '../../../local/table-scan';

const text = (value: Parameters<typeof attributeToJson>[0]): string => printableToText(attributeToJson(value));

describe('attributeToJson and printableToText', () => {
  it.each([
    ['a string', { S: 'caf\u00e9 "x"' }, '"café \\"x\\""'],
    ['a number beyond a double, digit for digit', { N: '12345678901234567890' }, '12345678901234567890'],
    ['a number with a trailing zero', { N: '0.10' }, '0.10'],
    ['a boolean', { BOOL: false }, 'false'],
    ['null', { NULL: true }, 'null'],
    ['binary as base64', { B: Uint8Array.from([0, 255, 1]) }, '"AP8B"'],
    ['a string set', { SS: ['x', 'y'] }, '["x","y"]'],
    ['a number set', { NS: ['1', '2.50'] }, '[1,2.50]'],
    ['a binary set', { BS: [Uint8Array.from([1])] }, '["AQ=="]'],
    ['a list', { L: [{ N: '1' }, { S: 'two' }, { NULL: true }] }, '[1,"two",null]'],
    ['a map, members in order', { M: { b: { N: '1' }, a: { M: { 'x"y': { BOOL: true } } } } }, '{"b":1,"a":{"x\\"y":true}}'],
  ])('%s', (_name, value, expected) => {
    expect(text(value)).toBe(expected);
  });

  it('refuses an attribute of no known type, naming it', () => {
    expect(() => attributeToJson({ X: 'y' } as never)).toThrow('unknown attribute type X');
  });
});
