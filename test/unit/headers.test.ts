import { describe, expect, it } from 'vitest';
import { identityHeaderText } from '../../lib/headers';

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
