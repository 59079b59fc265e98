import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../lib/errors';
import type { ClaimResult } from '../../../lib/consume/claim-verdict';
import { createClaimer } from '../../../lib/consume/claimer';
import type { ConsumedRecord } from '../../../lib/consume/event';
import { createLeaseKeeper } from '../../../lib/consume/lease-keeper';
import { createPatience } from '../../../lib/consume/patience';
import type { ProcessContext } from '../../../lib/consume/processor';
import type { ClaimPlan } from '../../../lib/consume/record-plan';
import { runRecord } from '../../../lib/consume/record-step';
import { IdempotencyStatus } from '../../../lib/idempotency/types';
import { FakeClock, FakeStore } from './fake-store';
import { manualEvery } from './manual-every';
import { claimPlan, START_MS, storedRecord } from './plans';

const OWNER = 'inv-1/orders-0';
const KEY = 'consume:test:orders-0-7';
const HELD = { reason: 'held by another invocation' };

/** A record step over the fake store; `canWait` gives the invocation 60 s, and `onSleep[n]` runs after the n-th sleep. */
function setup(canWait: boolean, effect: (record: ConsumedRecord) => Promise<void> | void = () => {}) {
  const store = new FakeStore();
  const clock = new FakeClock();
  const manual = manualEvery();
  const claimer = createClaimer({ store, clock, owner: OWNER, leaseMs: 30_000, ttlSeconds: 86_400 });
  const onSleep: (() => void)[] = [];
  let sleeps = 0;
  const patience = createPatience(clock, canWait ? START_MS + 60_000 : undefined, async (ms) => {
    clock.nowValueMs += ms;
    onSleep[sleeps]?.();
    sleeps += 1;
  });
  const contexts: ProcessContext[] = [];
  const processor = {
    async process(record: ConsumedRecord, context: ProcessContext) {
      await effect(record);
      contexts.push(context);
    },
  };
  const lease = createLeaseKeeper({ claimer, clock, leaseMs: 30_000, every: manual.every });
  const deps = { store, processor, clock, claimer, lease, patience, canWait, invocationId: 'inv-1' };
  let handBacks = 0;
  const handBack = async () => {
    handBacks += 1;
  };
  const run = (plan: ClaimPlan, first: Promise<ClaimResult> = claimer.claim(plan)) => runRecord(plan, first, deps, handBack);
  return { store, clock, claimer, run, contexts, onSleep, tick: manual.tick, sleeps: () => sleeps, handBacks: () => handBacks };
}

const heldByOther = (fields = {}) => storedRecord(IdempotencyStatus.InProgress, { key: KEY, leaseExpiresAtMs: START_MS + 30_000, ...fields });
const completedBy = (payloadHash: string) => storedRecord(IdempotencyStatus.Completed, { key: KEY, payloadHash });

describe('runRecord', () => {
  it('runs the effect under the claim and leaves the completion to the caller', async () => {
    const { run, store, contexts } = setup(false);
    expect(await run(claimPlan(7, { callerId: 'alice', messageId: 'caller:YWxpY2U:m' }))).toEqual({ kind: 'done' });
    expect(contexts).toEqual([{ messageId: 'caller:YWxpY2U:m', callerId: 'alice', invocationId: 'inv-1' }]);
    expect(store.items.get(KEY)?.status).toBe(IdempotencyStatus.InProgress);
  });

  it.each([
    { name: 'the same payload: a duplicate', payloadHash: 'h7', expected: { kind: 'duplicate' } },
    {
      name: 'another payload: a reused id',
      payloadHash: 'other',
      expected: { kind: 'failed', failure: { reason: 'message id reused with a different payload' } },
    },
  ])('skips the effect of a key the claim finds COMPLETED with $name', async ({ payloadHash, expected }) => {
    const { run, store, contexts } = setup(false);
    store.returnExisting = true;
    store.items.set(KEY, completedBy(payloadHash));
    expect(await run(claimPlan(7))).toEqual(expected);
    expect(contexts).toEqual([]);
  });

  it('fails a held key at once when the invocation cannot wait, having handed back first', async () => {
    const { run, store, handBacks, sleeps } = setup(false);
    store.items.set(KEY, heldByOther());
    expect(await run(claimPlan(7))).toEqual({ kind: 'failed', failure: HELD });
    expect(handBacks()).toBe(1);
    expect(sleeps()).toBe(0);
  });

  it('waits for a held key and skips it once its holder completed it, looking before claiming', async () => {
    const { run, store, onSleep, contexts } = setup(true);
    store.returnExisting = true;
    store.items.set(KEY, heldByOther());
    onSleep[1] = () => store.items.set(KEY, completedBy('h7'));
    expect(await run(claimPlan(7))).toEqual({ kind: 'duplicate' });
    expect(contexts).toEqual([]);
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
    const { run, store, clock, contexts } = setup(true);
    store.items.set(KEY, heldByOther({ leaseExpiresAtMs: START_MS + 1_000 }));
    expect(await run(claimPlan(7))).toEqual({ kind: 'done' });
    expect(contexts).toHaveLength(1);
    expect(clock.nowMs()).toBeGreaterThan(START_MS + 1_000);
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
    expect(await waiting.run(claimPlan(7))).toEqual({ kind: 'done' });

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
    const { run, store, claimer, clock } = setup(false, () => {
      expect(store.items.get(KEY)?.leaseExpiresAtMs).toBe(START_MS + 50_000);
    });
    const plan = claimPlan(7);
    const first = claimer.claim(plan);
    await first;
    clock.nowValueMs += 20_000;
    expect(await run(plan, first)).toEqual({ kind: 'done' });
    expect(store.requests.claim).toBe(2);
  });

  it('tries a processor error marked retriable again, and fails any other at once', async () => {
    let throttled = 2;
    const retriable = setup(true, () => {
      if (throttled-- > 0) throw Object.assign(new Error('throttled'), { retriable: true });
    });
    expect(await retriable.run(claimPlan(7))).toEqual({ kind: 'done' });
    expect(retriable.sleeps()).toBe(2);

    const invalid = new Error('not valid');
    const fatal = setup(true, () => Promise.reject(invalid));
    expect(await fatal.run(claimPlan(7))).toEqual({ kind: 'failed', failure: { reason: 'processor failed', error: invalid } });
    expect(fatal.sleeps()).toBe(0);
  });

  it('fails a record whose claim was taken over during its effect', async () => {
    const parts = setup(false, async () => {
      parts.store.items.set(KEY, heldByOther({ leaseExpiresAtMs: START_MS + 90_000 }));
      parts.tick();
      await new Promise((resolve) => setImmediate(resolve));
    });
    expect(await parts.run(claimPlan(7))).toEqual({
      kind: 'failed',
      failure: { reason: 'claim lost: its lease ran out and another invocation took the message over' },
    });
  });
});
