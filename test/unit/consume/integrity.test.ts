/**
 * Consume integrity with fakes and a fake clock: a reused message id with another payload
 * fails; two partitions of one event never share a claim; claims are renewed before and during
 * an effect, and a record whose claim was taken over fails instead of being completed.
 */
import { describe, expect, it } from 'vitest';
import { createBatchHandler, type BatchHandlerDeps } from '../../../lib/consume/batch-handler';
import type { ConsumedRecord } from '../../../lib/consume/event';
import type { ProcessContext, RecordProcessor } from '../../../lib/consume/processor';
import { IdempotencyStatus } from '../../../lib/idempotency/types';
import type { Logger } from '../../../lib/logger';
import { failed, kafkaEvent, type RecordSpec } from '../../helpers/kafka-events';
import { FakeClock, FakeStore } from './fake-store';
import { manualEvery } from './manual-every';

/** Records every `record failed` warning as `<partition>:<offset> <reason>`. */
class WarningLog implements Logger {
  readonly failures: string[] = [];
  debug(): void {}
  info(): void {}
  error(): void {}
  warn(message: string, fields: Record<string, unknown> = {}): void {
    if (message === 'record failed') this.failures.push(`${String(fields.partition)}:${String(fields.offset)} ${String(fields.reason)}`);
  }
}

/** Applies records, remembering `<partition>:<offset>` and the context it was given. */
class RecordingProcessor implements RecordProcessor {
  readonly applied: string[] = [];
  readonly contexts: ProcessContext[] = [];
  constructor(private readonly during: (record: ConsumedRecord) => Promise<void> | void = () => {}) {}
  async process(record: ConsumedRecord, context: ProcessContext): Promise<void> {
    await this.during(record);
    this.applied.push(`${record.partition}:${record.offset}`);
    this.contexts.push(context);
  }
}

function setup(overrides: Partial<BatchHandlerDeps> = {}) {
  const store = new FakeStore();
  const clock = new FakeClock();
  const log = new WarningLog();
  const processor = new RecordingProcessor();
  const handler = createBatchHandler({ store, processor, clock, logger: log, scope: 'test', leaseMs: 30_000, ttlSeconds: 86_400, ...overrides });
  return { store, clock, log, processor, handler };
}

const REUSED = 'message id reused with a different payload';
const LOST = 'claim lost: its lease ran out and another invocation took the message over';
const withId = (offset: number, id: string, value: unknown, extra: Partial<RecordSpec> = {}): RecordSpec => ({
  offset,
  value,
  headers: { 'message-id': id },
  ...extra,
});

describe('a message id reused with another payload', () => {
  it('fails when the id was completed with another payload, and costs no request beyond the batch read', async () => {
    const { handler, store, processor, log } = setup();
    await handler(kafkaEvent([withId(1, 'm-1', { amount: 5 })]));
    const before = store.total();
    expect(await handler(kafkaEvent([withId(2, 'm-1', { amount: 500 }), withId(3, 'm-2', { amount: 1 })]))).toEqual({
      batchItemFailures: [failed('orders-0', 2), failed('orders-0', 3)],
    });
    expect(store.total() - before).toBe(1);
    expect(processor.applied).toEqual(['0:1']);
    expect(log.failures).toEqual([`orders-0:2 ${REUSED}`]);
  });

  it('fails it again on every redelivery (so the event source dead-letters it), while the same payload stays a duplicate', async () => {
    const { handler, processor } = setup();
    await handler(kafkaEvent([withId(1, 'm-1', { amount: 5 })]));
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect(await handler(kafkaEvent([withId(2, 'm-1', { amount: 500 })]))).toEqual({ batchItemFailures: [failed('orders-0', 2)] });
    }
    expect(await handler(kafkaEvent([withId(4, 'm-1', { amount: 5 })]))).toEqual({ batchItemFailures: [] });
    expect(processor.applied).toEqual(['0:1']);
  });

  it('tells the payload by key as well as value', async () => {
    const { handler } = setup();
    await handler(kafkaEvent([withId(1, 'm-1', { amount: 5 }, { key: 'a' })]));
    expect(await handler(kafkaEvent([withId(2, 'm-1', { amount: 5 }, { key: 'b' })]))).toEqual({ batchItemFailures: [failed('orders-0', 2)] });
  });

  it('fails the second of two records with one id and different payloads in one batch', async () => {
    const { handler, processor, log } = setup();
    expect(await handler(kafkaEvent([withId(1, 'm-1', { amount: 5 }), withId(2, 'm-1', { amount: 6 }), withId(3, 'm-3', {})]))).toEqual({
      batchItemFailures: [failed('orders-0', 2), failed('orders-0', 3)],
    });
    expect(processor.applied).toEqual(['0:1']);
    expect(log.failures).toEqual([`orders-0:2 ${REUSED}`]);
  });

  it('skips the second of two records with one id and the same payload in one batch', async () => {
    const { handler, processor } = setup();
    expect(await handler(kafkaEvent([withId(1, 'm-1', { amount: 5 }), withId(2, 'm-1', { amount: 5 })]))).toEqual({ batchItemFailures: [] });
    expect(processor.applied).toEqual(['0:1']);
  });

  it('fails the copy in another partition of the same event once the first copy is completed', async () => {
    const { handler, processor, log, clock } = setup({ sleep: async (ms) => void (clock.nowValueMs += ms) });
    const startedMs = clock.nowMs();
    const context = { getRemainingTimeInMillis: () => startedMs + 60_000 - clock.nowMs() };
    const response = await handler(kafkaEvent([withId(1, 'm-1', { amount: 5 }, { partition: 0 }), withId(7, 'm-1', { amount: 6 }, { partition: 1 })]), context);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(processor.applied).toHaveLength(1);
    expect(log.failures).toHaveLength(1);
    expect(log.failures[0]).toMatch(new RegExp(`^orders-[01]:[17] ${REUSED}$`));
  });

  it('treats a completion stored without a hash (written before hashes were stored) as the same message', async () => {
    const { handler, store, processor } = setup();
    store.items.set('consume:test:m-1', {
      key: 'consume:test:m-1',
      status: IdempotencyStatus.Completed,
      owner: 'old',
      leaseExpiresAtMs: 0,
      expiresAtEpochSec: 4_000_000_000,
    });
    expect(await handler(kafkaEvent([withId(2, 'm-1', { anything: true })]))).toEqual({ batchItemFailures: [] });
    expect(processor.applied).toEqual([]);
  });

  it('stores the payload hash with the claim and the completion', async () => {
    const { handler, store } = setup();
    await handler(kafkaEvent([withId(1, 'm-1', { amount: 5 })]));
    expect(store.items.get('consume:test:m-1')?.payloadHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('caller identity', () => {
  it("applies two callers' records with one message id as two messages, each under its caller-qualified identity", async () => {
    const { handler, processor, store } = setup();
    const event = kafkaEvent([
      { offset: 1, value: { from: 'alice' }, headers: { 'message-id': 'same', 'x-caller-id': 'alice' } },
      { offset: 2, value: { from: 'bob' }, headers: { 'message-id': 'same', 'x-caller-id': 'bob' } },
    ]);
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(processor.applied).toEqual(['0:1', '0:2']);
    // "alice" and "bob" in base64url.
    expect(processor.contexts.map(({ messageId, callerId }) => ({ messageId, callerId }))).toEqual([
      { messageId: 'caller:YWxpY2U:same', callerId: 'alice' },
      { messageId: 'caller:Ym9i:same', callerId: 'bob' },
    ]);
    expect([...store.items.keys()].sort()).toEqual(['consume:test:caller:YWxpY2U:same', 'consume:test:caller:Ym9i:same']);
  });

  it('keeps the bare message id for a record without a caller, and for one with an empty caller header', async () => {
    const { handler, processor } = setup();
    await handler(
      kafkaEvent([
        { offset: 1, headers: { 'message-id': 'plain' } },
        { offset: 2, headers: { 'message-id': 'empty', 'x-caller-id': '' } },
      ]),
    );
    expect(processor.contexts).toEqual([
      { messageId: 'plain', invocationId: expect.any(String), earlierAttempt: false },
      { messageId: 'empty', invocationId: expect.any(String), earlierAttempt: false },
    ]);
  });
});

describe('one owner per partition worker', () => {
  const sameIdInTwoPartitions = kafkaEvent([withId(1, 'm-1', { n: 1 }, { partition: 0 }), withId(5, 'm-1', { n: 1 }, { partition: 1 })]);

  it('applies a message present in two partitions of one event once; the other partition waits and skips it', async () => {
    const { handler, processor, clock } = setup({ sleep: async (ms) => void (clock.nowValueMs += ms) });
    const startedMs = clock.nowMs();
    const context = { getRemainingTimeInMillis: () => startedMs + 60_000 - clock.nowMs() };
    expect(await handler(sameIdInTwoPartitions, context)).toEqual({ batchItemFailures: [] });
    expect(processor.applied).toHaveLength(1);
  });

  it("reports the other partition's copy failed when the invocation cannot wait", async () => {
    const { handler, processor } = setup();
    const response = await handler(sameIdInTwoPartitions);
    expect(processor.applied).toHaveLength(1);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(['orders-0', 'orders-1']).toContain(response.batchItemFailures[0]?.itemIdentifier.partition);
  });

  it('claims under an owner naming the invocation and the partition', async () => {
    const owners: string[] = [];
    const { handler, store } = setup();
    // Both keys are new: each is claimed as absent.
    const claimAbsent = store.claimAbsent.bind(store);
    store.claimAbsent = async (request) => {
      owners.push(request.owner);
      return claimAbsent(request);
    };
    await handler(
      kafkaEvent([
        { offset: 1, partition: 0 },
        { offset: 1, partition: 3 },
      ]),
      { awsRequestId: 'req-1' },
    );
    expect(owners.sort()).toEqual([expect.stringMatching(/^req-1:[0-9a-f-]{36}\/orders-0$/), expect.stringMatching(/^req-1:[0-9a-f-]{36}\/orders-3$/)]);
  });
});

describe('claims fenced while the effect runs', () => {
  it('renews a claim issued ahead before its effect when less than half its lease is left', async () => {
    const clock = new FakeClock();
    const leases: number[] = [];
    const { handler, store } = setup({
      clock,
      leaseMs: 30_000,
      claimsAhead: 5,
      processor: new RecordingProcessor((record) => {
        const item = store.items.get(`consume:test:orders-0-${record.offset}`);
        leases.push((item?.leaseExpiresAtMs ?? 0) - clock.nowMs());
        // Each effect takes 10 s: the claims issued ahead age.
        clock.nowValueMs += 10_000;
      }),
    });
    expect(await handler(kafkaEvent([{ offset: 0 }, { offset: 1 }, { offset: 2 }, { offset: 3 }]))).toEqual({ batchItemFailures: [] });
    // Every effect starts with at least half the lease (15 s) left.
    expect(leases.every((leftMs) => leftMs >= 15_000)).toBe(true);
    // Offsets 0..3 claimed ahead at 0 s; offset 2 (20 s in) and offset 3 (30 s in) renewed first.
    expect(store.requests.claim).toBe(6);
  });

  it('renews the claim while a long effect runs', async () => {
    const { every, tick } = manualEvery();
    const clock = new FakeClock();
    const seenLeases: number[] = [];
    const { handler, store } = setup({
      clock,
      every,
      processor: new RecordingProcessor(async () => {
        for (let i = 0; i < 3; i += 1) {
          clock.nowValueMs += 10_000;
          tick();
          await new Promise((resolve) => setImmediate(resolve));
          seenLeases.push((store.items.get('consume:test:orders-0-0')?.leaseExpiresAtMs ?? 0) - clock.nowMs());
        }
      }),
    });
    expect(await handler(kafkaEvent([{ offset: 0 }]))).toEqual({ batchItemFailures: [] });
    // A 30 s effect under a 30 s lease: each renewal puts the lease 30 s ahead again.
    expect(seenLeases).toEqual([30_000, 30_000, 30_000]);
    expect(store.items.get('consume:test:orders-0-0')?.status).toBe(IdempotencyStatus.Completed);
  });

  it('stops renewing when the effect ends', async () => {
    const { every, active } = manualEvery();
    const { handler } = setup({ every });
    await handler(kafkaEvent([{ offset: 0 }, { offset: 1 }]));
    expect(active()).toBe(0);
  });

  it('fails a record whose claim was taken over during its effect, leaving the key to the new owner', async () => {
    const { every, tick } = manualEvery();
    const clock = new FakeClock();
    const { handler, store, log } = setup({
      clock,
      every,
      processor: new RecordingProcessor(async () => {
        // The renewals could not run (a blocked event loop, an unreachable store) and the lease ran out...
        clock.nowValueMs += 31_000;
        // ...so a redelivery took the message over.
        store.items.set('consume:test:orders-0-0', {
          key: 'consume:test:orders-0-0',
          status: IdempotencyStatus.InProgress,
          owner: 'redelivery',
          leaseExpiresAtMs: clock.nowMs() + 30_000,
          expiresAtEpochSec: 4_000_000_000,
        });
        tick();
        await new Promise((resolve) => setImmediate(resolve));
      }),
    });
    expect(await handler(kafkaEvent([{ offset: 0 }, { offset: 1 }]))).toEqual({ batchItemFailures: [failed('orders-0', 0), failed('orders-0', 1)] });
    expect(log.failures).toEqual([`orders-0:0 ${LOST}`]);
    expect(store.items.get('consume:test:orders-0-0')).toMatchObject({ status: IdempotencyStatus.InProgress, owner: 'redelivery' });
  });

  it('does not complete a record whose claim was taken over after its effect (the completion is fenced)', async () => {
    const { every } = manualEvery();
    const clock = new FakeClock();
    const { handler, store, log } = setup({
      every,
      clock,
      processor: new RecordingProcessor((record) => {
        if (record.offset !== 1) return;
        // The effect outlasts the lease with no renewal tick in between, and a redelivery
        // takes the record over: only the conditional completion can tell.
        clock.nowValueMs += 31_000;
        store.items.set('consume:test:orders-0-1', {
          key: 'consume:test:orders-0-1',
          status: IdempotencyStatus.InProgress,
          owner: 'redelivery',
          leaseExpiresAtMs: clock.nowValueMs + 30_000,
          expiresAtEpochSec: 4_000_000_000,
        });
      }),
    });
    expect(await handler(kafkaEvent([{ offset: 0 }, { offset: 1 }, { offset: 2 }]))).toEqual({
      batchItemFailures: [failed('orders-0', 1), failed('orders-0', 2)],
    });
    expect(log.failures).toEqual([`orders-0:1 ${LOST}`]);
    expect(store.items.get('consume:test:orders-0-1')).toMatchObject({ status: IdempotencyStatus.InProgress, owner: 'redelivery' });
    expect(store.items.get('consume:test:orders-0-0')?.status).toBe(IdempotencyStatus.Completed);
  });
});
