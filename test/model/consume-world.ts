/**
 * The system under test of the consume model, wired as Lambda runs it: for each delivery a
 * batch handler ({@link createBatchHandler}) over the shared idempotency store and messages
 * table, its requests passing through the {@link Switchboard} with the delivery's fault plan.
 * Deliveries may overlap (a rebalance, a redelivery while the first invocation still runs),
 * be held, crash, and wait on a fake clock.
 *
 * A history ends with {@link ConsumeWorld.drain}: the faults heal, the interrupted
 * invocations run to their answers, and the event source delivers what is left until every
 * record is done or dead-lettered (or the deliveries run out).
 */
import { createBatchHandler, type BatchHandler, type InvocationContext } from '../../lib/consume/batch-handler';
import { createMessagesProcessor } from '../../lib/consume/messages-processor';
import { consumeIdempotencyKey } from '../../lib/consume/message-id';
import type { ConsumeStore } from '../../lib/consume/partition-worker';
import type { RecordProcessor, RunItem } from '../../lib/consume/processor';
import type { MessageItem } from '../../lib/dynamo/messages-table';
import { IdempotencyStatus } from '../../lib/idempotency/types';
import { silentLogger } from '../../lib/logger';
import { kafkaEvent, type RecordSpec } from '../helpers/kafka-events';
import { consumeViolations } from './consume-invariants';
import { EventSourceModel, failedRecords, MODEL_TOPIC, recordName, recordText, type LogRecord } from './event-source-model';
import { FaultyStore } from './faulty-store';
import { ModelSink } from './model-sink';
import { createRecordAtATimeProcessor } from './record-processor';
import { type Actor, type PlannedFault, shortOwner, Switchboard } from './switchboard';

/** Which processor applies the records. */
export const ProcessorKind = {
  /** The default processor (`processRun`: one batched write, conditional writes after an earlier attempt). */
  Default: 'default',
  /** A user's processor with `process` only (see ./record-processor). */
  RecordAtATime: 'record-at-a-time',
} as const;
export type ProcessorKind = (typeof ProcessorKind)[keyof typeof ProcessorKind];

/** What a history starts from. */
export interface ConsumeSetup {
  /** The Kafka log, one array of records per partition, offsets from 0. */
  log: LogRecord[][];
  processor: ProcessorKind;
}

/** How one delivery is made. */
export interface DeliveryOptions {
  /** With a deadline (Lambda's context), so the invocation waits out held keys and errors; else it never waits. */
  waits: boolean;
  /** From offset 0 rather than from the event source's position: a replay after a rebalance. */
  fromStart: boolean;
  plan: readonly PlannedFault[];
}

/** The lease of a claim, as `CONSUME_LEASE_MS` defaults it. */
export const LEASE_MS = 30_000;
/** The function's timeout, as `CONSUME_FUNCTION_TIMEOUT_SEC` defaults it. */
export const FUNCTION_TIMEOUT_MS = 60_000;
/** The event source's retries of a failing record before it dead-letters it. */
export const MAX_RETRIES = 2;
// Enough steps for every interrupted invocation to answer: about 30 pauses each until its deadline.
const DRAIN_STEP_LIMIT = 2_000;

/** Builds the consume record spec of a log record. */
function recordSpec(record: LogRecord): RecordSpec {
  return { topic: MODEL_TOPIC, partition: record.partition, offset: record.offset, value: { v: record.value }, headers: { 'message-id': record.messageId } };
}

/** See the module comment. */
export class ConsumeWorld {
  readonly board = new Switchboard();
  readonly esm: EventSourceModel;
  readonly sink: ModelSink;
  private readonly invocations: Actor[] = [];
  private readonly errors: string[] = [];
  private healed = false;

  /**
   * @param store - the shared idempotency store (in memory, or DynamoDB on dynalite).
   * @param scope - the consumer scope of the keys (unique per history on a shared store).
   */
  constructor(
    readonly setup: ConsumeSetup,
    private readonly store: ConsumeStore,
    private readonly scope = 'model',
  ) {
    this.esm = new EventSourceModel(setup.log, MAX_RETRIES);
    this.sink = new ModelSink(this.board, (writer, item) => this.leaseOf(writer, item));
  }

  /** Delivers `partitions` to a new invocation, which runs until it blocks or answers. */
  async deliver(partitions: readonly number[], options: DeliveryOptions): Promise<void> {
    const batch = this.esm.batch(partitions, options.fromStart);
    if (batch.length === 0) return;
    const actor = this.board.actor(`inv${this.invocations.length + 1}`, options.plan, FUNCTION_TIMEOUT_MS);
    this.invocations.push(actor);
    const healed = this.healed;
    const reasons = new Map<number, string>();
    this.board.note(`${actor.id} delivered ${batch.map(recordText).join(' ')}${options.waits ? ', may wait' : ''}`);
    this.handlerOf(actor, reasons)(kafkaEvent(batch.map(recordSpec)), this.contextOf(actor, options.waits)).then(
      (response) => {
        actor.finished = true;
        const failed = failedRecords(response).map(recordName);
        this.board.note(`${actor.id} answered: ${failed.length === 0 ? 'all done' : `failed ${failed.join(' ')} (${[...reasons.values()].join('; ')})`}`);
        this.esm.answer(batch, response, reasons, healed);
      },
      (error: unknown) => {
        actor.finished = true;
        this.errors.push(`${actor.id} threw: ${String(error)}`);
      },
    );
    await this.board.settle();
  }

  /** Invocations started, not answered and not crashed. */
  live(): Actor[] {
    return this.invocations.filter(({ finished, crashed }) => !finished && !crashed);
  }

  /** Crashes the `index`-th live invocation (modulo their number). */
  crash(index: number): void {
    const live = this.live();
    if (live.length > 0) this.board.crash(live[index % live.length] as Actor);
  }

  /** Ticks the claim renewals of the `index`-th live invocation (modulo their number). */
  async tick(index: number): Promise<void> {
    const live = this.live();
    if (live.length > 0) await this.board.tick(live[index % live.length] as Actor);
  }

  /** Heals the faults, lets the interrupted invocations answer, and redelivers until every record is done or dead-lettered. */
  async drain(): Promise<void> {
    this.board.heal();
    this.healed = true;
    await this.runToAnswers();
    const records = this.setup.log.flat().length;
    for (let delivery = 0; delivery < records * (MAX_RETRIES + 1) + 2 && this.esm.unfinished().length > 0; delivery += 1) {
      await this.deliver(this.esm.unfinished(), { waits: true, fromStart: false, plan: [] });
      await this.runToAnswers();
    }
  }

  /** The promises the history broke (call after {@link drain}). */
  violations(): string[] {
    const stuck = this.live().map(({ id }) => `${id} never answered`);
    return consumeViolations({
      log: this.setup.log,
      fates: this.esm.fates,
      sink: this.sink.values(),
      writes: this.sink.writes,
      unfinished: this.esm.unfinished(),
      stuck: [...stuck, ...this.errors],
    });
  }

  /** Releases held requests and fires timers until no invocation is left running. */
  private async runToAnswers(): Promise<void> {
    for (let step = 0; step < DRAIN_STEP_LIMIT && this.live().length > 0; step += 1) {
      if (await this.board.release(0)) continue;
      if (!(await this.board.fireNextTimer())) return;
    }
  }

  /** A batch handler as Lambda would run it for `actor`, its requests through the switchboard; it tells `reasons` each partition's stop reason. */
  private handlerOf(actor: Actor, reasons: Map<number, string>): BatchHandler {
    return createBatchHandler({
      store: new FaultyStore(this.store, this.board, actor, (key) => key.slice(`consume:${this.scope}:`.length)),
      processor: this.processorOf(actor),
      clock: this.board.clock,
      logger: silentLogger,
      scope: this.scope,
      leaseMs: LEASE_MS,
      ttlSeconds: 86_400,
      sleep: this.board.sleepOf(actor),
      every: this.board.everyOf(actor),
      onRecordFailed: ({ partition, reason }) => reasons.set(partition, reason),
    });
  }

  /** The history's processor for `actor`, telling the sink when each record's effect starts. */
  private processorOf(actor: Actor): RecordProcessor {
    const table = this.sink.viewOf(actor);
    const { clock } = this.board;
    const inner = this.setup.processor === ProcessorKind.Default ? createMessagesProcessor(table, clock) : createRecordAtATimeProcessor(table, clock);
    const start = (items: readonly RunItem[]): Promise<void> =>
      this.sink.startEffects(
        actor,
        items.map(({ record, context }) => ({ messageId: context.messageId, topic: record.topic, partition: record.partition })),
      );
    const processor: RecordProcessor = {
      process: async (record, context) => {
        await start([{ record, context }]);
        await inner.process(record, context);
      },
    };
    const { processRun } = inner;
    if (processRun !== undefined) {
      processor.processRun = async (items) => {
        await start(items);
        await processRun(items);
      };
    }
    return processor;
  }

  private contextOf(actor: Actor, waits: boolean): InvocationContext {
    if (!waits) return { awsRequestId: actor.id };
    const startedMs = this.board.clock.nowMs();
    return { awsRequestId: actor.id, getRemainingTimeInMillis: () => startedMs + FUNCTION_TIMEOUT_MS - this.board.clock.nowMs() };
  }

  /** Until when `writer`'s worker for the message's partition holds a live claim on it (read straight from the store). */
  private async leaseOf(writer: Actor, message: Pick<MessageItem, 'messageId' | 'topic' | 'partition'>): Promise<number | undefined> {
    const nowMs = this.board.clock.nowMs();
    const key = consumeIdempotencyKey(this.scope, message.messageId);
    const claim = (await this.store.getMany([key], nowMs)).get(key);
    const held = claim?.status === IdempotencyStatus.InProgress && shortOwner(claim.owner) === `${writer.id}/${message.topic}-${message.partition}`;
    return held && claim.leaseExpiresAtMs >= nowMs ? claim.leaseExpiresAtMs : undefined;
  }
}
