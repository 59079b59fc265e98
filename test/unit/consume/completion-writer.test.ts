import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../lib/errors';
import { createCompletionWriter, type CompletionEntry } from '../../../lib/consume/completion-writer';
import { createPatience } from '../../../lib/consume/patience';
import { IdempotencyStatus } from '../../../lib/idempotency/types';
import { FakeClock, FakeStore } from './fake-store';
import { START_MS, storedRecord } from './plans';

const OWNER = 'me';
const LOST = 'claim lost: its lease ran out and another invocation took the message over';

const LEASE_MS = 30_000;

/** `leases` holds the lease end the owner knows of each key it holds (absent: not held). */
function setup() {
  const store = new FakeStore();
  const clock = new FakeClock();
  const leases = new Map<string, number>();
  const writer = createCompletionWriter({ store, clock, owner: OWNER, ttlSeconds: 86_400, leaseMs: LEASE_MS, leaseExpiresAtMs: (key) => leases.get(key) });
  let sleeps = 0;
  const onSleep: (() => void)[] = [];
  /** Patience until `deadlineMs` (undefined: never waits) whose sleeps move the fake clock. */
  const patience = (deadlineMs?: number) =>
    createPatience(clock, deadlineMs, async (ms) => {
      clock.nowValueMs += ms;
      onSleep[sleeps]?.();
      sleeps += 1;
    });
  return { store, clock, leases, writer, patience, onSleep, sleeps: () => sleeps };
}

/** Entries for records `from..to-1`, each claimed by `OWNER` in `store` at START_MS with a full lease (none known to the owner when `leases` is undefined). */
function claimed(store: FakeStore, from: number, to: number, leases?: Map<string, number>): CompletionEntry[] {
  const entries: CompletionEntry[] = [];
  for (let index = from; index < to; index += 1) {
    const entry = { index, key: `k${index}`, hash: `h${index}` };
    store.items.set(entry.key, storedRecord(IdempotencyStatus.InProgress, { key: entry.key, owner: OWNER, leaseExpiresAtMs: START_MS + LEASE_MS }));
    leases?.set(entry.key, START_MS + LEASE_MS);
    entries.push(entry);
  }
  return entries;
}

describe('createCompletionWriter', () => {
  it('writes claims with at least half their lease left together, without a condition: 25 in one request, the rest at the end', async () => {
    const { store, leases, writer, patience } = setup();
    const entries = claimed(store, 0, 30, leases);
    for (const entry of entries.slice(0, 25)) writer.add(entry);
    expect(store.requests).toMatchObject({ completeMany: 1, complete: 0 });
    for (const entry of entries.slice(25)) writer.add(entry);
    const report = await writer.finish(patience());
    expect(report).toEqual({ written: entries, refusedKeys: new Set(), failures: [] });
    expect(store.requests).toMatchObject({ completeMany: 2, complete: 0 });
    expect(store.items.get('k29')).toEqual({
      key: 'k29',
      status: IdempotencyStatus.Completed,
      owner: OWNER,
      payloadHash: 'h29',
      leaseExpiresAtMs: 0,
      expiresAtEpochSec: 1_800_086_400,
    });
  });

  it('fences the completion of a claim with less than half its lease left, or not held, with a conditional write each', async () => {
    const { store, clock, leases, writer, patience } = setup();
    const entries = claimed(store, 0, 3, leases);
    // k0 was claimed later than the others: exactly half of its lease is left.
    leases.set('k0', START_MS + 15_001 + 15_000);
    leases.delete('k2');
    clock.nowValueMs = START_MS + 15_001;
    for (const entry of entries) writer.add(entry);
    const report = await writer.finish(patience());
    expect(report).toEqual({ written: entries, refusedKeys: new Set(), failures: [] });
    expect(store.requests).toMatchObject({ completeMany: 1, complete: 2 });
    expect([...store.items.values()].map(({ status }) => status)).toEqual([
      IdempotencyStatus.Completed,
      IdempotencyStatus.Completed,
      IdempotencyStatus.Completed,
    ]);
  });

  it('writes the group in hand on flush, and nothing when it is empty', async () => {
    const { store, writer } = setup();
    writer.flush();
    expect(store.requests.complete).toBe(0);
    for (const entry of claimed(store, 0, 2)) writer.add(entry);
    writer.flush();
    writer.flush();
    expect(store.requests.complete).toBe(2);
  });

  it('reports a completion refused (the claim taken over) as a lost claim at the first such record of its group', async () => {
    const { store, writer, patience } = setup();
    const entries = claimed(store, 0, 4);
    for (const index of [1, 3])
      store.items.set(`k${index}`, storedRecord(IdempotencyStatus.InProgress, { key: `k${index}`, leaseExpiresAtMs: START_MS + 60_000 }));
    for (const entry of entries) writer.add(entry);
    const report = await writer.finish(patience());
    expect(report).toEqual({ written: entries, refusedKeys: new Set(['k1', 'k3']), failures: [{ index: 1, failure: { reason: LOST } }] });
    expect(store.items.get('k1')?.owner).toBe('other');
  });

  it('reports a group that failed to write at its first record, and the groups after it as they went', async () => {
    const { store, writer, patience } = setup();
    store.failCompletionCalls.add(1);
    const entries = claimed(store, 0, 30);
    for (const entry of entries) writer.add(entry);
    const report = await writer.finish(patience());
    expect(report).toEqual({
      written: entries.slice(25),
      refusedKeys: new Set(),
      failures: [
        {
          index: 0,
          failure: {
            reason: 'completion failed',
            error: new StoreUnavailableError('the idempotency store is unavailable; retry later', { cause: new Error('store unreachable') }),
          },
        },
      ],
    });
  });

  it('writes a failed group again while the invocation may wait', async () => {
    const { store, writer, patience, onSleep, sleeps } = setup();
    store.failCompletions = true;
    onSleep[1] = () => {
      store.failCompletions = false;
    };
    const entries = claimed(store, 0, 3);
    for (const entry of entries) writer.add(entry);
    const report = await writer.finish(patience(START_MS + 60_000));
    expect(report).toEqual({ written: entries, refusedKeys: new Set(), failures: [] });
    expect(sleeps()).toBe(2);
    // Three attempts of three conditional writes.
    expect(store.requests.complete).toBe(9);
  });

  it('does not write again without time to wait', async () => {
    const { store, writer, patience } = setup();
    store.failCompletions = true;
    for (const entry of claimed(store, 0, 3)) writer.add(entry);
    expect((await writer.finish(patience())).failures).toHaveLength(1);
    expect(store.requests.complete).toBe(3);
  });
});

describe('createCompletionWriter: each group written once', () => {
  it('writes a group sent ahead only once, and sends no request for an empty group or an empty half', async () => {
    const { store, leases, writer, patience } = setup();
    const entries = claimed(store, 0, 25, leases);
    for (const entry of entries) writer.add(entry);
    writer.flush();
    const report = await writer.finish(patience());
    expect(store.requests).toMatchObject({ completeMany: 1, complete: 0 });
    expect(report.refusedKeys).toEqual(new Set());
  });

  it('writes claims that all need the owner condition without a batch write', async () => {
    const { store, writer, patience } = setup();
    for (const entry of claimed(store, 0, 2)) writer.add(entry);
    expect((await writer.finish(patience())).failures).toEqual([]);
    expect(store.requests).toMatchObject({ completeMany: 0, complete: 2 });
  });

  it('retries only the groups whose write failed, never rewriting those written', async () => {
    const { store, leases, writer, patience } = setup();
    const entries = claimed(store, 0, 30, leases);
    // The first write (the full group of 25) succeeds, the second (the last 5) fails once.
    store.failCompletionCalls.add(2);
    for (const entry of entries) writer.add(entry);
    const report = await writer.finish(patience(START_MS + 60_000));
    expect(report.failures).toEqual([]);
    expect(store.requests).toMatchObject({ completeMany: 3 });
  });

  it('leaves no unhandled rejection when a write sent ahead fails before the end', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const { store, leases, writer, patience } = setup();
      store.failCompletions = true;
      for (const entry of claimed(store, 0, 25, leases)) writer.add(entry);
      // The partition pauses: the failed write stays unobserved for a while.
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(rejections).toEqual([]);
      expect((await writer.finish(patience())).failures).toMatchObject([{ index: 0, failure: { reason: 'completion failed' } }]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
