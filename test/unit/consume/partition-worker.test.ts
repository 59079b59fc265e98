import { describe, expect, it } from 'vitest';
import { decodeKafkaEvent, type ConsumedRecord } from '../../../lib/consume/event';
import { processPartition, type PartitionWorkerDeps, type RecordFailure } from '../../../lib/consume/partition-worker';
import { realSleep } from '../../../lib/consume/patience';
import { IdempotencyStatus, type IdempotencyRecord } from '../../../lib/idempotency/types';
import { silentLogger } from '../../../lib/logger';
import { kafkaEvent, type RecordSpec } from '../../helpers/kafka-events';
import { FakeClock, FakeStore } from './fake-store';
import { START_MS, storedRecord } from './plans';

/** Runs one partition of `specs` without a deadline (nothing is waited for). */
async function run(
  specs: RecordSpec[],
  options: { known?: IdempotencyRecord[]; effect?: (record: ConsumedRecord, store: FakeStore, clock: FakeClock) => void; malformedOffset?: number } = {},
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
  const deps: PartitionWorkerDeps = {
    store,
    processor: {
      async process(record) {
        options.effect?.(record, store, clock);
        applied.push(record.offset);
      },
    },
    clock,
    logger: silentLogger,
    invocationId: 'inv-1',
    scope: 'test',
    leaseMs: 30_000,
    ttlSeconds: 86_400,
    claimsAhead: 2,
    known: new Map((options.known ?? []).map((record) => [record.key, record])),
    sleep: realSleep,
    onRecordFailed: (failure) => failures.push(failure),
  };
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
    await processPartition(partition, {
      store,
      processor: {
        async process() {
          if (failedOnce) return;
          failedOnce = true;
          throw Object.assign(new Error('dependency busy'), { retriable: true });
        },
      },
      clock,
      logger: silentLogger,
      invocationId: 'inv-1',
      scope: 'test',
      leaseMs: 30_000,
      ttlSeconds: 86_400,
      claimsAhead: 2,
      known: new Map(),
      waitDeadlineMs: START_MS + 45_000,
      sleep: async (ms) => {
        heldDuringPause.push([...store.items.keys()].filter((itemKey) => store.items.get(itemKey)?.status === IdempotencyStatus.InProgress));
        clock.nowValueMs += ms;
      },
    });
    // The run is offsets 0-24; 25 and 26 were claimed ahead and are handed back for the pause.
    expect(heldDuringPause).toEqual([Array.from({ length: 25 }, (_, offset) => key(offset))]);
    expect(store.items.get(key(26))?.status).toBe(IdempotencyStatus.Completed);
  });
});
