/**
 * Consume integrity when an invocation is interrupted between steps: a completion that cannot
 * be written, a claim whose answer is lost after the store committed it, a claim taken back by
 * a renewal. Each case runs the real handler with the default processor (or a record-at-a-time
 * processor that follows the processor contract) over the in-memory store and sink, and
 * checks what a user relies on: a record reported done has its own payload in the sink, and no
 * message is written twice.
 */
import { describe, expect, it } from 'vitest';
import { createBatchHandler, type InvocationContext } from '../../../lib/consume/batch-handler';
import type { ConsumedRecord } from '../../../lib/consume/event';
import { createMessagesProcessor } from '../../../lib/consume/messages-processor';
import type { ProcessContext, RecordProcessor } from '../../../lib/consume/processor';
import { StoreUnavailableError } from '../../../lib/errors';
import type { Claim } from '../../../lib/idempotency/types';
import { IdempotencyStatus } from '../../../lib/idempotency/types';
import { FailureLog } from '../../helpers/failure-log';
import { failed, kafkaEvent, type RecordSpec } from '../../helpers/kafka-events';
import { MemoryMessagesTable } from '../../helpers/memory-messages-table';
import { FakeClock, FakeStore } from './fake-store';
import { manualEvery } from './manual-every';

const REUSED = 'message id reused with a different payload';
const KEY_M = 'consume:test:m';

/**
 * A processor with only `process`, written as the processor contract asks of a user's: a
 * plain write when no effect ever started for the message, a write only if absent when one
 * may have. It fails the records whose offsets are in `poison`.
 */
class OneAtATimeProcessor implements RecordProcessor {
  readonly poison = new Set<number>();
  constructor(
    private readonly table: MemoryMessagesTable,
    private readonly during: (record: ConsumedRecord) => Promise<void> | void = () => {},
  ) {}
  async process(record: ConsumedRecord, context: ProcessContext): Promise<void> {
    await this.during(record);
    if (this.poison.has(record.offset)) throw new Error('cannot apply this record');
    const item = { messageId: context.messageId, topic: record.topic, partition: record.partition, offset: record.offset, value: 1, processedAt: '' };
    if (context.earlierAttempt) await this.table.putOnce(item);
    else await this.table.putAll([item]);
  }
}

function setup(options: { oneAtATime?: boolean; during?: (record: ConsumedRecord) => Promise<void> | void } = {}) {
  const store = new FakeStore();
  const clock = new FakeClock();
  const table = new MemoryMessagesTable();
  const log = new FailureLog();
  const oneAtATime = new OneAtATimeProcessor(table, options.during);
  const { every, tick } = manualEvery();
  const handler = createBatchHandler({
    store,
    processor: options.oneAtATime === true ? oneAtATime : createMessagesProcessor(table, clock),
    clock,
    logger: log,
    scope: 'test',
    leaseMs: 30_000,
    ttlSeconds: 86_400,
    every,
    sleep: async (ms) => void (clock.nowValueMs += ms),
  });
  /** A context with a minute left from now, so the handler may wait. */
  const minuteLeft = (): InvocationContext => {
    const startedMs = clock.nowMs();
    return { getRemainingTimeInMillis: () => startedMs + 60_000 - clock.nowMs() };
  };
  return { store, clock, table, log, handler, poison: oneAtATime.poison, tick, minuteLeft };
}

const record = (offset: number, value: unknown, id = 'm'): RecordSpec => ({ offset, value, headers: { 'message-id': id } });

/**
 * Makes the next claim of `key` commit twice, as the SDK's retry of a write whose answer was
 * lost does: the second write passes the owner condition and returns the first one's item.
 */
function loseNextClaimAnswer(store: FakeStore, key: string): void {
  const claim = store.claim.bind(store);
  let armed = true;
  store.claim = async (request: Claim, nowMs: number) => {
    if (!armed || request.key !== key) return claim(request, nowMs);
    armed = false;
    await claim(request, nowMs);
    return claim(request, nowMs);
  };
}

/** Applies `m` with value `{"v":1}` at offset 1 and fails its completion: the claim is left abandoned, the message written. */
async function appliedNotCompleted(s: ReturnType<typeof setup>): Promise<void> {
  s.store.failCompletions = true;
  expect(await s.handler(kafkaEvent([record(1, { v: 1 })]))).toEqual({ batchItemFailures: [failed('orders-0', 1)] });
  s.store.failCompletions = false;
  expect(s.store.items.get(KEY_M)).toMatchObject({ status: IdempotencyStatus.InProgress, leaseExpiresAtMs: 0 });
}

describe('an unfinished claim of another payload', () => {
  it('fails a record reusing the id of an applied, uncompleted record as reused, and keeps the key for the record applied', async () => {
    const s = setup();
    await appliedNotCompleted(s);
    // Another payload with the same id: never applied, never reported done.
    expect(await s.handler(kafkaEvent([record(2, { v: 2 })]))).toEqual({ batchItemFailures: [failed('orders-0', 2)] });
    expect(s.log.failures.at(-1)).toBe(`orders-0:2 ${REUSED}`);
    // The applied record's redelivery completes it; the other stays a visible failure.
    expect(await s.handler(kafkaEvent([record(1, { v: 1 })]))).toEqual({ batchItemFailures: [] });
    expect(await s.handler(kafkaEvent([record(2, { v: 2 })]))).toEqual({ batchItemFailures: [failed('orders-0', 2)] });
    expect(s.table.values()).toEqual({ m: { v: 1 } });
    expect(s.table.writes.get('m')).toBe(1);
  });

  it('fails it as reused when the unfinished claim appears between the batch read and the claim', async () => {
    const s = setup();
    await appliedNotCompleted(s);
    const item = s.store.items.get(KEY_M);
    s.store.items.delete(KEY_M);
    const getMany = s.store.getMany.bind(s.store);
    // The batch read finds nothing; the abandoned claim is back by the time of the claim.
    s.store.getMany = async (keys, nowMs) => {
      const found = await getMany(keys, nowMs);
      if (item !== undefined) s.store.items.set(KEY_M, item);
      return found;
    };
    expect(await s.handler(kafkaEvent([record(2, { v: 2 })]), s.minuteLeft())).toEqual({ batchItemFailures: [failed('orders-0', 2)] });
    expect(s.log.failures.at(-1)).toBe(`orders-0:2 ${REUSED}`);
    expect(s.table.values()).toEqual({ m: { v: 1 } });
  });
});

describe('a live claim of another payload', () => {
  it('is waited for, not failed as reused: a claim issued ahead may be released without any effect, and the record is then applied', async () => {
    const s = setup();
    // Another invocation claimed `m` ahead of its record for another payload, live for 10 s.
    s.store.items.set(KEY_M, {
      key: KEY_M,
      status: IdempotencyStatus.InProgress,
      owner: 'other',
      leaseExpiresAtMs: s.clock.nowMs() + 10_000,
      expiresAtEpochSec: 4_000_000_000,
      payloadHash: 'another',
    });
    const getMany = s.store.getMany.bind(s.store);
    let looks = 0;
    // It releases the claim, having started no effect, while this invocation waits.
    s.store.getMany = async (keys, nowMs) => {
      looks += 1;
      if (looks === 2) s.store.items.delete(KEY_M);
      return getMany(keys, nowMs);
    };
    expect(await s.handler(kafkaEvent([record(1, { v: 1 })]), s.minuteLeft())).toEqual({ batchItemFailures: [] });
    expect(s.table.values()).toEqual({ m: { v: 1 } });
    expect(s.log.failures).toEqual([]);
  });
});

describe('a claim whose answer was lost after the store committed it', () => {
  it('tells the effect of an earlier attempt when the retry returns its own item, so the default processor does not write the message again', async () => {
    const s = setup();
    await appliedNotCompleted(s);
    loseNextClaimAnswer(s.store, KEY_M);
    expect(await s.handler(kafkaEvent([record(1, { v: 1 })]))).toEqual({ batchItemFailures: [] });
    expect(s.table.writes.get('m')).toBe(1);
  });

  it('abandons rather than deletes such a claim when its record is given up before its effect, so the next delivery still knows', async () => {
    const s = setup({ oneAtATime: true });
    await appliedNotCompleted(s);
    // Offset 0 fails before `m` is reached; `m`'s claim was taken over with a lost answer.
    s.poison.add(0);
    loseNextClaimAnswer(s.store, KEY_M);
    expect(await s.handler(kafkaEvent([record(0, { x: 0 }, 'x'), record(1, { v: 1 })]))).toEqual({
      batchItemFailures: [failed('orders-0', 0), failed('orders-0', 1)],
    });
    expect(s.store.items.get(KEY_M)).toMatchObject({ status: IdempotencyStatus.InProgress, leaseExpiresAtMs: 0 });
    s.poison.clear();
    expect(await s.handler(kafkaEvent([record(0, { x: 0 }, 'x'), record(1, { v: 1 })]))).toEqual({ batchItemFailures: [] });
    expect(s.table.writes.get('m')).toBe(1);
  });

  it('abandons a claim whose request failed after committing, so the next delivery takes it over at once instead of waiting out its lease', async () => {
    const s = setup();
    const claimAbsent = s.store.claimAbsent.bind(s.store);
    s.store.claimAbsent = async (request) => {
      await claimAbsent(request);
      throw new StoreUnavailableError('the idempotency store is unavailable; retry later');
    };
    expect(await s.handler(kafkaEvent([record(1, { v: 1 })]))).toEqual({ batchItemFailures: [failed('orders-0', 1)] });
    expect(s.store.items.get(KEY_M)).toMatchObject({ status: IdempotencyStatus.InProgress, leaseExpiresAtMs: 0 });
    s.store.claimAbsent = claimAbsent;
    // No time to wait, and no lease to wait out.
    expect(await s.handler(kafkaEvent([record(1, { v: 1 })]))).toEqual({ batchItemFailures: [] });
    expect(s.table.writes.get('m')).toBe(1);
  });
});

describe('a claim taken back by a renewal during an earlier effect of the run', () => {
  it('tells a record-at-a-time processor of the earlier attempt the renewal found', async () => {
    let s: ReturnType<typeof setup> | undefined;
    s = setup({
      oneAtATime: true,
      during: async (consumed) => {
        if (consumed.offset !== 0 || s === undefined) return;
        const { clock, store, table, tick } = s;
        // The first effect outlasts the lease without a renewal; meanwhile a redelivery took
        // `m` over, wrote it, and gave its claim up.
        clock.nowValueMs += 31_000;
        const ours = store.items.get(KEY_M);
        if (ours !== undefined) store.items.set(KEY_M, { ...ours, owner: 'redelivery', leaseExpiresAtMs: 0 });
        await table.putAll([{ messageId: 'm', topic: 'orders', partition: 0, offset: 1, value: 1, processedAt: '' }]);
        // Now the renewal runs, and takes `m` back.
        tick();
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    expect(await s.handler(kafkaEvent([record(0, { x: 0 }, 'x'), record(1, { v: 1 })]))).toEqual({ batchItemFailures: [] });
    expect(s.table.writes.get('m')).toBe(1);
  });
});

describe('an item past its TTL, not yet deleted by the TTL sweep', () => {
  it.each([
    { store: 'DynamoDB (a refused claim returns the item)', returnExisting: true },
    { store: 'dynalite (a refused claim returns nothing)', returnExisting: false },
  ])('counts as absent on $store: the record is applied at once, even without time to wait', async ({ returnExisting }) => {
    const s = setup();
    s.store.returnExisting = returnExisting;
    // Completed a day and a second ago, with a TTL of a day, for another payload.
    s.store.items.set(KEY_M, {
      key: KEY_M,
      status: IdempotencyStatus.Completed,
      owner: 'long-gone',
      leaseExpiresAtMs: 0,
      expiresAtEpochSec: 1_799_999_999,
      payloadHash: 'another',
    });
    expect(await s.handler(kafkaEvent([record(1, { v: 1 })]))).toEqual({ batchItemFailures: [] });
    expect(s.table.values()).toEqual({ m: { v: 1 } });
    expect(s.store.items.get(KEY_M)).toMatchObject({ status: IdempotencyStatus.Completed, expiresAtEpochSec: 1_800_086_400 });
  });
});
