import { describe, expect, it } from 'vitest';
import { exactNumber, isExactNumber, parseJsonExact, significantDigits, withDoubles } from '../../../lib/json-numbers';

describe('parseJsonExact', () => {
  it('keeps numbers a double cannot hold as raw JSON numbers, and writes them back digit for digit', () => {
    const value = parseJsonExact('{"big":12345678901234567890,"small":42,"price":0.10,"long":0.12345678901234567890123,"neg":-9007199254740993}');
    expect(JSON.stringify(value)).toBe('{"big":12345678901234567890,"small":42,"price":0.1,"long":0.12345678901234567890123,"neg":-9007199254740993}');
    expect(isExactNumber((value as Record<string, unknown>).big)).toBe(true);
    expect((value as Record<string, unknown>).small).toBe(42);
  });

  it('reads the same values whether or not the text has a run of 16 number characters', () => {
    // 15 characters at most: every number a double holds exactly, read by plain JSON.parse.
    expect(parseJsonExact('{"a":-0.12345678901,"b":123456789012345,"c":1.5e300}')).toEqual({ a: -0.12345678901, b: 123456789012345, c: 1.5e300 });
    // A long digit run in a string sends the text through the reviver, with the same result for its numbers.
    expect(parseJsonExact('{"id":"1234567890123456789","n":7}')).toEqual({ id: '1234567890123456789', n: 7 });
    // 16 characters: the first length at which a number may need its raw text.
    expect(isExactNumber(parseJsonExact('9007199254740993'))).toBe(true);
    expect(JSON.stringify(parseJsonExact('[0.1234567890123456789]'))).toBe('[0.1234567890123456789]');
  });

  it('counts the digits a number token needs (leading and trailing zeros need none)', () => {
    expect(significantDigits('-0.00123e5')).toBe(3);
    expect(significantDigits('-0.00120e5')).toBe(2);
    expect(significantDigits('1000')).toBe(1);
    expect(significantDigits('123456789012345.6')).toBe(16);
  });

  it('keeps 2^53 as a plain number and 2^53 + 1 raw', () => {
    expect(exactNumber('9007199254740991')).toBe(9007199254740991);
    expect(isExactNumber(exactNumber('9007199254740993'))).toBe(true);
  });

  it('turns raw numbers into doubles for checks that only know doubles', () => {
    expect(withDoubles(parseJsonExact('[12345678901234567890]'))).toEqual([12345678901234567000]);
  });
});
