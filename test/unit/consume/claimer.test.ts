import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../lib/errors';
import { createClaimer } from '../../../lib/consume/claimer';
import { IdempotencyStatus } from '../../../lib/idempotency/types';
import { FakeClock, FakeStore } from './fake-store';
import { START_MS, storedRecord } from './plans';

function setup() {
  const store = new FakeStore();
  const clock = new FakeClock();
  const claimer = createClaimer({ store, clock, owner: 'inv-1/orders-0', leaseMs: 30_000, ttlSeconds: 86_400 });
  return { store, clock, claimer };
}

/** Wraps the fake store's two claims to log which one each request took. */
function logClaims(store: FakeStore): string[] {
  const calls: string[] = [];
  const claim = store.claim.bind(store);
  const claimAbsent = store.claimAbsent.bind(store);
  store.claim = (request, nowMs) => {
    calls.push(`claim ${request.key}`);
    return claim(request, nowMs);
  };
  store.claimAbsent = (request) => {
    calls.push(`claimAbsent ${request.key}`);
    return claimAbsent(request);
  };
  return calls;
}

describe('createClaimer', () => {
  it('claims a key read as absent with the absent-only condition, and renews it with the full claim', async () => {
    const { store, claimer } = setup();
    const calls = logClaims(store);
    expect(await claimer.claim({ key: 'k1', hash: 'h1', absent: true })).toEqual({ outcome: { claimed: true } });
    expect(await claimer.claim({ key: 'k1', hash: 'h1', absent: true })).toMatchObject({ outcome: { claimed: true } });
    expect(calls).toEqual(['claimAbsent k1', 'claim k1']);
  });

  it('takes the full claim at once, in the same call, for a key read as absent whose absent-only claim was refused', async () => {
    const { store, claimer } = setup();
    const calls = logClaims(store);
    // Created after the read, and abandoned since: only the full claim takes it over.
    store.items.set('k1', storedRecord(IdempotencyStatus.InProgress, { key: 'k1', leaseExpiresAtMs: 0, payloadHash: 'h1' }));
    expect(await claimer.claim({ key: 'k1', hash: 'h1', absent: true })).toMatchObject({ outcome: { claimed: true } });
    expect(calls).toEqual(['claimAbsent k1', 'claim k1']);
    expect(claimer.earlierAttempt('k1')).toBe(true);
    // From then on the key takes the full claim directly.
    await claimer.claim({ key: 'k1', hash: 'h1', absent: true });
    expect(calls).toEqual(['claimAbsent k1', 'claim k1', 'claim k1']);
  });

  it('claims at once an item past its TTL that the read left out as absent', async () => {
    const { store, claimer } = setup();
    // Expired a second ago (1_800_000_000 s is START_MS), not yet deleted by the TTL sweep.
    store.items.set('k1', storedRecord(IdempotencyStatus.Completed, { key: 'k1', expiresAtEpochSec: 1_799_999_999, payloadHash: 'h0' }));
    expect(await claimer.claim({ key: 'k1', hash: 'h1', absent: true })).toMatchObject({ outcome: { claimed: true } });
    expect(store.items.get('k1')).toMatchObject({ status: IdempotencyStatus.InProgress, owner: 'inv-1/orders-0', payloadHash: 'h1' });
  });

  it('sends no full claim when the refused absent-only claim returned an item that is not free (DynamoDB returns it)', async () => {
    const { store, claimer } = setup();
    store.returnExisting = true;
    const calls = logClaims(store);
    store.items.set('k1', storedRecord(IdempotencyStatus.Completed, { key: 'k1', payloadHash: 'h1' }));
    expect(await claimer.claim({ key: 'k1', hash: 'h1', absent: true })).toEqual({
      outcome: { claimed: false, existing: storedRecord(IdempotencyStatus.Completed, { key: 'k1', payloadHash: 'h1' }) },
    });
    expect(calls).toEqual(['claimAbsent k1']);
  });

  it('counts an earlier attempt when a claim returns its own item for a key it did not hold (the retry of a write whose answer was lost)', async () => {
    const { store, claimer } = setup();
    // The first write took over an abandoned claim and committed; its answer was lost.
    store.items.set('k1', storedRecord(IdempotencyStatus.InProgress, { key: 'k1', owner: 'inv-1/orders-0', payloadHash: 'h1' }));
    expect(await claimer.claim({ key: 'k1', hash: 'h1' })).toMatchObject({ outcome: { claimed: true, previous: { owner: 'inv-1/orders-0' } } });
    expect(claimer.earlierAttempt('k1')).toBe(true);
  });

  it('counts no earlier attempt when it renews a claim it holds', async () => {
    const { claimer } = setup();
    await claimer.claim({ key: 'k1', hash: 'h1' });
    await claimer.claim({ key: 'k1', hash: 'h1' });
    expect(claimer.earlierAttempt('k1')).toBe(false);
  });

  it('abandons, never deletes, a key whose claim request failed: the write may have been committed', async () => {
    const { store, claimer } = setup();
    const claim = store.claim.bind(store);
    // The write commits, and its answer is lost.
    store.claim = async (request, nowMs) => {
      await claim(request, nowMs);
      throw new StoreUnavailableError('the idempotency store is unavailable; retry later');
    };
    expect(await claimer.claim({ key: 'k1', hash: 'h1' })).toMatchObject({ error: expect.any(StoreUnavailableError) });
    await claimer.release(['k1']);
    expect(store.requests).toMatchObject({ release: 0, abandon: 1 });
    expect(store.items.get('k1')).toMatchObject({ status: IdempotencyStatus.InProgress, owner: 'inv-1/orders-0', leaseExpiresAtMs: 0 });
    expect(claimer.heldKeys()).toEqual([]);
  });

  it('claims a key for its owner with a lease and a TTL, and holds it until then', async () => {
    const { store, claimer } = setup();
    expect(await claimer.claim({ key: 'k1', hash: 'h1' })).toEqual({ outcome: { claimed: true } });
    expect(store.items.get('k1')).toEqual({
      key: 'k1',
      status: IdempotencyStatus.InProgress,
      owner: 'inv-1/orders-0',
      payloadHash: 'h1',
      leaseExpiresAtMs: START_MS + 30_000,
      // 1_800_000_000 s + one day.
      expiresAtEpochSec: 1_800_086_400,
    });
    expect(claimer.leaseExpiresAtMs('k1')).toBe(START_MS + 30_000);
    expect(claimer.heldKeys()).toEqual(['k1']);
  });

  it('renews the lease of a key it holds', async () => {
    const { clock, claimer } = setup();
    await claimer.claim({ key: 'k1', hash: 'h1' });
    clock.nowValueMs += 20_000;
    await claimer.claim({ key: 'k1', hash: 'h1' });
    expect(claimer.leaseExpiresAtMs('k1')).toBe(START_MS + 50_000);
  });

  it('holds nothing for a key another owner holds, and stops holding a key taken over', async () => {
    const { store, claimer } = setup();
    store.returnExisting = true;
    store.items.set('k2', storedRecord(IdempotencyStatus.InProgress, { key: 'k2' }));
    expect(await claimer.claim({ key: 'k2', hash: 'h2' })).toEqual({
      outcome: { claimed: false, existing: storedRecord(IdempotencyStatus.InProgress, { key: 'k2' }) },
    });
    await claimer.claim({ key: 'k1', hash: 'h1' });
    store.items.set('k1', storedRecord(IdempotencyStatus.InProgress, { key: 'k1' }));
    await claimer.claim({ key: 'k1', hash: 'h1' });
    expect(claimer.heldKeys()).toEqual([]);
    expect(claimer.leaseExpiresAtMs('k1')).toBeUndefined();
  });

  it('answers a request that failed with its error instead of rejecting', async () => {
    const { store, claimer } = setup();
    store.failClaims.add('k1');
    expect(await claimer.claim({ key: 'k1', hash: 'h1' })).toEqual({
      error: new StoreUnavailableError('the idempotency store is unavailable; retry later', { cause: new Error('store unreachable') }),
    });
    // The request may have been written all the same: the key counts as possibly held.
    expect(claimer.heldKeys()).toEqual(['k1']);
    expect(claimer.leaseExpiresAtMs('k1')).toBeUndefined();
  });

  it('releases only the keys it holds, and nothing at all when it holds none of them', async () => {
    const { store, claimer } = setup();
    await claimer.claim({ key: 'k1', hash: 'h1' });
    await claimer.claim({ key: 'k2', hash: 'h2' });
    await claimer.release(['k1', 'k3']);
    expect(store.requests.release).toBe(1);
    expect([...store.items.keys()]).toEqual(['k2']);
    expect(claimer.heldKeys()).toEqual(['k2']);
    await claimer.release(['k1', 'k3']);
    expect(store.requests.release).toBe(1);
  });

  it('keeps holding the keys when the release fails', async () => {
    const { store, claimer } = setup();
    await claimer.claim({ key: 'k1', hash: 'h1' });
    store.releaseMany = async () => {
      throw new Error('store unreachable');
    };
    await expect(claimer.release(['k1'])).rejects.toThrow('store unreachable');
    expect(claimer.heldKeys()).toEqual(['k1']);
  });
});

describe('createClaimer: what it remembers of a key', () => {
  it('never again claims a key as absent once an absent-only claim of it was refused', async () => {
    const { store, claimer } = setup();
    store.returnExisting = true;
    store.items.set('k1', storedRecord(IdempotencyStatus.InProgress, { key: 'k1', payloadHash: 'h1', leaseExpiresAtMs: START_MS + 60_000 }));
    const calls = logClaims(store);
    expect(await claimer.claim({ key: 'k1', hash: 'h1', absent: true })).toMatchObject({ outcome: { claimed: false } });
    expect(await claimer.claim({ key: 'k1', hash: 'h1', absent: true })).toMatchObject({ outcome: { claimed: false } });
    expect(calls).toEqual(['claimAbsent k1', 'claim k1']);
  });

  it('forgets that a failed claim may have been written once a later answer says the key is not ours', async () => {
    const { store, claimer } = setup();
    store.items.set('k1', storedRecord(IdempotencyStatus.InProgress, { key: 'k1', payloadHash: 'h1', leaseExpiresAtMs: START_MS + 60_000 }));
    store.failClaims.add('k1');
    expect(await claimer.claim({ key: 'k1', hash: 'h1' })).toMatchObject({ error: expect.any(StoreUnavailableError) });
    expect(claimer.heldKeys()).toEqual(['k1']);
    store.failClaims.clear();
    expect(await claimer.claim({ key: 'k1', hash: 'h1' })).toEqual({ outcome: { claimed: false } });
    expect(claimer.heldKeys()).toEqual([]);
    await claimer.release(['k1']);
    expect(store.requests).toMatchObject({ release: 0, abandon: 0 });
  });
});
