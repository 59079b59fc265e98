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
import { FailureLog } from '../../helpers/failure-log';
import { failed, kafkaEvent, type RecordSpec } from '../../helpers/kafka-events';
import { FakeClock, FakeStore } from './fake-store';
import { manualEvery } from './manual-every';
import { createCallerCheck } from '../../../lib/consume/caller-check';
import { noMetrics } from '../../../lib/observability/metrics';
import { stampedCallerHeader, TEST_KEY_RING } from '../../helpers/caller-keys';

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
  const log = new FailureLog();
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
  // printf 'iam:AIDAEXAMPLEALICE' | sha256sum, and the same for bob.
  const ALICE = 'sha256:52bb9314aaed7ee64c42819cede4206be40e8de4baff18b4e4c0c730c4115196';
  const BOB = 'sha256:b17aa054d85fe96b972016d8e18ea988ef47dc23e369223603c2326d16ab9e69';
  // The same digests in base64url, as the caller-qualified identity carries them.
  const ALICE_ID = 'c2hhMjU2OjUyYmI5MzE0YWFlZDdlZTY0YzQyODE5Y2VkZTQyMDZiZTQwZThkZTRiYWZmMThiNGU0YzBjNzMwYzQxMTUxOTY';
  const BOB_ID = 'c2hhMjU2OmIxN2FhMDU0ZDg1ZmU5NmI5NzIwMTZkOGUxOGVhOTg4ZWY0N2RjMjNlMzY5MjIzNjAzYzIzMjZkMTZhYjllNjk';
  /** A record as the produce function writes it for `caller`: its caller header MAC-ed over it. */
  const stamped = (offset: number, caller: string, from: string, id = 'same'): RecordSpec => ({
    offset,
    value: { from },
    headers: { 'message-id': id, 'x-caller-id': stampedCallerHeader(caller, { topic: 'orders', messageId: id, value: JSON.stringify({ from }) }) },
  });
  const checked = () => setup({ checkCaller: createCallerCheck(TEST_KEY_RING, noMetrics) });

  it("applies two callers' records with one message id as two messages, each under its caller-qualified identity", async () => {
    const { handler, processor, store } = checked();
    const event = kafkaEvent([stamped(1, ALICE, 'alice'), stamped(2, BOB, 'bob')]);
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    expect(processor.applied).toEqual(['0:1', '0:2']);
    expect(processor.contexts.map(({ messageId, callerId }) => ({ messageId, callerId }))).toEqual([
      { messageId: `caller:${ALICE_ID}:same`, callerId: ALICE },
      { messageId: `caller:${BOB_ID}:same`, callerId: BOB },
    ]);
    expect([...store.items.keys()].sort()).toEqual([`consume:test:caller:${ALICE_ID}:same`, `consume:test:caller:${BOB_ID}:same`]);
  });

  it("attributes no forged caller header to its victim: the victim's plain digest, and the victim's header copied onto another record", async () => {
    const { handler, processor } = checked();
    const victims = stamped(1, ALICE, 'alice', 'order-1');
    const copied = { ...(victims.headers as Record<string, string>) };
    const event = kafkaEvent([
      victims,
      // Anyone who can write to the topic: the digest alone, as headers were before they carried a MAC.
      { offset: 2, value: { from: 'mallory' }, headers: { 'message-id': 'order-1', 'x-caller-id': ALICE } },
      // The victim's whole valid header on a record of one's own, to suppress or replace the victim's message.
      { offset: 3, value: { from: 'mallory' }, headers: copied },
      { offset: 4, value: { from: 'mallory' }, headers: { ...copied, 'message-id': 'order-2' } },
    ]);
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    // Offset 3 has the bare id and the payload of offset 2: a duplicate of that record, skipped; never the victim's message.
    expect(processor.applied).toEqual(['0:1', '0:2', '0:4']);
    expect(processor.contexts.map(({ messageId, callerId }) => ({ messageId, callerId }))).toEqual([
      { messageId: `caller:${ALICE_ID}:order-1`, callerId: ALICE },
      { messageId: 'order-1', callerId: undefined },
      { messageId: 'order-2', callerId: undefined },
    ]);
  });

  it('keeps the bare message id for a record without a caller, and for one with an empty caller header', async () => {
    const { handler, processor } = checked();
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

  it('attributes no caller at all without a check: a batch handler never trusts an unchecked header', async () => {
    const { handler, processor } = setup();
    await handler(kafkaEvent([stamped(1, ALICE, 'alice')]));
    expect(processor.contexts.map(({ messageId, callerId }) => ({ messageId, callerId }))).toEqual([{ messageId: 'same', callerId: undefined }]);
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
