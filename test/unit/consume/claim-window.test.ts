import { describe, expect, it } from 'vitest';
import { createClaimWindow } from '../../../lib/consume/claim-window';
import { createClaimer } from '../../../lib/consume/claimer';
import type { RecordPlan } from '../../../lib/consume/record-plan';
import { IdempotencyStatus } from '../../../lib/idempotency/types';
import { FakeClock, FakeStore } from './fake-store';
import { claimPlan, START_MS, storedRecord } from './plans';

function setup(plans: RecordPlan[], claimsAhead: number, end = plans.length) {
  const store = new FakeStore();
  const clock = new FakeClock();
  const claimer = createClaimer({ store, clock, owner: 'me', leaseMs: 30_000, ttlSeconds: 86_400 });
  const window = createClaimWindow(plans, end, claimsAhead, claimer);
  const claimedKeys = () => [...store.items.keys()];
  return { store, clock, claimer, window, claimedKeys };
}

const key = (offset: number) => `consume:test:orders-0-${offset}`;
const held = storedRecord(IdempotencyStatus.InProgress, { leaseExpiresAtMs: START_MS + 10_000 });

describe('createClaimWindow', () => {
  it('issues claims up to claimsAhead beyond the record in hand, once each', async () => {
    const { window, claimedKeys, store } = setup(
      [0, 1, 2, 3, 4, 5].map((offset) => claimPlan(offset)),
      2,
    );
    expect(await window.claimAt(0, 0, START_MS)).toEqual({ outcome: { claimed: true } });
    expect(claimedKeys()).toEqual([key(0), key(1), key(2)]);
    expect(await window.claimAt(1, 1, START_MS)).toEqual({ outcome: { claimed: true } });
    expect(claimedKeys()).toEqual([key(0), key(1), key(2), key(3)]);
    expect(store.requests.claim).toBe(4);
  });

  it('claims nothing for duplicates nor at or past the known stop', async () => {
    const plans: RecordPlan[] = [claimPlan(0), { kind: 'duplicate' }, claimPlan(2), { kind: 'invalid', failure: { reason: 'malformed record' } }, claimPlan(4)];
    const { window, claimedKeys } = setup(plans, 10, 3);
    await window.claimAt(0, 0, START_MS);
    await window.settled();
    expect(claimedKeys()).toEqual([key(0), key(2)]);
  });

  it('issues nothing past a key another owner holds until it is reached', async () => {
    const { window, claimedKeys, store } = setup([claimPlan(0), claimPlan(1, { held }), claimPlan(2)], 5);
    await window.claimAt(0, 0, START_MS);
    expect(claimedKeys()).toEqual([key(0)]);
    // Reached while its lease is live: answered with the holder, no request, nothing issued ahead.
    expect(await window.claimAt(1, 1, START_MS)).toEqual({ outcome: { claimed: false, existing: held } });
    expect(store.requests.claim).toBe(1);
    // Reached once the lease ran out: claimed, and the window moves on past it.
    expect(await window.claimAt(1, 1, START_MS + 10_001)).toEqual({ outcome: { claimed: true } });
    await window.settled();
    expect(claimedKeys().sort()).toEqual([key(0), key(1), key(2)]);
  });

  it('hands back the claims issued after the first `keep` and issues them again when reached', async () => {
    const { window, claimedKeys, store, claimer } = setup(
      [0, 1, 2, 3].map((offset) => claimPlan(offset)),
      3,
    );
    await window.claimAt(0, 0, START_MS);
    await window.claimAt(1, 1, START_MS);
    await window.handBack(2);
    expect(claimedKeys()).toEqual([key(0), key(1)]);
    expect(claimer.heldKeys()).toEqual([key(0), key(1)]);
    expect(store.requests.release).toBe(2);
    await window.claimAt(2, 2, START_MS);
    await window.settled();
    expect(claimedKeys()).toEqual([key(0), key(1), key(2), key(3)]);
    expect(store.requests.claim).toBe(6);
  });

  it('keeps the claims it could not hand back, and does not throw', async () => {
    const { window, claimer, store } = setup(
      [0, 1].map((offset) => claimPlan(offset)),
      1,
    );
    await window.claimAt(0, 0, START_MS);
    store.releaseMany = async () => {
      throw new Error('store unreachable');
    };
    await window.handBack(1);
    expect(claimer.heldKeys()).toEqual([key(0), key(1)]);
  });
});

describe('createClaimWindow: claims still in flight', () => {
  /** Holds every claim's answer until `open()`. */
  function gated(store: FakeStore) {
    const waiting: (() => void)[] = [];
    const claim = store.claim.bind(store);
    const claimAbsent = store.claimAbsent.bind(store);
    const gate = () => new Promise<void>((resolve) => waiting.push(resolve));
    store.claim = async (...args) => {
      await gate();
      return claim(...args);
    };
    store.claimAbsent = async (...args) => {
      await gate();
      return claimAbsent(...args);
    };
    return {
      open: () => {
        for (const resolve of waiting.splice(0)) resolve();
      },
    };
  }

  it('waits for the claims in flight before handing them back, so none stays written', async () => {
    const { window, store, claimer, claimedKeys } = setup(
      [0, 1, 2].map((offset) => claimPlan(offset)),
      2,
    );
    const { open } = gated(store);
    const first = window.claimAt(0, 0, START_MS);
    const handingBack = window.handBack(1);
    open();
    await Promise.all([first, handingBack]);
    expect(claimedKeys()).toEqual([key(0)]);
    expect(claimer.heldKeys()).toEqual([key(0)]);
  });

  it('claims a handed-back record again when reached, rather than reusing its released claim', async () => {
    const { window, store, claimedKeys } = setup(
      [0, 1].map((offset) => claimPlan(offset)),
      1,
    );
    await window.claimAt(0, 0, START_MS);
    await window.settled();
    await window.handBack(1);
    expect(claimedKeys()).toEqual([key(0)]);
    expect(await window.claimAt(1, 1, START_MS)).toEqual({ outcome: { claimed: true } });
    expect(claimedKeys()).toEqual([key(0), key(1)]);
    expect(store.requests.claim).toBe(3);
  });

  it('settles only once every claim issued has been answered', async () => {
    const { window, store } = setup(
      [0, 1].map((offset) => claimPlan(offset)),
      1,
    );
    const { open } = gated(store);
    void window.claimAt(0, 0, START_MS);
    let settled = false;
    const settling = window.settled().then(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    open();
    await settling;
    expect(store.items.size).toBe(2);
  });

  it('issues no claim for the record at the stop itself', async () => {
    const { window, store } = setup(
      [0, 1, 2].map((offset) => claimPlan(offset)),
      5,
      2,
    );
    await window.claimAt(0, 0, START_MS);
    await window.settled();
    expect(store.requests.claim).toBe(2);
  });
});
