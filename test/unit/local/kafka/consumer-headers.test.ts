/**
 * The local consumer's reading of the headers kafkajs decoded (an object by name, an array for
 * a repeated name, null for Kafka's null header value) into the list the emulator, inspect and
 * redrive use.
 */
import type { IHeaders } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { headerEntries } from '../../../../local/kafka/consumer';

// kafkajs' types leave null out; its decoder gives it.
const decoded = (headers: Record<string, unknown>): IHeaders => headers as IHeaders;

describe('headerEntries', () => {
  it('keeps null values in their place among the others, a repeated name once per value', () => {
    expect(headerEntries(decoded({ h: [Buffer.from('one'), null, Buffer.from('')], trace: null, last: Buffer.from('x') }))).toStrictEqual([
      { name: 'h', value: Buffer.from('one') },
      { name: 'h', value: null },
      { name: 'h', value: Buffer.alloc(0) },
      { name: 'trace', value: null },
      { name: 'last', value: Buffer.from('x') },
    ]);
  });

  it('keeps what came off the wire of a header named like an Object.prototype member, null included', () => {
    // kafkajs merges the first value of such a name with the member it finds on a plain object.
    expect(headerEntries(decoded({ constructor: [Object, null], ['__proto__']: [Object.prototype, Buffer.from('p')] }))).toStrictEqual([
      { name: 'constructor', value: null },
      { name: '__proto__', value: Buffer.from('p') },
    ]);
  });

  it('reads no headers as none', () => {
    expect(headerEntries(undefined)).toEqual([]);
  });
});
