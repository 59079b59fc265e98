import { describe, expect, it } from 'vitest';
import { isBase64, isPlainObject } from '../../lib/json-checks';

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
