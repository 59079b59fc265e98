import { describe, expect, it } from 'vitest';
import { RunStoppedError, StoreUnavailableError } from '../../../lib/errors';
import { createClaimer } from '../../../lib/consume/claimer';
import { createLeaseKeeper } from '../../../lib/consume/lease-keeper';
import { createPatience } from '../../../lib/consume/patience';
import type { ProcessContext, RecordProcessor, RunItem } from '../../../lib/consume/processor';
import { applyRun, type RunMember } from '../../../lib/consume/run-step';
import { IdempotencyStatus } from '../../../lib/idempotency/types';
import { FakeClock, FakeStore } from './fake-store';
import { manualEvery } from './manual-every';
import { claimPlan, START_MS, storedRecord } from './plans';

const OWNER = 'inv-1/orders-0';
const LOST = 'claim lost: its lease ran out and another invocation took the message over';
const key = (offset: number) => `consume:test:orders-0-${offset}`;

/** A run step over the fake store; `canWait` gives the invocation 60 s; the records at `offsets` are claimed by OWNER. */
async function setup(processor: RecordProcessor, options: { canWait?: boolean; offsets?: number[]; deadlineMs?: number } = {}) {
  const store = new FakeStore();
  const clock = new FakeClock();
  const manual = manualEvery();
  const claimer = createClaimer({ store, clock, owner: OWNER, leaseMs: 30_000, ttlSeconds: 86_400 });
  const sleptMs: number[] = [];
  const patience = createPatience(clock, options.canWait ? START_MS + 60_000 : undefined, async (ms) => {
    clock.nowValueMs += ms;
    sleptMs.push(ms);
  });
  const lease = createLeaseKeeper({ claimer, clock, leaseMs: 30_000, every: manual.every });
  const applied: number[] = [];
  let handBacks = 0;
  const deps = {
    processor,
    clock,
    claimer,
    lease,
    patience,
    invocationId: 'inv-1',
    ...(options.deadlineMs === undefined ? {} : { waitDeadlineMs: options.deadlineMs }),
    onApplied: (members: readonly RunMember[]) => applied.push(...members.map(({ index }) => index)),
  };
  const members: RunMember[] = [];
  for (const [index, offset] of (options.offsets ?? [10, 11, 12]).entries()) {
    const plan = claimPlan(offset);
    await claimer.claim(plan);
    members.push({ index, plan });
  }
  const run = () =>
    applyRun(members, deps, async () => {
      handBacks += 1;
    });
  return { store, clock, claimer, run, applied, tick: manual.tick, sleeps: () => sleptMs.length, sleptMs: () => sleptMs, handBacks: () => handBacks };
}

/** A processor applying runs together, recording each call's message ids and contexts. */
function batchProcessor(onRun: (items: readonly RunItem[], call: number) => void = () => {}) {
  const calls: ProcessContext[][] = [];
  const processor: RecordProcessor = {
    process: () => Promise.reject(new Error('process must not be called when processRun exists')),
    async processRun(items) {
      calls.push(items.map(({ context }) => context));
      onRun(items, calls.length);
    },
  };
  return { processor, calls };
}

describe('applyRun', () => {
  it("applies the whole run with one processRun call, each record's context telling no earlier attempt", async () => {
    const { processor, calls } = batchProcessor();
    const { run, applied } = await setup(processor);
    expect(await run()).toBeUndefined();
    expect(calls).toStrictEqual([
      [
        { messageId: 'orders-0-10', invocationId: 'inv-1', earlierAttempt: false },
        { messageId: 'orders-0-11', invocationId: 'inv-1', earlierAttempt: false },
        { messageId: 'orders-0-12', invocationId: 'inv-1', earlierAttempt: false },
      ],
    ]);
    expect(applied).toEqual([0, 1, 2]);
  });

  it('calls a record-at-a-time processor in order, stopping at the record that throws', async () => {
    const seen: string[] = [];
    const invalid = new Error('not valid');
    const processor: RecordProcessor = {
      async process(_record, context) {
        seen.push(context.messageId);
        if (context.messageId === 'orders-0-11') throw invalid;
      },
    };
    const { run, applied } = await setup(processor);
    expect(await run()).toEqual({ index: 1, failure: { reason: 'processor failed', error: invalid } });
    expect(seen).toEqual(['orders-0-10', 'orders-0-11']);
    expect(applied).toEqual([0]);
  });

  it.each([
    {
      name: 'a RunStoppedError after 2 records: those 2 applied, stop at the third',
      error: new RunStoppedError(2, new Error('bad value')),
      applied: [0, 1],
      stopIndex: 2,
    },
    { name: 'any other error: none applied, stop at the first', error: new Error('bad value'), applied: [], stopIndex: 0 },
    {
      name: 'a RunStoppedError claiming the whole run: the last is not trusted',
      error: new RunStoppedError(3, new Error('bad value')),
      applied: [0, 1],
      stopIndex: 2,
    },
  ])('reads $name', async ({ error, applied: expected, stopIndex }) => {
    const { processor } = batchProcessor(() => {
      throw error;
    });
    const { run, applied } = await setup(processor);
    expect(await run()).toEqual({ index: stopIndex, failure: { reason: 'processor failed', error: new Error('bad value') } });
    expect(applied).toEqual(expected);
  });

  it('tries the records not applied again after a retriable failure, telling them an attempt was made', async () => {
    const unavailable = new StoreUnavailableError('messages table: write failed');
    const { processor, calls } = batchProcessor((_items, call) => {
      if (call === 1) throw new RunStoppedError(1, unavailable);
    });
    const { run, applied, sleeps, handBacks } = await setup(processor, { canWait: true });
    expect(await run()).toBeUndefined();
    expect(calls.map((contexts) => contexts.map(({ messageId, earlierAttempt }) => [messageId, earlierAttempt]))).toEqual([
      [
        ['orders-0-10', false],
        ['orders-0-11', false],
        ['orders-0-12', false],
      ],
      [
        ['orders-0-11', true],
        ['orders-0-12', true],
      ],
    ]);
    expect(applied).toEqual([0, 1, 2]);
    expect([sleeps(), handBacks()]).toEqual([1, 1]);
  });

  it('stops at a retriable failure when the invocation cannot wait', async () => {
    const unavailable = new StoreUnavailableError('messages table: write failed');
    const { processor } = batchProcessor(() => {
      throw unavailable;
    });
    const { run, sleeps } = await setup(processor);
    expect(await run()).toEqual({ index: 0, failure: { reason: 'processor failed', error: unavailable } });
    expect(sleeps()).toBe(0);
  });

  it('stops at the first record whose claim a renewal found taken over, the records before it applied', async () => {
    let takeOver = () => {};
    const { processor } = batchProcessor(() => takeOver());
    const parts = await setup(processor);
    takeOver = () => {
      parts.store.items.set(key(11), storedRecord(IdempotencyStatus.InProgress, { key: key(11), leaseExpiresAtMs: START_MS + 90_000 }));
      parts.tick();
    };
    expect(await parts.run()).toEqual({ index: 1, failure: { reason: LOST } });
    expect(parts.applied).toEqual([0]);
  });

  it('starts no effect past the deadline', async () => {
    const { processor, calls } = batchProcessor();
    const { run, applied } = await setup(processor, { deadlineMs: START_MS });
    expect(await run()).toEqual({ index: 0, failure: { reason: 'invocation deadline reached' } });
    expect(calls).toEqual([]);
    expect(applied).toEqual([]);
  });

  it('tells the effect of a record taken over from another owner that an earlier attempt may have applied it', async () => {
    const { processor, calls } = batchProcessor();
    const store = new FakeStore();
    store.items.set(key(10), storedRecord(IdempotencyStatus.InProgress, { key: key(10), leaseExpiresAtMs: 0 }));
    const clock = new FakeClock();
    const claimer = createClaimer({ store, clock, owner: OWNER, leaseMs: 30_000, ttlSeconds: 86_400 });
    const plans = [claimPlan(10), claimPlan(11)];
    for (const plan of plans) await claimer.claim(plan);
    const deps = {
      processor,
      clock,
      claimer,
      lease: createLeaseKeeper({ claimer, clock, leaseMs: 30_000, every: manualEvery().every }),
      patience: createPatience(clock, undefined, async () => {}),
      invocationId: 'inv-1',
      onApplied: () => {},
    };
    expect(
      await applyRun(
        plans.map((plan, index) => ({ index, plan })),
        deps,
        async () => {},
      ),
    ).toBeUndefined();
    expect(calls[0]?.map(({ earlierAttempt }) => earlierAttempt)).toEqual([true, false]);
  });
});

/** Makes the store hold key(offset) for another invocation, as a takeover after the lease ran out would. */
const takenOver = (parts: { store: FakeStore }, offset: number) =>
  parts.store.items.set(key(offset), storedRecord(IdempotencyStatus.InProgress, { key: key(offset), leaseExpiresAtMs: START_MS + 90_000 }));

describe('applyRun: a failure and a lost claim in the same run', () => {
  it('stops at the failed record, not at a later record whose claim was lost: the records between never ran', async () => {
    const invalid = new Error('bad value');
    let during = () => {};
    const { processor } = batchProcessor(() => {
      during();
      throw new RunStoppedError(1, invalid);
    });
    const parts = await setup(processor, { offsets: [10, 11, 12, 13] });
    during = () => {
      takenOver(parts, 13);
      parts.tick();
    };
    expect(await parts.run()).toEqual({ index: 1, failure: { reason: 'processor failed', error: invalid } });
    expect(parts.applied).toEqual([0]);
  });

  it("reports the processor's failure when the record that failed is the one whose claim was lost", async () => {
    const invalid = new Error('bad value');
    let during = () => {};
    const { processor } = batchProcessor(() => {
      during();
      throw new RunStoppedError(1, invalid);
    });
    const parts = await setup(processor);
    during = () => {
      takenOver(parts, 11);
      parts.tick();
    };
    expect(await parts.run()).toEqual({ index: 1, failure: { reason: 'processor failed', error: invalid } });
    expect(parts.applied).toEqual([0]);
  });

  it('stops before a record whose claim, renewed before its effect, was found taken over', async () => {
    const seen: string[] = [];
    const processor: RecordProcessor = {
      async process(_record, context) {
        seen.push(context.messageId);
        // The first effect is slow: less than half the lease is left for the next record.
        parts.clock.nowValueMs += 20_000;
      },
    };
    const parts = await setup(processor);
    takenOver(parts, 11);
    expect(await parts.run()).toEqual({ index: 1, failure: { reason: LOST } });
    expect(seen).toEqual(['orders-0-10']);
    expect(parts.applied).toEqual([0]);
  });

  it('stops before a record whose renewal before its effect could not reach the store', async () => {
    const processor: RecordProcessor = {
      async process() {
        parts.clock.nowValueMs += 20_000;
        parts.store.failClaims.add(key(11));
      },
    };
    const parts = await setup(processor);
    const stop = await parts.run();
    expect(stop).toMatchObject({ index: 1, failure: { reason: 'claim failed' } });
    expect(parts.applied).toEqual([0]);
  });

  it('makes the next pause short again after an attempt that succeeded', async () => {
    const unavailable = new StoreUnavailableError('messages table: write failed');
    const { processor } = batchProcessor((_items, call) => {
      if (call !== 3 && call !== 5) throw unavailable;
    });
    const parts = await setup(processor, { canWait: true });
    expect(await parts.run()).toBeUndefined();
    expect(await parts.run()).toBeUndefined();
    expect(parts.sleptMs()).toEqual([100, 200, 100]);
  });

  it('stops a one-at-a-time run at the record whose turn comes past the deadline', async () => {
    const seen: string[] = [];
    const processor: RecordProcessor = {
      async process(_record, context) {
        seen.push(context.messageId);
        parts.clock.nowValueMs = START_MS + 1_000;
      },
    };
    const parts = await setup(processor, { deadlineMs: START_MS + 1_000 });
    expect(await parts.run()).toEqual({ index: 1, failure: { reason: 'invocation deadline reached' } });
    expect(seen).toEqual(['orders-0-10']);
    expect(parts.applied).toEqual([0]);
  });

  it.each([
    { name: 'the first record left', lostOffset: 11, expectedCalls: 1, applied: [0] },
    { name: 'a later record', lostOffset: 12, expectedCalls: 2, applied: [0, 1] },
  ])(
    'retries after a pause only the records before $name, whose renewal found it taken over',
    async ({ lostOffset, expectedCalls, applied: expectedApplied }) => {
      const unavailable = new StoreUnavailableError('messages table: write failed');
      const { processor, calls } = batchProcessor((_items, call) => {
        if (call === 1) {
          // A slow first attempt: the claims left need renewing after the pause.
          parts.clock.nowValueMs += 20_000;
          takenOver(parts, lostOffset);
          throw new RunStoppedError(1, unavailable);
        }
      });
      const parts = await setup(processor, { canWait: true });
      expect(await parts.run()).toEqual({ index: lostOffset - 10, failure: { reason: LOST } });
      expect(calls).toHaveLength(expectedCalls);
      expect(calls.every((contexts) => contexts.length > 0)).toBe(true);
      expect(parts.applied).toEqual(expectedApplied);
    },
  );
});

describe('applyRun: the deadline after renewals', () => {
  /** Makes every claim request from now on take `ms` by the fake clock. */
  function slowClaims(parts: { store: FakeStore; clock: FakeClock }, ms: number) {
    const claim = parts.store.claim.bind(parts.store);
    parts.store.claim = async (...args) => {
      parts.clock.nowValueMs += ms;
      return claim(...args);
    };
  }

  it('starts no run whose renewals ended past the deadline', async () => {
    const { processor, calls } = batchProcessor();
    const parts = await setup(processor, { deadlineMs: START_MS + 25_000 });
    // Less than half the lease is left, so the claims are renewed first; that takes 10 s.
    parts.clock.nowValueMs = START_MS + 16_000;
    slowClaims(parts, 10_000);
    expect(await parts.run()).toEqual({ index: 0, failure: { reason: 'invocation deadline reached' } });
    expect(calls).toEqual([]);
    expect(parts.applied).toEqual([]);
  });

  it('starts no record of a one-at-a-time run whose renewal ended past the deadline', async () => {
    const seen: string[] = [];
    const processor: RecordProcessor = {
      async process(_record, context) {
        seen.push(context.messageId);
        // A slow effect: the next record's claim needs renewing, which takes 5 s.
        parts.clock.nowValueMs = START_MS + 16_000;
        slowClaims(parts, 5_000);
      },
    };
    const parts = await setup(processor, { deadlineMs: START_MS + 20_000 });
    expect(await parts.run()).toEqual({ index: 1, failure: { reason: 'invocation deadline reached' } });
    expect(seen).toEqual(['orders-0-10']);
    expect(parts.applied).toEqual([0]);
  });

  it('keeps the stop of a record whose renewal failed before the first attempt through a retry of the records before it', async () => {
    const unavailable = new StoreUnavailableError('messages table: write failed');
    const { processor, calls } = batchProcessor((_items, call) => {
      if (call === 1) throw new RunStoppedError(1, unavailable);
    });
    const parts = await setup(processor, { canWait: true });
    // Less than half the lease is left, so the run's claims are renewed first; 12's was taken over.
    parts.clock.nowValueMs = START_MS + 16_000;
    takenOver(parts, 12);
    expect(await parts.run()).toEqual({ index: 2, failure: { reason: LOST } });
    expect(calls.map((contexts) => contexts.map(({ messageId }) => messageId))).toEqual([['orders-0-10', 'orders-0-11'], ['orders-0-11']]);
    expect(parts.applied).toEqual([0, 1]);
  });
});
