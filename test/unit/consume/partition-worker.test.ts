import { describe, expect, it } from 'vitest';
import { decodeKafkaEvent, type ConsumedRecord } from '../../../lib/consume/event';
import { processPartition, type PartitionWorkerDeps, type RecordFailure } from '../../../lib/consume/partition-worker';
import { realSleep } from '../../../lib/consume/patience';
import { recordPayloadHash, type CallerCheck } from '../../../lib/consume/message-id';
import { RunStoppedError } from '../../../lib/errors';
import { IdempotencyStatus, type IdempotencyRecord } from '../../../lib/idempotency/types';
import { silentLogger } from '../../../lib/logger';
import { fakeCallerCheck } from '../../helpers/caller-keys';
import { kafkaEvent, type RecordSpec } from '../../helpers/kafka-events';
import { FakeClock, FakeStore } from './fake-store';
import { START_MS, storedRecord } from './plans';

/** The deps every test's worker shares (invocation inv-1, scope test, a 30 s lease, 2 claims ahead), with `overrides`. */
function workerDeps(store: FakeStore, clock: FakeClock, overrides: Partial<PartitionWorkerDeps> & Pick<PartitionWorkerDeps, 'processor'>): PartitionWorkerDeps {
  return {
    store,
    clock,
    logger: silentLogger,
    invocationId: 'inv-1',
    scope: 'test',
    leaseMs: 30_000,
    ttlSeconds: 86_400,
    claimsAhead: 2,
    known: new Map(),
    sleep: realSleep,
    ...overrides,
  };
}

/** Runs one partition of `specs` without a deadline (nothing is waited for). */
async function run(
  specs: RecordSpec[],
  options: {
    known?: IdempotencyRecord[];
    effect?: (record: ConsumedRecord, store: FakeStore, clock: FakeClock) => void;
    malformedOffset?: number;
    checkCaller?: CallerCheck;
  } = {},
) {
  const store = new FakeStore();
  const event = kafkaEvent(specs) as unknown as { records: Record<string, Record<string, unknown>[]> };
  const malformed = event.records['orders-0']?.find((record) => record.offset === options.malformedOffset);
  if (malformed !== undefined) malformed.value = '%%%';
  const partition = decodeKafkaEvent(event).partitions[0];
  if (partition === undefined) throw new Error('no partition');
  const failures: RecordFailure[] = [];
  const applied: number[] = [];
  const clock = new FakeClock();
  const deps = workerDeps(store, clock, {
    processor: {
      async process(record) {
        options.effect?.(record, store, clock);
        applied.push(record.offset);
      },
    },
    known: new Map((options.known ?? []).map((record) => [record.key, record])),
    onRecordFailed: (failure) => failures.push(failure),
    ...(options.checkCaller === undefined ? {} : { checkCaller: options.checkCaller }),
  });
  for (const record of options.known ?? []) store.items.set(record.key, record);
  const outcome = await processPartition(partition, deps);
  return { outcome, store, failures, applied };
}

const key = (offset: number) => `consume:test:orders-0-${offset}`;
const failure = (offset: number, reason: string): RecordFailure => ({ topic: 'orders', partition: 0, offset, reason });

describe('processPartition', () => {
  it('processes and completes every record, counting the duplicates skipped', async () => {
    const done = storedRecord(IdempotencyStatus.Completed, { key: 'consume:test:m-1' });
    const { outcome, store, applied, failures } = await run([{ offset: 4, headers: { 'message-id': 'm-1' } }, { offset: 5 }, { offset: 6 }], { known: [done] });
    expect(outcome).toEqual({ partitionKey: 'orders-0', offsets: [4, 5, 6], processed: 2, skippedDuplicates: 1 });
    expect(applied).toEqual([5, 6]);
    expect(failures).toEqual([]);
    expect(store.items.get(key(5))?.status).toBe(IdempotencyStatus.Completed);
    // One run: its completions in one unconditional write (the claims have their whole lease left).
    expect(store.requests).toEqual({ getMany: 0, claim: 2, completeMany: 1, complete: 0, release: 0, abandon: 0 });
  });

  it('stops at a malformed record, claiming nothing at or after it', async () => {
    const { outcome, failures, store } = await run([{ offset: 0 }, { offset: 1 }, { offset: 2 }], { malformedOffset: 1 });
    expect(outcome).toEqual({
      partitionKey: 'orders-0',
      offsets: [0, 1, 2],
      processed: 1,
      skippedDuplicates: 0,
      firstFailedOffset: 1,
      stopReason: 'malformed record',
    });
    expect(failures).toEqual([failure(1, 'malformed record')]);
    expect(store.requests.claim).toBe(1);
  });

  it('stops before any request at a key another owner holds when it cannot wait', async () => {
    const held = storedRecord(IdempotencyStatus.InProgress, { key: key(1), leaseExpiresAtMs: START_MS + 10_000 });
    const { outcome, failures, store } = await run([{ offset: 0 }, { offset: 1 }, { offset: 2 }], { known: [held] });
    expect(outcome.firstFailedOffset).toBe(1);
    expect(failures).toEqual([failure(1, 'held by another invocation')]);
    expect(store.requests.claim).toBe(1);
  });

  it('moves the stop back to a record whose fenced completion was refused, abandons the claim it attempted and releases the one it did not', async () => {
    const { outcome, failures, applied, store } = await run(
      [0, 1, 2, 3, 4].map((offset) => ({ offset })),
      {
        effect: (record, fake, clock) => {
          // The effect of offset 1 outlasts the lease, unrenewed, and another owner takes it
          // over; offset 3 then fails, and 4 is not started.
          if (record.offset === 1) {
            clock.nowValueMs += 31_000;
            fake.items.set(key(1), storedRecord(IdempotencyStatus.InProgress, { key: key(1), leaseExpiresAtMs: clock.nowValueMs + 30_000 }));
          }
          if (record.offset === 3) throw new Error('not valid');
        },
      },
    );
    expect(applied).toEqual([0, 1, 2]);
    expect(outcome).toMatchObject({ processed: 1, firstFailedOffset: 1 });
    expect(failures).toEqual([failure(3, 'processor failed'), failure(1, 'claim lost: its lease ran out and another invocation took the message over')]);
    // Offsets 0 and 2 completed under the owner condition, 1 left to its new owner; 3
    // (attempted, failed) abandoned with its lease ended; 4 (claimed, never started) released.
    expect(
      [...store.items.entries()].map(([itemKey, item]) => `${itemKey} ${item.status} ${item.owner === 'other' ? 'other' : 'ours'} ${item.leaseExpiresAtMs}`),
    ).toEqual([`${key(0)} COMPLETED ours 0`, `${key(1)} IN_PROGRESS other ${START_MS + 61_000}`, `${key(2)} COMPLETED ours 0`, `${key(3)} IN_PROGRESS ours 0`]);
    // 0 and 1 are completed under the condition (less than half their lease left); 2 and 3
    // were renewed before their effects, and 2 is completed without it.
    expect(store.requests).toMatchObject({ claim: 7, completeMany: 1, complete: 2, abandon: 1, release: 1 });
  });
});

describe('the hand-back before a pause', () => {
  it('releases every claim issued ahead of a full run whose effect failed retriably, keeping none beyond it', async () => {
    const store = new FakeStore();
    const clock = new FakeClock();
    const partition = decodeKafkaEvent(kafkaEvent(Array.from({ length: 27 }, (_, offset) => ({ offset })))).partitions[0];
    if (partition === undefined) throw new Error('no partition');
    let failedOnce = false;
    const heldDuringPause: string[][] = [];
    await processPartition(
      partition,
      workerDeps(store, clock, {
        processor: {
          async process() {
            if (failedOnce) return;
            failedOnce = true;
            throw Object.assign(new Error('dependency busy'), { retriable: true });
          },
        },
        waitDeadlineMs: START_MS + 45_000,
        sleep: async (ms) => {
          heldDuringPause.push([...store.items.keys()].filter((itemKey) => store.items.get(itemKey)?.status === IdempotencyStatus.InProgress));
          clock.nowValueMs += ms;
        },
      }),
    );
    // The run is offsets 0-24; 25 and 26 were claimed ahead and are handed back for the pause.
    expect(heldDuringPause).toEqual([Array.from({ length: 25 }, (_, offset) => key(offset))]);
    expect(store.items.get(key(26))?.status).toBe(IdempotencyStatus.Completed);
  });
});

describe('processPartition: stops, pauses and counts', () => {
  /** One partition of `specs` with `processor`; `waitDeadlineMs` lets it wait, its sleeps move the clock and run `onSleep`. */
  async function work(
    specs: RecordSpec[],
    processor: PartitionWorkerDeps['processor'],
    options: {
      held?: IdempotencyRecord[];
      unseen?: IdempotencyRecord[];
      waitDeadlineMs?: number;
      onSleep?: (store: FakeStore, sleep: number) => void;
      clock?: FakeClock;
    } = {},
  ) {
    const store = new FakeStore();
    store.returnExisting = true;
    const clock = options.clock ?? new FakeClock();
    for (const record of options.unseen ?? []) store.items.set(record.key, record);
    const partition = decodeKafkaEvent(kafkaEvent(specs)).partitions[0];
    if (partition === undefined) throw new Error('no partition');
    for (const record of options.held ?? []) store.items.set(record.key, record);
    let sleeps = 0;
    const outcome = await processPartition(partition, {
      store,
      processor,
      clock,
      logger: silentLogger,
      invocationId: 'inv-1',
      scope: 'test',
      leaseMs: 30_000,
      ttlSeconds: 86_400,
      claimsAhead: 2,
      known: new Map((options.held ?? []).map((record) => [record.key, record])),
      ...(options.waitDeadlineMs === undefined ? {} : { waitDeadlineMs: options.waitDeadlineMs }),
      sleep: async (ms) => {
        options.onSleep?.(store, sleeps);
        sleeps += 1;
        clock.nowValueMs += ms;
      },
    });
    return { outcome, store };
  }

  const recording = (fail: (offset: number) => Error | undefined = () => undefined) => {
    const calls: number[] = [];
    const processor: PartitionWorkerDeps['processor'] = {
      async process(record) {
        calls.push(record.offset);
        const error = fail(record.offset);
        if (error !== undefined) throw error;
      },
    };
    return { calls, processor };
  };

  it('answers exactly the counts of a partition that succeeded, naming no stop', async () => {
    const { outcome } = await work([{ offset: 0 }, { offset: 1 }], recording().processor);
    expect(outcome).toStrictEqual({ partitionKey: 'orders-0', offsets: [0, 1], processed: 2, skippedDuplicates: 0 });
  });

  it('starts nothing after a run that stopped, also past a full run of 25', async () => {
    const { calls, processor } = recording((offset) => (offset === 3 ? new Error('not valid') : undefined));
    const { outcome } = await work(
      Array.from({ length: 30 }, (_, offset) => ({ offset })),
      processor,
    );
    expect(calls).toEqual([0, 1, 2, 3]);
    expect(outcome).toMatchObject({ processed: 3, firstFailedOffset: 3 });
  });

  it('writes the completions of the records a run applied before pausing after a retriable failure', async () => {
    let calls = 0;
    const processor: PartitionWorkerDeps['processor'] = {
      process: () => Promise.reject(new Error('process must not be called when processRun exists')),
      async processRun(items) {
        calls += 1;
        if (calls === 1) throw new RunStoppedError(2, Object.assign(new Error('dependency busy'), { retriable: true }));
        expect(items.map(({ record }) => record.offset)).toEqual([2, 3]);
      },
    };
    const statusesAtPause: (string | undefined)[][] = [];
    const { outcome } = await work(
      [0, 1, 2, 3].map((offset) => ({ offset })),
      processor,
      {
        waitDeadlineMs: START_MS + 45_000,
        onSleep: (store) => statusesAtPause.push([0, 1].map((offset) => store.items.get(key(offset))?.status)),
      },
    );
    expect(statusesAtPause).toEqual([[IdempotencyStatus.Completed, IdempotencyStatus.Completed]]);
    expect(outcome).toMatchObject({ processed: 4 });
  });

  it('gives up a held record, claiming nothing more, once the run before it stopped during the wait', async () => {
    const held = storedRecord(IdempotencyStatus.InProgress, { key: key(1), leaseExpiresAtMs: START_MS + 1_000 });
    const { calls, processor } = recording((offset) => (offset === 0 ? new Error('not valid') : undefined));
    const { outcome, store } = await work([{ offset: 0 }, { offset: 1 }], processor, { held: [held], waitDeadlineMs: START_MS + 45_000 });
    expect(calls).toEqual([0]);
    expect(outcome).toMatchObject({ firstFailedOffset: 0, stopReason: 'processor failed' });
    // Record 0's claim only: record 1, read held, is answered with its holder without a request.
    expect(store.requests.claim).toBe(1);
  });

  it('counts a held record its holder completed during the wait as a duplicate skipped', async () => {
    const entry = decodeKafkaEvent(kafkaEvent([{ offset: 0 }])).partitions[0]?.entries[0];
    const hash = entry !== undefined && 'record' in entry ? recordPayloadHash(entry.record) : '';
    const held = storedRecord(IdempotencyStatus.InProgress, { key: key(0), payloadHash: hash, leaseExpiresAtMs: START_MS + 20_000 });
    const { calls, processor } = recording();
    const { outcome } = await work([{ offset: 0 }], processor, {
      held: [held],
      waitDeadlineMs: START_MS + 45_000,
      onSleep: (store) => store.items.set(key(0), { ...held, status: IdempotencyStatus.Completed, leaseExpiresAtMs: 0 }),
    });
    expect(calls).toEqual([]);
    expect(outcome).toStrictEqual({ partitionKey: 'orders-0', offsets: [0], processed: 0, skippedDuplicates: 1 });
  });

  it('applies the records claimed before a record that fails at its claim, then stops there', async () => {
    const reused = storedRecord(IdempotencyStatus.Completed, { key: 'consume:test:m-1', payloadHash: 'another payload' });
    const { calls, processor } = recording();
    const { outcome } = await work([{ offset: 0 }, { offset: 1, headers: { 'message-id': 'm-1' } }], processor, { unseen: [reused] });
    expect(calls).toEqual([0]);
    expect(outcome).toMatchObject({ processed: 1, firstFailedOffset: 1, stopReason: 'message id reused with a different payload' });
  });

  it('stops at the deadline before waiting for a held record, once a run used the time up to it exactly', async () => {
    const clock = new FakeClock();
    const deadlineMs = START_MS + 45_000;
    const held = storedRecord(IdempotencyStatus.InProgress, { key: key(25), leaseExpiresAtMs: START_MS + 90_000 });
    const { calls, processor } = recording((offset) => {
      if (offset === 24) clock.nowValueMs = deadlineMs;
      return undefined;
    });
    const { outcome } = await work(
      Array.from({ length: 26 }, (_, offset) => ({ offset })),
      processor,
      { held: [held], waitDeadlineMs: deadlineMs, clock },
    );
    expect(calls).toHaveLength(25);
    expect(outcome).toMatchObject({ processed: 25, firstFailedOffset: 25, stopReason: 'invocation deadline reached' });
  });

  it('applies nothing and reports the gathered record failed when the deadline comes while a record waited', async () => {
    // Record 0 is held until +50 ms; the one pause (100 ms) ends exactly at the deadline, then 0 is claimed.
    const held = storedRecord(IdempotencyStatus.InProgress, { key: key(0), leaseExpiresAtMs: START_MS + 50 });
    const { calls, processor } = recording();
    const { outcome } = await work([{ offset: 0 }, { offset: 1 }], processor, { held: [held], waitDeadlineMs: START_MS + 100 });
    expect(calls).toEqual([]);
    expect(outcome).toMatchObject({ processed: 0, firstFailedOffset: 0, stopReason: 'invocation deadline reached' });
  });

  it('keeps the claim of the record it retries when the run before a waited-for record pauses', async () => {
    const held = storedRecord(IdempotencyStatus.InProgress, { key: key(1), leaseExpiresAtMs: START_MS + 500 });
    let failedOnce = false;
    const { calls, processor } = recording((offset) => {
      if (offset !== 0 || failedOnce) return undefined;
      failedOnce = true;
      return Object.assign(new Error('dependency busy'), { retriable: true });
    });
    const { outcome, store } = await work([{ offset: 0 }, { offset: 1 }], processor, { held: [held], waitDeadlineMs: START_MS + 45_000 });
    expect(calls).toEqual([0, 0, 1]);
    expect(outcome).toStrictEqual({ partitionKey: 'orders-0', offsets: [0, 1], processed: 2, skippedDuplicates: 0 });
    expect(store.requests).toMatchObject({ abandon: 0, release: 0 });
  });
});

describe('processPartition: caller headers', () => {
  it('keys a record by the caller its header proves under the check it was given', async () => {
    const { store, applied } = await run([{ offset: 3, headers: { 'message-id': 'm-3', 'x-caller-id': 'ok:alice' } }], { checkCaller: fakeCallerCheck });
    expect(applied).toEqual([3]);
    // base64url of "alice" is YWxpY2U.
    expect([...store.items.keys()]).toEqual(['consume:test:caller:YWxpY2U:m-3']);
  });
});
