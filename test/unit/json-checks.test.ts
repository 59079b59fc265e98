import { describe, expect, it } from 'vitest';
import { isBase64, isFiniteNumber, isInteger, isPlainObject, isSafeInteger } from '../../lib/json-checks';

describe('isBase64', () => {
  it.each([
    ['', true],
    ['AA==', true],
    ['AAA=', true],
    ['aGVsbG8=', true],
    ['+/+/', true],
    ['AA', false],
    ['AA=', false],
    ['A===', false],
    ['aGVs bG8=', false],
    ['-_-_', false],
    ['aGVsbG8=\n', false],
    ['====', false],
    ['AAAA====', false],
    ['=AAA', false],
    ['AA=A', false],
    ['AAA\u00e9', false],
    ['AAA\u0141', false],
    ['AAAAAA==', true],
    [null, false],
    [[104, 105], false],
  ])('%j: %s', (value, expected) => {
    expect(isBase64(value)).toBe(expected);
  });
});

describe('isPlainObject', () => {
  it.each([
    [{}, true],
    [{ records: [] }, true],
    [[], false],
    [null, false],
    ['{}', false],
    [0, false],
    [undefined, false],
  ])('%j: %s', (value, expected) => {
    expect(isPlainObject(value)).toBe(expected);
  });
});

describe('number checks', () => {
  it.each([
    [0, { finite: true, integer: true, safe: true }],
    [-3, { finite: true, integer: true, safe: true }],
    [1.5, { finite: true, integer: false, safe: false }],
    [2 ** 53, { finite: true, integer: true, safe: false }],
    [Number.NaN, { finite: false, integer: false, safe: false }],
    [Number.POSITIVE_INFINITY, { finite: false, integer: false, safe: false }],
    ['1', { finite: false, integer: false, safe: false }],
    [null, { finite: false, integer: false, safe: false }],
  ])('%j: %j', (value, expected) => {
    expect({ finite: isFiniteNumber(value), integer: isInteger(value), safe: isSafeInteger(value) }).toEqual(expected);
  });
});
