import { describe, expect, it } from 'vitest';
import { createClaimer } from '../../../lib/consume/claimer';
import { createLeaseKeeper } from '../../../lib/consume/lease-keeper';
import { IdempotencyStatus } from '../../../lib/idempotency/types';
import { FakeClock, FakeStore } from './fake-store';
import { manualEvery } from './manual-every';
import { START_MS, storedRecord } from './plans';

const target = { key: 'k1', hash: 'h1' };
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const store = new FakeStore();
  const clock = new FakeClock();
  const manual = manualEvery();
  const claimer = createClaimer({ store, clock, owner: 'me', leaseMs: 30_000, ttlSeconds: 86_400 });
  const lease = createLeaseKeeper({ claimer, clock, leaseMs: 30_000, every: manual.every });
  return { store, clock, claimer, lease, ...manual };
}

describe('renewalDueBeforeEffect', () => {
  it.each([
    { name: 'just claimed', elapsedMs: 0, expected: false },
    { name: 'exactly half the lease left', elapsedMs: 15_000, expected: false },
    { name: 'less than half left', elapsedMs: 15_001, expected: true },
    { name: 'lease run out', elapsedMs: 31_000, expected: true },
  ])('$name: $expected', async ({ elapsedMs, expected }) => {
    const { clock, claimer, lease } = setup();
    await claimer.claim(target);
    clock.nowValueMs += elapsedMs;
    expect(lease.renewalDueBeforeEffect('k1')).toBe(expected);
  });

  it('is due for a key not held', () => {
    expect(setup().lease.renewalDueBeforeEffect('k1')).toBe(true);
  });
});

describe('runEffect', () => {
  it('renews the claim at each tick while the effect runs, and stops when it ends', async () => {
    const { store, clock, claimer, lease, tick, active } = setup();
    await claimer.claim(target);
    const leases: number[] = [];
    const result = await lease.runEffect([target], async () => {
      for (let i = 0; i < 2; i += 1) {
        clock.nowValueMs += 10_000;
        tick();
        await nextTurn();
        leases.push(store.items.get('k1')?.leaseExpiresAtMs ?? 0);
      }
    });
    expect(result).toEqual({ failed: false, lost: new Set() });
    expect(leases).toEqual([START_MS + 40_000, START_MS + 50_000]);
    expect(store.requests.claim).toBe(3);
    expect(active()).toBe(0);
  });

  it('renews every third of the lease while the effect runs', async () => {
    const { claimer, lease, intervalsMs } = setup();
    await claimer.claim(target);
    await lease.runEffect([target], async () => {});
    expect(intervalsMs()).toEqual([10_000]);
  });

  it('issues no second renewal while one is in flight', async () => {
    const { store, claimer, lease, tick } = setup();
    await claimer.claim(target);
    await lease.runEffect([target], async () => {
      tick();
      tick();
    });
    expect(store.requests.claim).toBe(2);
  });

  it('reports the claim lost when a renewal finds the key taken over', async () => {
    const { store, claimer, lease, tick } = setup();
    await claimer.claim(target);
    const result = await lease.runEffect([target], async () => {
      store.items.set('k1', storedRecord(IdempotencyStatus.InProgress, { key: 'k1', leaseExpiresAtMs: START_MS + 60_000 }));
      tick();
      await nextTurn();
      // No further renewal once lost.
      tick();
    });
    expect(result).toEqual({ failed: false, lost: new Set(['k1']) });
    expect(store.requests.claim).toBe(2);
  });

  it('keeps the claim when a renewal cannot reach the store, trying again at the next tick', async () => {
    const { store, claimer, lease, tick } = setup();
    await claimer.claim(target);
    const result = await lease.runEffect([target], async () => {
      store.failClaims.add('k1');
      tick();
      await nextTurn();
      store.failClaims.clear();
      tick();
      await nextTurn();
    });
    expect(result).toEqual({ failed: false, lost: new Set() });
    expect(store.requests.claim).toBe(3);
  });

  it("resolves with the effect's error, having stopped renewing", async () => {
    const { claimer, lease, active } = setup();
    await claimer.claim(target);
    const boom = new Error('boom');
    expect(await lease.runEffect([target], async () => Promise.reject(boom))).toEqual({ failed: true, error: boom, lost: new Set() });
    expect(active()).toBe(0);
  });

  it('renews every claim of a run at each tick, and names only the keys taken over', async () => {
    const { store, claimer, lease, tick } = setup();
    const second = { key: 'k2', hash: 'h2' };
    await claimer.claim(target);
    await claimer.claim(second);
    const result = await lease.runEffect([target, second], async () => {
      store.items.set('k2', storedRecord(IdempotencyStatus.InProgress, { key: 'k2', leaseExpiresAtMs: START_MS + 60_000 }));
      tick();
      await nextTurn();
      // Only k1 is renewed once k2 is lost.
      tick();
      await nextTurn();
    });
    expect(result).toEqual({ failed: false, lost: new Set(['k2']) });
    expect(store.requests.claim).toBe(5);
    expect(store.items.get('k1')?.owner).toBe('me');
  });
});
