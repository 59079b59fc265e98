import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../lib/errors';
import type { ClaimResult } from '../../../lib/consume/claim-verdict';
import { createClaimer } from '../../../lib/consume/claimer';
import { createLeaseKeeper } from '../../../lib/consume/lease-keeper';
import { createPatience } from '../../../lib/consume/patience';
import type { ClaimPlan } from '../../../lib/consume/record-plan';
import { acquireRecord, type RecordStepDeps } from '../../../lib/consume/record-step';
import { IdempotencyStatus } from '../../../lib/idempotency/types';
import { FakeClock, FakeStore } from './fake-store';
import { manualEvery } from './manual-every';
import { claimPlan, START_MS, storedRecord } from './plans';

const OWNER = 'inv-1/orders-0';
const KEY = 'consume:test:orders-0-7';
const HELD = { reason: 'held by another invocation' };

/** A record step over the fake store; `canWait` gives the invocation 60 s, and `onSleep[n]` runs after the n-th sleep. */
function setup(canWait: boolean) {
  const store = new FakeStore();
  const clock = new FakeClock();
  const manual = manualEvery();
  const claimer = createClaimer({ store, clock, owner: OWNER, leaseMs: 30_000, ttlSeconds: 86_400 });
  const onSleep: (() => void)[] = [];
  const sleptMs: number[] = [];
  const patience = createPatience(clock, canWait ? START_MS + 60_000 : undefined, async (ms) => {
    clock.nowValueMs += ms;
    onSleep[sleptMs.length]?.();
    sleptMs.push(ms);
  });
  const lease = createLeaseKeeper({ claimer, clock, leaseMs: 30_000, every: manual.every });
  const deps: RecordStepDeps = { store, clock, claimer, lease, patience, canWait };
  let handBacks = 0;
  let goOn = true;
  const handBack = async () => {
    handBacks += 1;
    return goOn;
  };
  const run = (plan: ClaimPlan, first: Promise<ClaimResult> = claimer.claim(plan)) => acquireRecord(plan, first, deps, handBack);
  const stopAtHandBack = () => {
    goOn = false;
  };
  return { store, clock, claimer, deps, run, onSleep, stopAtHandBack, sleeps: () => sleptMs.length, sleptMs: () => sleptMs, handBacks: () => handBacks };
}

const heldByOther = (fields = {}) => storedRecord(IdempotencyStatus.InProgress, { key: KEY, leaseExpiresAtMs: START_MS + 30_000, ...fields });
const completedBy = (payloadHash: string) => storedRecord(IdempotencyStatus.Completed, { key: KEY, payloadHash });

describe('acquireRecord', () => {
  it('claims a free key and leaves the effect to the caller', async () => {
    const { run, store } = setup(false);
    expect(await run(claimPlan(7))).toEqual({ kind: 'claimed' });
    expect(store.items.get(KEY)).toMatchObject({ status: IdempotencyStatus.InProgress, owner: OWNER, payloadHash: 'h7' });
  });

  it('gives up without pausing when the hand-back stopped the partition', async () => {
    const { run, store, stopAtHandBack, sleeps } = setup(true);
    store.items.set(KEY, heldByOther());
    stopAtHandBack();
    expect(await run(claimPlan(7))).toEqual({ kind: 'given-up' });
    expect(sleeps()).toBe(0);
  });

  it.each([
    { name: 'the same payload: a duplicate', payloadHash: 'h7', expected: { kind: 'duplicate' } },
    {
      name: 'another payload: a reused id',
      payloadHash: 'other',
      expected: { kind: 'failed', failure: { reason: 'message id reused with a different payload' } },
    },
  ])('skips the effect of a key the claim finds COMPLETED with $name', async ({ payloadHash, expected }) => {
    const { run, store } = setup(false);
    store.returnExisting = true;
    store.items.set(KEY, completedBy(payloadHash));
    expect(await run(claimPlan(7))).toEqual(expected);
  });

  it('fails a held key at once when the invocation cannot wait, having handed back first', async () => {
    const { run, store, handBacks, sleeps } = setup(false);
    store.items.set(KEY, heldByOther());
    expect(await run(claimPlan(7))).toEqual({ kind: 'failed', failure: HELD });
    expect(handBacks()).toBe(1);
    expect(sleeps()).toBe(0);
  });

  it('waits for a held key and skips it once its holder completed it, looking before claiming', async () => {
    const { run, store, onSleep } = setup(true);
    store.returnExisting = true;
    store.items.set(KEY, heldByOther());
    onSleep[1] = () => store.items.set(KEY, completedBy('h7'));
    expect(await run(claimPlan(7))).toEqual({ kind: 'duplicate' });
    expect(store.requests).toMatchObject({ claim: 1, getMany: 2 });
  });

  it('looks at once when a refused claim came without the item and the invocation may wait', async () => {
    const { run, store, sleeps } = setup(true);
    store.items.set(KEY, completedBy('h7'));
    expect(await run(claimPlan(7))).toEqual({ kind: 'duplicate' });
    expect(sleeps()).toBe(0);
    expect(store.requests).toMatchObject({ claim: 1, getMany: 1 });
  });

  it('takes a held key over once its lease ran out while waiting', async () => {
    const { run, store, clock, claimer } = setup(true);
    store.items.set(KEY, heldByOther({ leaseExpiresAtMs: START_MS + 1_000 }));
    expect(await run(claimPlan(7))).toEqual({ kind: 'claimed' });
    expect(clock.nowMs()).toBeGreaterThan(START_MS + 1_000);
    // The holder may have applied the effect before its lease ran out.
    expect(claimer.earlierAttempt(KEY)).toBe(true);
  });

  it('reports the held key failed once the wait reaches the deadline', async () => {
    const { run, store, clock } = setup(true);
    store.items.set(KEY, heldByOther({ leaseExpiresAtMs: START_MS + 120_000 }));
    expect(await run(claimPlan(7))).toEqual({ kind: 'failed', failure: HELD });
    expect(clock.nowMs()).toBeLessThanOrEqual(START_MS + 60_000);
  });

  it('waits out a claim that cannot be written, and fails it with the error when it cannot wait', async () => {
    const waiting = setup(true);
    waiting.store.failClaims.add(KEY);
    waiting.onSleep[0] = () => waiting.store.failClaims.clear();
    expect(await waiting.run(claimPlan(7))).toEqual({ kind: 'claimed' });

    const hurried = setup(false);
    hurried.store.failClaims.add(KEY);
    expect(await hurried.run(claimPlan(7))).toEqual({
      kind: 'failed',
      failure: {
        reason: 'claim failed',
        error: new StoreUnavailableError('the idempotency store is unavailable; retry later', { cause: new Error('store unreachable') }),
      },
    });
  });

  it('renews a claim with less than half its lease left before the effect', async () => {
    const { run, store, claimer, clock } = setup(false);
    const plan = claimPlan(7);
    const first = claimer.claim(plan);
    await first;
    clock.nowValueMs += 20_000;
    expect(await run(plan, first)).toEqual({ kind: 'claimed' });
    expect(store.items.get(KEY)?.leaseExpiresAtMs).toBe(START_MS + 50_000);
    expect(store.requests.claim).toBe(2);
    // Its own earlier claim is no earlier attempt.
    expect(claimer.earlierAttempt(KEY)).toBe(false);
  });
});

describe('acquireRecord: looks, renewals and pauses', () => {
  it('waits out a look that cannot read the store, pausing between looks, and fails with the claim error at the deadline', async () => {
    const { run, store, sleeps } = setup(true);
    store.items.set(KEY, heldByOther({ leaseExpiresAtMs: START_MS + 120_000 }));
    store.failReads = true;
    const result = await run(claimPlan(7));
    expect(result).toMatchObject({ kind: 'failed', failure: { reason: 'claim failed' } });
    expect(sleeps()).toBeGreaterThan(1);
  });

  it('pauses before looking again when a claim made after a look is refused without the item', async () => {
    const { store, deps, sleeps } = setup(true);
    store.items.set(KEY, heldByOther({ leaseExpiresAtMs: START_MS + 120_000 }));
    // The look sees no item (as if it was written just after), so the claim is tried and refused.
    const looks = { ...deps, store: { getMany: async () => new Map() } };
    const result = await acquireRecord(claimPlan(7), deps.claimer.claim(claimPlan(7)), looks, async () => true);
    expect(result).toEqual({ kind: 'failed', failure: HELD });
    expect(sleeps()).toBeGreaterThan(1);
    // The claim issued ahead, a look and claim at once (its refusal came without the item), then one after each pause.
    expect(store.requests.claim).toBe(sleeps() + 2);
  });

  it('waits for another payload held under a live lease when the claim after a look returns it, rather than calling the id reused', async () => {
    const { store, deps } = setup(true);
    store.returnExisting = true;
    store.items.set(KEY, heldByOther({ leaseExpiresAtMs: START_MS + 120_000, payloadHash: 'h-other' }));
    // The look sees no item (as if it was written just after), so the claim is tried and refused with the item.
    const looks = { ...deps, store: { getMany: async () => new Map() } };
    const result = await acquireRecord(claimPlan(7), deps.claimer.claim(claimPlan(7)), looks, async () => true);
    expect(result).toEqual({ kind: 'failed', failure: HELD });
  });

  it('makes the next pause short again once a waited-for key turned out done', async () => {
    const { run, store, onSleep, sleptMs } = setup(true);
    store.returnExisting = true;
    store.items.set(KEY, heldByOther({ leaseExpiresAtMs: START_MS + 120_000 }));
    onSleep[1] = () => store.items.set(KEY, completedBy('h7'));
    expect(await run(claimPlan(7))).toEqual({ kind: 'duplicate' });
    const other = 'consume:test:orders-0-8';
    store.items.set(other, { ...heldByOther({ leaseExpiresAtMs: START_MS + 120_000 }), key: other });
    onSleep[2] = () => store.items.set(other, { ...completedBy('h8'), key: other });
    expect(await run(claimPlan(8))).toEqual({ kind: 'duplicate' });
    expect(sleptMs()).toEqual([100, 200, 100]);
  });

  it('renews a claim at most once per attempt, even when the renewal itself took more than half the lease', async () => {
    const { run, store, clock } = setup(false);
    const claim = store.claim.bind(store);
    let renewals = 0;
    const first = run(claimPlan(7));
    await first;
    // A slow store: every claim from now on takes 20 s, more than half the 30 s lease.
    store.claim = async (...args) => {
      renewals += 1;
      const outcome = await claim(...args);
      clock.nowValueMs += 20_000;
      return outcome;
    };
    clock.nowValueMs += 20_000;
    const issued = Promise.resolve({ outcome: { claimed: true } } as const);
    expect(await run(claimPlan(7), issued)).toEqual({ kind: 'claimed' });
    expect(renewals).toBe(1);
  });
});
