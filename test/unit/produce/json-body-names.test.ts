/**
 * Member names are cached by a hash of their bytes (json-body.ts): two names with the same
 * hash must still be read as themselves. A file of its own, so that the cache starts empty.
 */
import { describe, expect, it } from 'vitest';
import { DUPLICATE_MEMBER, readJson } from '../../../lib/produce/json-body';

// "hpfo" and "0rja" have the same 32-bit hash in the name cache (found by search).
describe('readJson member names with colliding hashes', () => {
  it.each([
    ['hpfo', '0rja'],
    ['0rja', 'hpfo'],
  ])('reads %s then %s each as itself, not as a repeated member', (first, second) => {
    const read = readJson(Buffer.from(`{"${first}":1,"${second}":2}`), { object: () => 'plain' }) as Record<string | symbol, unknown>;
    expect(read).toEqual({ [first]: 1, [second]: 2 });
    expect(read[DUPLICATE_MEMBER]).toBeUndefined();
  });

  // "zsq9" and "zsq97o" have the same hash too, and one starts with the other.
  it.each([
    ['zsq9', 'zsq97o'],
    ['zsq97o', 'zsq9'],
  ])('reads %s then %s, one the start of the other, each as itself', (first, second) => {
    const read = readJson(Buffer.from(`{"${first}":1,"${second}":2}`), { object: () => 'plain' });
    expect(read).toEqual({ [first]: 1, [second]: 2 });
  });
});

describe('readJson strings at a token place', () => {
  const tokens = { array: 'token' } as const;

  it('reads each as itself, from the name table or not: short, long, escaped, colliding', () => {
    const long = 'x'.repeat(40);
    const read = readJson(Buffer.from(`["STRING","JSON","STRING","hpfo","0rja","${long}","caf\\u00e9","é"]`), tokens);
    expect(read).toEqual(['STRING', 'JSON', 'STRING', 'hpfo', '0rja', long, 'café', 'é']);
  });

  it('reads a value that is not a string as a plain one', () => {
    expect(readJson(Buffer.from('[1, true, null, {"a": 1}]'), tokens)).toEqual([1, true, null, expect.objectContaining({ bytes: Buffer.from('{"a":1}') })]);
  });
});
