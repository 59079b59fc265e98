import { describe, expect, it } from 'vitest';
import { claimVerdict, lookVerdict, storedVerdict, type ClaimResult, type ClaimVerdict } from '../../../lib/consume/claim-verdict';
import { IdempotencyStatus, type IdempotencyRecord } from '../../../lib/idempotency/types';
import { START_MS, storedRecord } from './plans';

const NOW_MS = START_MS;
const OWNER = 'inv-1/orders-0';
const REUSED: ClaimVerdict = { kind: 'failed', failure: { reason: 'message id reused with a different payload' } };
const held = (lookAtOnce: boolean): ClaimVerdict => ({ kind: 'wait', failure: { reason: 'held by another invocation' }, lookAtOnce });

const completed = (payloadHash?: string) => storedRecord(IdempotencyStatus.Completed, payloadHash === undefined ? {} : { payloadHash });

describe('storedVerdict', () => {
  const live = { leaseExpiresAtMs: NOW_MS };
  const ended = { leaseExpiresAtMs: NOW_MS - 1 };
  it.each([
    { name: 'COMPLETED, same payload: duplicate', stored: completed('h1'), expected: { kind: 'duplicate' } },
    { name: 'COMPLETED, no stored hash: duplicate', stored: completed(), expected: { kind: 'duplicate' } },
    { name: 'COMPLETED, another payload: reused', stored: completed('h2'), expected: REUSED },
    {
      name: "IN_PROGRESS, another payload, under another owner's live lease: wait (it may yet be released unapplied)",
      stored: storedRecord(IdempotencyStatus.InProgress, { payloadHash: 'h2', ...live }),
      expected: held(false),
    },
    {
      name: 'IN_PROGRESS, another payload, lease ended: reused',
      stored: storedRecord(IdempotencyStatus.InProgress, { payloadHash: 'h2', ...ended }),
      expected: REUSED,
    },
    {
      name: 'IN_PROGRESS, another payload, abandoned: reused',
      stored: storedRecord(IdempotencyStatus.InProgress, { payloadHash: 'h2', leaseExpiresAtMs: 0 }),
      expected: REUSED,
    },
    {
      name: "IN_PROGRESS, same payload, under another owner's live lease: wait",
      stored: storedRecord(IdempotencyStatus.InProgress, { payloadHash: 'h1', ...live }),
      expected: held(false),
    },
    {
      name: 'IN_PROGRESS, same payload, lease ended: claim',
      stored: storedRecord(IdempotencyStatus.InProgress, { payloadHash: 'h1', ...ended }),
      expected: undefined,
    },
    { name: 'IN_PROGRESS, no stored hash, lease ended: claim', stored: storedRecord(IdempotencyStatus.InProgress, ended), expected: undefined },
    {
      name: 'IN_PROGRESS under this owner: claim (renews)',
      stored: storedRecord(IdempotencyStatus.InProgress, { payloadHash: 'h1', owner: OWNER }),
      expected: undefined,
    },
  ])('$name', ({ stored, expected }) => {
    expect(storedVerdict(stored, 'h1', OWNER, NOW_MS)).toEqual(expected);
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
    {
      name: 'another payload under a lease that ran out: reused',
      seen: storedRecord(IdempotencyStatus.InProgress, { leaseExpiresAtMs: NOW_MS - 1, payloadHash: 'h2' }),
      expected: REUSED,
    },
    { name: 'another payload under a live lease: waited for', seen: storedRecord(IdempotencyStatus.InProgress, { payloadHash: 'h2' }), expected: held(false) },
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
    {
      name: 'unfinished claim of another payload returned: reused',
      result: notClaimed(storedRecord(IdempotencyStatus.InProgress, { leaseExpiresAtMs: 0, payloadHash: 'h2' })),
      canWait: true,
      looked: false,
      expected: REUSED,
    },
    {
      name: 'refused with the item of its own payload, lease ended: pause, since a look would only read it again',
      result: notClaimed(storedRecord(IdempotencyStatus.InProgress, { leaseExpiresAtMs: 0, payloadHash: 'h1' })),
      canWait: true,
      looked: false,
      expected: held(false),
    },
    { name: 'refused without the item, may wait: look at once', result: notClaimed(), canWait: true, looked: false, expected: held(true) },
    { name: 'refused without the item, cannot wait', result: notClaimed(), canWait: false, looked: false, expected: held(false) },
    { name: 'refused without the item just after a look', result: notClaimed(), canWait: true, looked: true, expected: held(false) },
  ];

  it.each(cases)('$name', ({ result, canWait, looked, expected }) => {
    expect(claimVerdict(result, 'h1', { canWait, looked, owner: OWNER, nowMs: NOW_MS })).toEqual(expected);
  });
});
