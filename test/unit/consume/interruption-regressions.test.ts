/**
 * Histories the claim-protocol model (test/model/consume-model.ts) found, shrunk, written out
 * as plain tests with hand-written expectations: an invocation interrupted between steps (a
 * completion refused, a claim whose answer was lost after the store committed it, a renewal
 * while an effect is held up) must not let a record be reported done without its own payload
 * in the sink, nor a message be written twice.
 */
import { describe, expect, it } from 'vitest';
import { createBatchHandler, type InvocationContext } from '../../../lib/consume/batch-handler';
import { createMessagesProcessor } from '../../../lib/consume/messages-processor';
import type { ConsumeStore } from '../../../lib/consume/partition-worker';
import type { RecordProcessor } from '../../../lib/consume/processor';
import type { MessagesTable } from '../../../lib/dynamo/messages-table';
import { StoreUnavailableError } from '../../../lib/errors';
import type { Claim, ClaimOutcome } from '../../../lib/idempotency/types';
import { silentLogger } from '../../../lib/logger';
import { failed, kafkaEvent, type RecordSpec } from '../../helpers/kafka-events';
import { MemoryMessagesTable } from '../../helpers/memory-messages-table';
import { createRecordAtATimeProcessor } from '../../model/record-processor';
import { FakeClock, FakeStore } from './fake-store';
import { manualEvery } from './manual-every';

const REUSED = 'message id reused with a different payload';
const COMPLETION_FAILED = 'completion failed';

/** The in-memory store, except that the claims numbered in `loseAnswers` (1-based, absent-only claims included) take effect and then fail, as a lost answer does. */
class AnswerLosingStore extends FakeStore implements ConsumeStore {
  readonly loseAnswers = new Set<number>();
  private claims = 0;
  override async claim(claim: Claim, nowMs: number): Promise<ClaimOutcome> {
    return this.answer(await super.claim(claim, nowMs));
  }
  override async claimAbsent(claim: Claim): Promise<ClaimOutcome> {
    return this.answer(await super.claimAbsent(claim));
  }
  private answer(outcome: ClaimOutcome): ClaimOutcome {
    this.claims += 1;
    if (this.loseAnswers.has(this.claims)) throw new StoreUnavailableError('the idempotency store is unavailable; retry later');
    return outcome;
  }
}

/** A record of topic `orders` with a `message-id` header and the value `{v}`. */
const message = (partition: number, offset: number, id: string, v: number): RecordSpec => ({ partition, offset, value: { v }, headers: { 'message-id': id } });

/** Lets the handlers run until each waits on something the test holds. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(makeProcessor: (table: MessagesTable, clock: FakeClock) => RecordProcessor = createMessagesProcessor) {
  const store = new AnswerLosingStore();
  const clock = new FakeClock();
  const table = new MemoryMessagesTable();
  const failures: string[] = [];
  /** A new invocation's handler (each has its own renewal schedule), writing through `sink`. */
  const invocation = (sink: MessagesTable = table) => {
    const renewals = manualEvery();
    const handle = createBatchHandler({
      store,
      processor: makeProcessor(sink, clock),
      clock,
      logger: silentLogger,
      scope: 'test',
      leaseMs: 30_000,
      ttlSeconds: 86_400,
      every: renewals.every,
      sleep: async (ms) => void (clock.nowValueMs += ms),
      onRecordFailed: ({ partition, offset, reason }) => failures.push(`orders-${partition}@${offset} ${reason}`),
    });
    return { handle, tick: renewals.tick };
  };
  /** A context with a minute left from now, so the handler may wait (as Lambda's does). */
  const minuteLeft = (): InvocationContext => {
    const startedMs = clock.nowMs();
    return { getRemainingTimeInMillis: () => startedMs + 60_000 - clock.nowMs() };
  };
  return { store, clock, table, failures, invocation, minuteLeft };
}

describe('interrupted invocations (regressions found by the claim-protocol model)', () => {
  it('fails as reused a record whose id another payload claimed and applied but could not complete, and completes the applied one on its redelivery', async () => {
    // Model history: log p0 [a=1], p1 [a=2]; deliver(p1, complete#1:refuse); then the redeliveries.
    const { store, table, failures, invocation, minuteLeft } = setup();
    const { handle } = invocation();
    store.failCompletionCalls.add(1);
    expect(await handle(kafkaEvent([message(1, 0, 'a', 2)]))).toEqual({ batchItemFailures: [failed('orders-1', 0)] });
    expect(failures).toEqual([`orders-1@0 ${COMPLETION_FAILED}`]);

    expect(await handle(kafkaEvent([message(0, 0, 'a', 1)]), minuteLeft())).toEqual({ batchItemFailures: [failed('orders-0', 0)] });
    expect(failures[1]).toBe(`orders-0@0 ${REUSED}`);
    expect(await handle(kafkaEvent([message(1, 0, 'a', 2)]), minuteLeft())).toEqual({ batchItemFailures: [] });
    expect(table.values()).toEqual({ a: { v: 2 } });
    expect(table.writes.get('a')).toBe(1);
  });

  it('does not write a message twice when a takeover claim commits, its answer is lost, and the retry returns the invocation its own item', async () => {
    // Model history: log p0 [b=2]; deliver(p0, complete#1:refuse); deliver(p0, waits, claim#1:lose).
    const { store, table, invocation, minuteLeft } = setup();
    const { handle } = invocation();
    store.failCompletionCalls.add(1);
    expect(await handle(kafkaEvent([message(0, 0, 'b', 2)]))).toEqual({ batchItemFailures: [failed('orders-0', 0)] });
    expect(table.writes.get('b')).toBe(1);

    // The second invocation's first claim (the store's second) takes over the abandoned claim; its answer is lost.
    store.loseAnswers.add(2);
    expect(await handle(kafkaEvent([message(0, 0, 'b', 2)]), minuteLeft())).toEqual({ batchItemFailures: [] });
    expect(table.values()).toEqual({ b: { v: 2 } });
    expect(table.writes.get('b')).toBe(1);
  });

  it("tells a record-at-a-time processor of the earlier attempt a renewal found while the run's first effect was held up", async () => {
    // Model history: log p1 [a=2, b=1], record-at-a-time; deliver(p1, write#1:hold-before);
    // advance(30001); deliver(p1, complete#1:refuse); tick(0); then the held write goes on.
    const { store, clock, table, invocation } = setup(createRecordAtATimeProcessor);
    let goOn = (): void => {};
    const heldUp = new Promise<void>((resolve) => (goOn = resolve));
    let firstWrite = true;
    const slowFirstWrite: MessagesTable = {
      putAll: async (items) => {
        if (firstWrite) {
          firstWrite = false;
          await heldUp;
        }
        await table.putAll(items);
      },
      putOnce: (item) => table.putOnce(item),
    };
    const event = kafkaEvent([message(1, 0, 'a', 2), message(1, 1, 'b', 1)]);
    const first = invocation(slowFirstWrite);
    const firstAnswer = first.handle(event);
    await flush();

    // The first invocation's claims run out while a's write hangs; a redelivery takes both
    // over, writes them (only if absent), cannot complete them and abandons them.
    clock.nowValueMs += 30_001;
    store.failCompletionCalls.add(1);
    expect(await invocation().handle(event)).toEqual({ batchItemFailures: [failed('orders-1', 0), failed('orders-1', 1)] });
    expect(table.writes.get('b')).toBe(1);

    // The first invocation's renewals take the abandoned claims over: b's effect, still to
    // come, must be told that an earlier attempt may have written it.
    first.tick();
    await flush();
    goOn();
    await firstAnswer;
    expect(table.values()).toEqual({ a: { v: 2 }, b: { v: 1 } });
    expect(table.writes.get('b')).toBe(1);
  });
});
