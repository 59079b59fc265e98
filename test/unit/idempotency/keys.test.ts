import { describe, expect, it } from 'vitest';
import { expiresAtEpochSec, isClaimable, isExpired, payloadHash } from '../../../lib/idempotency/keys';
import { IdempotencyStatus, type IdempotencyRecord } from '../../../lib/idempotency/types';

const NOW_MS = 1_800_000_000_500;

const held = (fields: Partial<IdempotencyRecord> = {}): IdempotencyRecord => ({
  key: 'k',
  status: IdempotencyStatus.InProgress,
  owner: 'first',
  leaseExpiresAtMs: NOW_MS + 1,
  expiresAtEpochSec: 1_800_086_400,
  payloadHash: 'h1',
  ...fields,
});

describe('idempotency keys', () => {
  it('hashes a payload with SHA-256, base64url', () => {
    expect(payloadHash('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('sets the TTL attribute to now (whole seconds, rounded down) plus the TTL', () => {
    expect(expiresAtEpochSec(NOW_MS, 60)).toBe(1_800_000_060);
  });

  it('counts an item as expired from the second its TTL names', () => {
    expect(isExpired(1_800_000_000, 1_800_000_000_000)).toBe(true);
    expect(isExpired(1_800_000_001, 1_800_000_000_999)).toBe(false);
  });

  it.each([
    { name: 'a live claim of another owner', item: held(), claim: { owner: 'second', payloadHash: 'h1' }, expected: false },
    { name: 'a claim whose lease ends exactly now', item: held({ leaseExpiresAtMs: NOW_MS }), claim: { owner: 'second', payloadHash: 'h1' }, expected: false },
    { name: 'a claim whose lease ran out', item: held({ leaseExpiresAtMs: NOW_MS - 1 }), claim: { owner: 'second', payloadHash: 'h1' }, expected: true },
    { name: "the owner's own live claim", item: held(), claim: { owner: 'first', payloadHash: 'h1' }, expected: true },
    { name: 'a run-out claim of another payload', item: held({ leaseExpiresAtMs: 0 }), claim: { owner: 'second', payloadHash: 'h2' }, expected: false },
    { name: 'a run-out claim stored without a hash', item: held({ leaseExpiresAtMs: 0, payloadHash: undefined }), claim: { owner: 'second' }, expected: true },
    { name: 'a run-out claim with a hash, by a claim without one', item: held({ leaseExpiresAtMs: 0 }), claim: { owner: 'second' }, expected: false },
    {
      name: 'a run-out claim with an empty hash, by a claim without one',
      item: held({ leaseExpiresAtMs: 0, payloadHash: '' }),
      claim: { owner: 'second' },
      expected: true,
    },
    {
      name: 'a completed key',
      item: held({ status: IdempotencyStatus.Completed, leaseExpiresAtMs: 0 }),
      claim: { owner: 'first', payloadHash: 'h1' },
      expected: false,
    },
    {
      name: 'a completed key past its TTL',
      item: held({ status: IdempotencyStatus.Completed, expiresAtEpochSec: 1_800_000_000 }),
      claim: { owner: 'second', payloadHash: 'h2' },
      expected: true,
    },
  ])('$name is claimable: $expected', ({ item, claim, expected }) => {
    expect(isClaimable(item, claim, NOW_MS)).toBe(expected);
  });
});
