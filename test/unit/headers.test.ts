import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { identityHeaderText, isIdentityHeader, lastHeaderNamed } from '../../lib/headers';

describe('identityHeaderText', () => {
  it.each([
    { name: 'ASCII text', value: Buffer.from('order-7'), expected: 'order-7' },
    { name: 'non-ASCII UTF-8 text', value: Buffer.from([0x6f, 0xc3, 0xa9]), expected: 'oé' },
    { name: 'empty: unusable', value: Buffer.alloc(0), expected: undefined },
    { name: 'not UTF-8: unusable', value: Buffer.from([0xff, 0xfe]), expected: undefined },
    { name: 'a truncated UTF-8 sequence: unusable', value: Buffer.from([0x6f, 0xc3]), expected: undefined },
  ])('$name', ({ value, expected }) => {
    expect(identityHeaderText(value)).toBe(expected);
  });
});

describe('isIdentityHeader', () => {
  it.each([
    { name: 'ASCII text', value: Buffer.from('order-7'), expected: true },
    { name: 'a byte order mark before text', value: Buffer.from([0xef, 0xbb, 0xbf, 0x61]), expected: true },
    { name: 'a byte order mark alone: empty text', value: Buffer.from([0xef, 0xbb, 0xbf]), expected: false },
    { name: 'empty', value: Buffer.alloc(0), expected: false },
    { name: 'not UTF-8', value: Buffer.from([0xff, 0xfe]), expected: false },
    { name: 'a lone surrogate encoded', value: Buffer.from([0xed, 0xa0, 0x80]), expected: false },
  ])('$name: $expected', ({ value, expected }) => {
    expect(isIdentityHeader(value)).toBe(expected);
  });

  it('says yes exactly when a strict UTF-8 decoder gives non-empty text, for any bytes', () => {
    // The rule as it was written first, kept here as the oracle: decode strictly, refuse empty text.
    const decodesToText = (value: Uint8Array): boolean => {
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(value) !== '';
      } catch {
        return false;
      }
    };
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 6 }).map((text) => new Uint8Array(Buffer.from(`\ufeff${text}`))),
      fc.uint8Array({ maxLength: 8 }).map((tail) => Uint8Array.from([0xef, 0xbb, 0xbf, ...tail])),
    );
    fc.assert(
      fc.property(bytes, (value) => {
        expect(isIdentityHeader(value)).toBe(decodesToText(value));
        expect(identityHeaderText(value) !== undefined).toBe(decodesToText(value));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('lastHeaderNamed', () => {
  const headers = [
    { name: 'message-id', value: 'a' },
    { name: 'trace', value: 't' },
    { name: 'message-id', value: null },
    { name: 'other', value: 'o' },
  ];

  it('gives the last header of the name, also when its value is null, and nothing for a name not there', () => {
    expect(lastHeaderNamed(headers, 'message-id')).toBe(headers[2]);
    expect(lastHeaderNamed(headers, 'trace')).toBe(headers[1]);
    expect(lastHeaderNamed(headers, 'other')).toBe(headers[3]);
    expect(lastHeaderNamed(headers, 'absent')).toBeUndefined();
    expect(lastHeaderNamed([], 'message-id')).toBeUndefined();
  });
});
