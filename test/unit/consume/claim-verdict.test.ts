import { describe, expect, it } from 'vitest';
import { claimVerdict, completedVerdict, lookVerdict, type ClaimResult, type ClaimVerdict } from '../../../lib/consume/claim-verdict';
import { IdempotencyStatus, type IdempotencyRecord } from '../../../lib/idempotency/types';
import { START_MS, storedRecord } from './plans';

const NOW_MS = START_MS;
const OWNER = 'inv-1/orders-0';
const REUSED: ClaimVerdict = { kind: 'failed', failure: { reason: 'message id reused with a different payload' } };
const held = (lookAtOnce: boolean): ClaimVerdict => ({ kind: 'wait', failure: { reason: 'held by another invocation' }, lookAtOnce });

const completed = (payloadHash?: string) => storedRecord(IdempotencyStatus.Completed, payloadHash === undefined ? {} : { payloadHash });

describe('completedVerdict', () => {
  it.each([
    { name: 'same payload', existing: completed('h1'), expected: { kind: 'duplicate' } },
    { name: 'no stored hash', existing: completed(), expected: { kind: 'duplicate' } },
    { name: 'another payload', existing: completed('h2'), expected: REUSED },
  ])('$name', ({ existing, expected }) => {
    expect(completedVerdict(existing, 'h1')).toEqual(expected);
  });
});

describe('lookVerdict', () => {
  it.each([
    { name: 'absent: claim', seen: undefined, expected: undefined },
    { name: 'COMPLETED, same payload: duplicate', seen: completed('h1'), expected: { kind: 'duplicate' } },
    { name: 'COMPLETED, another payload: reused', seen: completed('h2'), expected: REUSED },
    { name: 'held by another owner under a live lease: wait', seen: storedRecord(IdempotencyStatus.InProgress), expected: held(false) },
    { name: 'lease ends now: still held', seen: storedRecord(IdempotencyStatus.InProgress, { leaseExpiresAtMs: NOW_MS }), expected: held(false) },
    { name: 'lease ran out: claim', seen: storedRecord(IdempotencyStatus.InProgress, { leaseExpiresAtMs: NOW_MS - 1 }), expected: undefined },
    { name: 'held by this owner: claim', seen: storedRecord(IdempotencyStatus.InProgress, { owner: OWNER }), expected: undefined },
  ])('$name', ({ seen, expected }) => {
    expect(lookVerdict(seen, 'h1', OWNER, NOW_MS)).toEqual(expected);
  });
});

describe('claimVerdict', () => {
  const storeDown = new Error('store unreachable');
  const notClaimed = (existing?: IdempotencyRecord): ClaimResult => ({ outcome: existing === undefined ? { claimed: false } : { claimed: false, existing } });
  const cases: { name: string; result: ClaimResult; canWait: boolean; looked: boolean; expected: ClaimVerdict }[] = [
    { name: 'claimed', result: { outcome: { claimed: true } }, canWait: false, looked: false, expected: { kind: 'claimed' } },
    {
      name: 'request failed: wait',
      result: { error: storeDown },
      canWait: true,
      looked: false,
      expected: { kind: 'wait', failure: { reason: 'claim failed', error: storeDown }, lookAtOnce: false },
    },
    { name: 'COMPLETED returned, same payload', result: notClaimed(completed('h1')), canWait: false, looked: false, expected: { kind: 'duplicate' } },
    { name: 'COMPLETED returned, another payload', result: notClaimed(completed('h2')), canWait: true, looked: false, expected: REUSED },
    { name: 'held, returned item', result: notClaimed(storedRecord(IdempotencyStatus.InProgress)), canWait: true, looked: false, expected: held(false) },
    { name: 'refused without the item, may wait: look at once', result: notClaimed(), canWait: true, looked: false, expected: held(true) },
    { name: 'refused without the item, cannot wait', result: notClaimed(), canWait: false, looked: false, expected: held(false) },
    { name: 'refused without the item just after a look', result: notClaimed(), canWait: true, looked: true, expected: held(false) },
  ];

  it.each(cases)('$name', ({ result, canWait, looked, expected }) => {
    expect(claimVerdict(result, 'h1', { canWait, looked })).toEqual(expected);
  });
});
