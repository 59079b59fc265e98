import { describe, expect, it } from 'vitest';
import { createBatchHandler, type BatchHandlerDeps } from '../../../lib/consume/batch-handler';
import type { ConsumedRecord } from '../../../lib/consume/event';
import type { RecordProcessor } from '../../../lib/consume/processor';
import { MalformedEventError } from '../../../lib/errors';
import { IdempotencyStatus, type IdempotencyRecord } from '../../../lib/idempotency/types';
import { silentLogger } from '../../../lib/logger';
import { failed, kafkaEvent, recordRange, wireRecord } from '../../helpers/kafka-events';
import { FakeClock, FakeStore } from './fake-store';

/** Applies records in memory, failing those named `"<topic>-<partition>:<offset>"`. */
class FakeProcessor implements RecordProcessor {
  readonly applied: string[] = [];
  constructor(readonly failing = new Set<string>()) {}
  async process(record: ConsumedRecord): Promise<void> {
    const id = `${record.topic}-${record.partition}:${record.offset}`;
    if (this.failing.has(id)) throw new Error(`fails ${id}`);
    this.applied.push(id);
  }
  /** What was applied in one partition, in order. */
  of(partition: string): string[] {
    return this.applied.filter((id) => id.startsWith(`${partition}:`));
  }
}

function setup(failing: string[] = [], overrides: Partial<BatchHandlerDeps> = {}) {
  const store = new FakeStore();
  const processor = new FakeProcessor(new Set(failing));
  const clock = new FakeClock();
  const handler = createBatchHandler({
    store,
    processor,
    clock,
    logger: silentLogger,
    scope: 'test',
    leaseMs: 30_000,
    ttlSeconds: 86_400,
    ...overrides,
  });
  return { store, processor, clock, handler };
}

describe('failure report', () => {
  const twoPartitions = [...recordRange(0, 10, 4), ...recordRange(1, 20, 3)];

  it('reports nothing when every record succeeds', async () => {
    const { handler, processor } = setup();
    expect(await handler(kafkaEvent(twoPartitions))).toEqual({ batchItemFailures: [] });
    expect(processor.of('orders-0')).toEqual(['orders-0:10', 'orders-0:11', 'orders-0:12', 'orders-0:13']);
    expect(processor.of('orders-1')).toEqual(['orders-1:20', 'orders-1:21', 'orders-1:22']);
  });

  it('reports a partition from its first record when that one fails, other partitions untouched', async () => {
    const { handler, processor } = setup(['orders-0:10']);
    expect(await handler(kafkaEvent(twoPartitions))).toEqual({
      batchItemFailures: [failed('orders-0', 10), failed('orders-0', 11), failed('orders-0', 12), failed('orders-0', 13)],
    });
    expect(processor.applied).toEqual(['orders-1:20', 'orders-1:21', 'orders-1:22']);
  });

  it('reports from a failure in the middle and does not process later records of that partition', async () => {
    const { handler, processor } = setup(['orders-0:12']);
    expect(await handler(kafkaEvent(twoPartitions))).toEqual({
      batchItemFailures: [failed('orders-0', 12), failed('orders-0', 13)],
    });
    expect(processor.of('orders-0')).toEqual(['orders-0:10', 'orders-0:11']);
    expect(processor.of('orders-1')).toEqual(['orders-1:20', 'orders-1:21', 'orders-1:22']);
  });

  it('reports only the last record when it fails', async () => {
    const { handler } = setup(['orders-1:22']);
    expect(await handler(kafkaEvent(twoPartitions))).toEqual({ batchItemFailures: [failed('orders-1', 22)] });
  });

  it('reports every record when every partition fails at its first', async () => {
    const { handler, processor } = setup(['orders-0:10', 'orders-1:20']);
    expect((await handler(kafkaEvent(twoPartitions))).batchItemFailures).toHaveLength(7);
    expect(processor.applied).toEqual([]);
  });

  it('processes unordered input in ascending offsets and reports from the lowest failed offset', async () => {
    const { handler, processor } = setup(['orders-0:12']);
    const shuffled = [13, 10, 12, 11].map((offset) => ({ partition: 0, offset }));
    expect(await handler(kafkaEvent(shuffled))).toEqual({ batchItemFailures: [failed('orders-0', 12), failed('orders-0', 13)] });
    expect(processor.applied).toEqual(['orders-0:10', 'orders-0:11']);
  });

  it('counts a repeated offset once', async () => {
    const { handler, processor } = setup();
    await handler(kafkaEvent([{ offset: 5 }, { offset: 5 }, { offset: 6 }]));
    expect(processor.applied).toEqual(['orders-0:5', 'orders-0:6']);
  });

  it('answers an event without records with no failures', async () => {
    const { handler } = setup();
    expect(await handler(kafkaEvent([]))).toEqual({ batchItemFailures: [] });
  });
});

describe('malformed input', () => {
  it('throws for an event whose records cannot be identified, processing nothing', async () => {
    const { handler, processor, store } = setup();
    const event = kafkaEvent(recordRange(1, 0, 2)) as unknown as { records: Record<string, Record<string, unknown>[]> };
    (event.records['orders-1'] as Record<string, unknown>[]).push({ ...wireRecord({ partition: 1, offset: 2 }), offset: 'two' });
    await expect(handler(event)).rejects.toThrow(new MalformedEventError('records["orders-1"][2].offset is not a non-negative integer'));
    expect(processor.applied).toEqual([]);
    expect(store.total()).toBe(0);
  });

  it('fails a record with bad base64 and the rest of its partition, and processes other partitions', async () => {
    const { handler, processor } = setup();
    const event = kafkaEvent([...recordRange(0, 0, 3), ...recordRange(1, 0, 1)]) as unknown as { records: Record<string, Record<string, unknown>[]> };
    (event.records['orders-0']?.[1] as Record<string, unknown>).value = '%%%';
    expect(await handler(event)).toEqual({ batchItemFailures: [failed('orders-0', 1), failed('orders-0', 2)] });
    expect(processor.of('orders-0')).toEqual(['orders-0:0']);
    expect(processor.of('orders-1')).toEqual(['orders-1:0']);
  });

  it('reports every record failed when the store cannot be read', async () => {
    const { handler, processor, store } = setup();
    store.failReads = true;
    expect(await handler(kafkaEvent([...recordRange(0, 0, 2), ...recordRange(1, 7, 1)]))).toEqual({
      batchItemFailures: [failed('orders-0', 0), failed('orders-0', 1), failed('orders-1', 7)],
    });
    expect(processor.applied).toEqual([]);
  });
});

describe('idempotency and round trips', () => {
  it('costs a new record one claim, plus its share of one read per 100 and of one completion write per run of 25', async () => {
    const { handler, store } = setup();
    await handler(kafkaEvent([...recordRange(0, 0, 100), ...recordRange(1, 0, 100)]));
    // 200 keys: 2 reads; 200 claims; 8 runs of 25, each completed with one write (the claims
    // have most of their lease left, so no condition is needed).
    expect(store.requests).toEqual({ getMany: 2, claim: 200, completeMany: 8, complete: 0, release: 0, abandon: 0 });
  });

  it('costs a replayed batch one read per 100 records and applies nothing again', async () => {
    const { handler, store, processor } = setup();
    const event = kafkaEvent([...recordRange(0, 0, 100), ...recordRange(1, 0, 100)]);
    await handler(event);
    const before = store.total();
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(store.total() - before).toBe(2);
    expect(processor.applied).toHaveLength(200);
  });

  it('abandons the failed record, releases the rest of its run, and the retry starts from the failure', async () => {
    const { handler, store, processor } = setup(['orders-0:2'], { claimsAhead: 3 });
    expect((await handler(kafkaEvent(recordRange(0, 0, 10)))).batchItemFailures[0]).toEqual(failed('orders-0', 2));
    // One run of all 10 claims; 0 and 1 completed with one write; 2, whose effect was
    // attempted, abandoned (kept, its lease ended); 3..9, never started, released.
    expect(store.requests).toEqual({ getMany: 1, claim: 10, completeMany: 1, complete: 0, release: 7, abandon: 1 });
    expect([...store.items.values()].map((item) => `${item.status} ${item.leaseExpiresAtMs}`)).toEqual([
      `${IdempotencyStatus.Completed} 0`,
      `${IdempotencyStatus.Completed} 0`,
      `${IdempotencyStatus.InProgress} 0`,
    ]);

    processor.failing.clear();
    expect(await handler(kafkaEvent(recordRange(0, 2, 8)))).toEqual({ batchItemFailures: [] });
    expect(processor.applied).toEqual(['orders-0:0', 'orders-0:1', ...[2, 3, 4, 5, 6, 7, 8, 9].map((n) => `orders-0:${n}`)]);
  });

  it('skips a record whose message-id was completed under another offset with the same payload', async () => {
    const { handler, processor } = setup();
    await handler(kafkaEvent([{ offset: 1, value: { n: 1 }, headers: { 'message-id': 'm-1' } }]));
    await handler(
      kafkaEvent([
        { offset: 2, value: { n: 1 }, headers: { 'message-id': 'm-1' } },
        { offset: 3, headers: { 'message-id': 'm-2' } },
      ]),
    );
    expect(processor.applied).toEqual(['orders-0:1', 'orders-0:3']);
  });

  it('fails a record held under a live lease without a claim request, and takes it over once the lease expired', async () => {
    const { handler, store, processor, clock } = setup();
    store.items.set('consume:test:orders-0-1', {
      key: 'consume:test:orders-0-1',
      status: IdempotencyStatus.InProgress,
      owner: 'crashed',
      leaseExpiresAtMs: clock.nowMs() + 1_000,
      expiresAtEpochSec: Math.floor(clock.nowMs() / 1000) + 86_400,
    });
    const event = kafkaEvent(recordRange(0, 0, 3));
    expect(await handler(event)).toEqual({ batchItemFailures: [failed('orders-0', 1), failed('orders-0', 2)] });
    expect(store.requests.claim).toBe(1);
    clock.nowValueMs += 1_001;
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(processor.applied).toEqual(['orders-0:0', 'orders-0:1', 'orders-0:2']);
  });

  it('treats a lost claim race as a failure, or as done when the store returns the COMPLETED item', async () => {
    for (const returnExisting of [false, true]) {
      const { handler, store, processor } = setup();
      store.returnExisting = returnExisting;
      // Completed by someone else between the batch read and the claim.
      const original = store.getMany.bind(store);
      store.getMany = async (keys, nowMs) => {
        const found = await original(keys, nowMs);
        store.items.set('consume:test:orders-0-0', {
          key: 'consume:test:orders-0-0',
          status: IdempotencyStatus.Completed,
          owner: 'other',
          leaseExpiresAtMs: 0,
          expiresAtEpochSec: 4_000_000_000,
        });
        return found;
      };
      const response = await handler(kafkaEvent(recordRange(0, 0, 2)));
      expect(response).toEqual(returnExisting ? { batchItemFailures: [] } : { batchItemFailures: [failed('orders-0', 0), failed('orders-0', 1)] });
      expect(processor.applied).toEqual(returnExisting ? ['orders-0:1'] : []);
    }
  });

  it('reports records failed when their completion cannot be written, and abandons their claims (their effects ran)', async () => {
    const { handler, store, processor } = setup();
    store.failCompletions = true;
    expect(await handler(kafkaEvent(recordRange(0, 0, 3)))).toEqual({
      batchItemFailures: [failed('orders-0', 0), failed('orders-0', 1), failed('orders-0', 2)],
    });
    expect(processor.applied).toEqual(['orders-0:0', 'orders-0:1', 'orders-0:2']);
    expect([...store.items.values()].map((item) => `${item.status} ${item.leaseExpiresAtMs}`)).toEqual(Array(3).fill(`${IdempotencyStatus.InProgress} 0`));
    expect(store.requests).toMatchObject({ abandon: 3, release: 0 });
  });

  it('writes the completions of each run of 25 after it, and reports from the first run whose completions failed to write', async () => {
    const { handler, store, processor } = setup();
    store.failCompletionCalls.add(2);
    const response = await handler(kafkaEvent(recordRange(0, 0, 60)));
    expect(response.batchItemFailures[0]).toEqual(failed('orders-0', 25));
    expect(response.batchItemFailures).toHaveLength(35);
    expect(processor.applied).toHaveLength(60);
    // Three runs (25, 25, 10), one completion write each; the second fails.
    expect(store.requests).toMatchObject({ completeMany: 3, complete: 0 });
    // Offsets 0-24 and 50-59 are COMPLETED (the latter will be skipped on retry); 25-49 were
    // applied but not completed, so they are abandoned: the retry takes them over at once.
    const statuses = [...store.items.values()].map((item) => `${item.status} ${item.leaseExpiresAtMs}`);
    expect(statuses.filter((status) => status === `${IdempotencyStatus.Completed} 0`)).toHaveLength(35);
    expect(store.items.get('consume:test:orders-0-25')).toMatchObject({ status: IdempotencyStatus.InProgress, leaseExpiresAtMs: 0 });
  });

  it('fails a record whose claim cannot be written', async () => {
    const { handler, store } = setup();
    store.failClaims.add('consume:test:orders-0-1');
    expect(await handler(kafkaEvent(recordRange(0, 0, 3)))).toEqual({ batchItemFailures: [failed('orders-0', 1), failed('orders-0', 2)] });
  });

  it('processes partitions concurrently, at most the configured number at once', async () => {
    let running = 0;
    let peak = 0;
    const processor: RecordProcessor = {
      async process() {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
      },
    };
    const { handler } = setup([], { processor, partitionConcurrency: 3 });
    const records = [0, 1, 2, 3, 4, 5].flatMap((partition) => recordRange(partition, 0, 2));
    expect(await handler(kafkaEvent(records))).toEqual({ batchItemFailures: [] });
    expect(peak).toBe(3);
  });
});

describe('runs', () => {
  /** A processor applying runs together, recording the offsets of each run. */
  function runProcessor() {
    const runs: number[][] = [];
    const processor: RecordProcessor = {
      process: () => Promise.reject(new Error('process must not be called when processRun exists')),
      async processRun(items) {
        runs.push(items.map(({ record }) => record.offset));
      },
    };
    return { processor, runs };
  }

  it('hands a partition to processRun in runs of at most 25, in offset order, each completed with one write', async () => {
    const { processor, runs } = runProcessor();
    const { handler, store } = setup([], { processor });
    expect(await handler(kafkaEvent(recordRange(0, 0, 60)))).toEqual({ batchItemFailures: [] });
    expect(runs.map((offsets) => [offsets[0], offsets.length])).toEqual([
      [0, 25],
      [25, 25],
      [50, 10],
    ]);
    expect(runs.flat()).toEqual([...Array(60).keys()]);
    expect(store.requests).toEqual({ getMany: 1, claim: 60, completeMany: 3, complete: 0, release: 0, abandon: 0 });
  });

  it('leaves duplicates out of a run without breaking it', async () => {
    const { processor, runs } = runProcessor();
    const { handler } = setup([], { processor });
    await handler(kafkaEvent(recordRange(0, 2, 2)));
    await handler(kafkaEvent(recordRange(0, 0, 6)));
    expect(runs).toEqual([
      [2, 3],
      [0, 1, 4, 5],
    ]);
  });

  it('applies the run gathered so far before waiting for a held key', async () => {
    const { processor, runs } = runProcessor();
    const clock = new FakeClock();
    const { handler, store } = setup([], {
      processor,
      clock,
      sleep: async (ms) => {
        // The holder completes the key while this invocation waits; by then the run before it is complete.
        expect(store.items.get('consume:test:orders-0-1')?.status).toBe(IdempotencyStatus.Completed);
        clock.nowValueMs += ms;
        store.items.set('consume:test:orders-0-2', {
          ...(store.items.get('consume:test:orders-0-2') as IdempotencyRecord),
          status: IdempotencyStatus.Completed,
        });
      },
    });
    const startedMs = clock.nowMs();
    store.items.set('consume:test:orders-0-2', {
      key: 'consume:test:orders-0-2',
      status: IdempotencyStatus.InProgress,
      owner: 'live',
      leaseExpiresAtMs: startedMs + 30_000,
      expiresAtEpochSec: 4_000_000_000,
    });
    const context = { awsRequestId: 'r-1', getRemainingTimeInMillis: () => startedMs + 60_000 - clock.nowMs() };
    expect(await handler(kafkaEvent(recordRange(0, 0, 5)), context)).toEqual({ batchItemFailures: [] });
    expect(runs).toEqual([
      [0, 1],
      [3, 4],
    ]);
  });
});

describe('waiting within the invocation', () => {
  /** A handler whose sleeps move the fake clock; `onSleep` runs after each. */
  function waiting(failing: string[] = [], overrides: Partial<BatchHandlerDeps> = {}, onSleep: (sleeps: number) => void = () => {}) {
    let sleeps = 0;
    const clock = new FakeClock();
    const parts = setup(failing, {
      clock,
      sleep: async (ms) => {
        clock.nowValueMs += ms;
        sleeps += 1;
        onSleep(sleeps);
      },
      ...overrides,
    });
    const startedMs = clock.nowMs();
    /** Lambda's context for an invocation of `timeoutMs` that started with the handler. */
    const context = (timeoutMs: number) => ({ awsRequestId: 'r-1', getRemainingTimeInMillis: () => startedMs + timeoutMs - clock.nowMs() });
    return { ...parts, clock, context, sleeps: () => sleeps };
  }

  const heldBy = (owner: string, leaseExpiresAtMs: number) => ({
    key: 'consume:test:orders-0-1',
    status: IdempotencyStatus.InProgress,
    owner,
    leaseExpiresAtMs,
    expiresAtEpochSec: 4_000_000_000,
  });

  it("takes over a crashed invocation's key once its lease runs out before the deadline", async () => {
    const { handler, store, processor, clock, context } = waiting();
    const startedMs = clock.nowMs();
    store.items.set('consume:test:orders-0-1', heldBy('crashed', startedMs + 5_000));
    expect(await handler(kafkaEvent(recordRange(0, 0, 3)), context(60_000))).toEqual({ batchItemFailures: [] });
    expect(processor.applied).toEqual(['orders-0:0', 'orders-0:1', 'orders-0:2']);
    expect(clock.nowMs() - startedMs).toBeGreaterThan(5_000);
    expect(clock.nowMs() - startedMs).toBeLessThan(8_000);
  });

  it('skips a key that its live holder completes during the wait', async () => {
    const { handler, store, processor, clock, context } = waiting([], {}, (sleeps) => {
      if (sleeps === 2) store.items.set('consume:test:orders-0-1', { ...heldBy('live', 0), status: IdempotencyStatus.Completed });
    });
    store.items.set('consume:test:orders-0-1', heldBy('live', clock.nowMs() + 30_000));
    expect(await handler(kafkaEvent(recordRange(0, 0, 3)), context(60_000))).toEqual({ batchItemFailures: [] });
    expect(processor.applied).toEqual(['orders-0:0', 'orders-0:2']);
  });

  it('reports a key still held at the deadline failed, having waited no longer than the deadline allows', async () => {
    const { handler, store, processor, clock, context } = waiting();
    const startedMs = clock.nowMs();
    store.items.set('consume:test:orders-0-1', heldBy('live', startedMs + 120_000));
    expect(await handler(kafkaEvent(recordRange(0, 0, 3)), context(20_000))).toEqual({
      batchItemFailures: [failed('orders-0', 1), failed('orders-0', 2)],
    });
    expect(processor.applied).toEqual(['orders-0:0']);
    // 20 s invocation: a quarter (5 s) is kept back for completions and the answer.
    expect(clock.nowMs() - startedMs).toBeGreaterThan(13_000);
    expect(clock.nowMs() - startedMs).toBeLessThanOrEqual(15_000);
  });

  it('rides out a store that cannot be read for a while', async () => {
    const { handler, store, processor, context } = waiting([], {}, (sleeps) => {
      if (sleeps === 4) store.failReads = false;
    });
    store.failReads = true;
    expect(await handler(kafkaEvent(recordRange(0, 0, 2)), context(60_000))).toEqual({ batchItemFailures: [] });
    expect(processor.applied).toEqual(['orders-0:0', 'orders-0:1']);
  });

  it('rides out a store that cannot take claims or completions for a while', async () => {
    const { handler, store, processor, context } = waiting([], {}, (sleeps) => {
      if (sleeps === 4) {
        store.failCompletions = false;
        store.failClaims.clear();
      }
    });
    store.failClaims.add('consume:test:orders-0-1');
    store.failCompletions = true;
    expect(await handler(kafkaEvent(recordRange(0, 0, 3)), context(60_000))).toEqual({ batchItemFailures: [] });
    expect(processor.applied).toEqual(['orders-0:0', 'orders-0:1', 'orders-0:2']);
    expect([...store.items.values()].map((item) => item.status)).toEqual(new Array(3).fill(IdempotencyStatus.Completed));
  });

  it('tries a processor error marked retriable again, and fails any other error at once', async () => {
    let transientFailures = 2;
    const applied: number[] = [];
    const processor: RecordProcessor = {
      async process(record) {
        if (record.offset === 1 && transientFailures > 0) {
          transientFailures -= 1;
          throw Object.assign(new Error('throttled'), { retriable: true });
        }
        if (record.offset === 3) throw new Error('not valid');
        applied.push(record.offset);
      },
    };
    const { handler, context, sleeps } = waiting([], { processor });
    expect(await handler(kafkaEvent(recordRange(0, 0, 5)), context(60_000))).toEqual({
      batchItemFailures: [failed('orders-0', 3), failed('orders-0', 4)],
    });
    expect(applied).toEqual([0, 1, 2]);
    expect(sleeps()).toBe(2);
  });

  it('processes every record under a live claim of its own, even after waiting longer than the lease', async () => {
    let blockedFor = 0;
    const underLiveClaim: boolean[] = [];
    const { handler, store, clock, context } = waiting([], {
      claimsAhead: 3,
      leaseMs: 10_000,
      processor: {
        async process(record) {
          const item = store.items.get(`consume:test:orders-0-${record.offset}`);
          underLiveClaim.push(item?.status === IdempotencyStatus.InProgress && item.leaseExpiresAtMs > clock.nowMs() && item.owner.startsWith('r-1:'));
          // Offset 1 fails retriably for 25 s: longer than the 10 s lease of the claims issued ahead.
          if (record.offset === 1 && blockedFor < 25_000) {
            blockedFor = clock.nowMs() - startedMs;
            throw Object.assign(new Error('unavailable'), { retriable: true });
          }
        },
      },
    });
    const startedMs = clock.nowMs();
    expect(await handler(kafkaEvent(recordRange(0, 0, 6)), context(60_000))).toEqual({ batchItemFailures: [] });
    expect(underLiveClaim.every(Boolean)).toBe(true);
    expect([...store.items.values()].map((item) => item.status)).toEqual(new Array(6).fill(IdempotencyStatus.Completed));
  });

  it('lets two invocations given the same batch finish it between them, each record applied once, without waiting for a lease', async () => {
    const store = new FakeStore();
    const clock = new FakeClock();
    const startedMs = clock.nowMs();
    const applied: string[] = [];
    const invocation = (name: string, claimsAhead: number) =>
      createBatchHandler({
        store,
        clock,
        logger: silentLogger,
        scope: 'test',
        leaseMs: 30_000,
        ttlSeconds: 86_400,
        claimsAhead,
        processor: {
          async process(record) {
            applied.push(`${name}:${record.offset}`);
            await new Promise((resolve) => setImmediate(resolve));
          },
        },
        sleep: async (ms) => {
          clock.nowValueMs += ms;
          await new Promise((resolve) => setImmediate(resolve));
        },
      });
    const context = { getRemainingTimeInMillis: () => startedMs + 60_000 - clock.nowMs() };
    const event = kafkaEvent(recordRange(0, 0, 4));
    // A claims one record at a time and B three ahead: B holds offsets 1-3 while A holds 0 and
    // each waits on the other unless they hand back what they hold before pausing.
    const [a, b] = await Promise.all([invocation('A', 0)(event, context), invocation('B', 3)(event, context)]);
    expect(a).toEqual({ batchItemFailures: [] });
    expect(b).toEqual({ batchItemFailures: [] });
    // Whichever invocation applies a record, it is applied once.
    expect(applied.map((entry) => entry.split(':')[1]).sort()).toEqual(['0', '1', '2', '3']);
    expect(clock.nowMs() - startedMs).toBeLessThan(30_000);
  });

  it('starts no new record once the deadline has passed, and reports the rest failed', async () => {
    const applied: number[] = [];
    const { handler, clock, context } = waiting([], {
      processor: {
        async process(record) {
          applied.push(record.offset);
          clock.nowValueMs += 20_000;
        },
      },
    });
    // 60 s invocation: new records may start until 55 s; each takes 20 s.
    expect(await handler(kafkaEvent(recordRange(0, 0, 5)), context(60_000))).toEqual({
      batchItemFailures: [failed('orders-0', 3), failed('orders-0', 4)],
    });
    expect(applied).toEqual([0, 1, 2]);
  });

  it('does not wait without a known deadline', async () => {
    const { handler, store, sleeps } = waiting();
    store.failReads = true;
    expect((await handler(kafkaEvent(recordRange(0, 0, 2)))).batchItemFailures).toHaveLength(2);
    expect(sleeps()).toBe(0);
  });
});

describe('invocation bookkeeping', () => {
  it('owns claims as "invocation:<uuid>/<partition>" when the context names no request id', async () => {
    const { handler, store } = setup(['orders-0:0']);
    await handler(kafkaEvent([{ offset: 0 }]));
    expect([...store.items.values()].map(({ owner }) => owner)).toEqual([expect.stringMatching(/^invocation:[0-9a-f-]{36}\/orders-0$/)]);
  });

  it('reads the keys of the identified records only, and reads nothing when no record is identified', async () => {
    const { handler, store } = setup();
    const keysRead: string[][] = [];
    const getMany = store.getMany.bind(store);
    store.getMany = (keys, nowMs) => {
      keysRead.push([...keys]);
      return getMany(keys, nowMs);
    };
    const malformed = { ...wireRecord({ offset: 1 }), value: 'not base64!' };
    await handler({ eventSource: 'aws:kafka', records: { 'orders-0': [wireRecord({ offset: 0 }), malformed] } });
    expect(keysRead).toEqual([['consume:test:orders-0-0']]);
    await handler({ eventSource: 'aws:kafka', records: { 'orders-0': [malformed] } });
    expect(keysRead).toHaveLength(1);
  });

  it('records the batch duration by the clock, from the start of the invocation to its answer', async () => {
    const durations: number[] = [];
    const clock = new FakeClock();
    const processor: RecordProcessor = {
      async process() {
        clock.nowValueMs += 250;
      },
    };
    const { handler } = setup([], { clock, processor, metrics: { count: () => {}, durationMs: (_, ms) => durations.push(ms), flush: () => {} } });
    await handler(kafkaEvent(recordRange(0, 0, 2)));
    expect(durations).toEqual([500]);
  });
});
