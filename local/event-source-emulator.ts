/**
 * A local stand-in for Lambda's Kafka event source mapping: it polls the topic with its own
 * consumer group (no auto-commit), builds the MSK event, invokes the handler, and moves each
 * partition's committed offset exactly as far as the handler's answer allows.
 *
 * - Success: commits past the batch.
 * - `batchItemFailures`: commits up to the lowest reported offset and delivers again from there.
 * - Thrown error (or an invalid answer): delivers the whole batch again.
 * - Each failing position is retried `maximumRetryAttempts` times after its first attempt,
 *   with exponential backoff; then the failing record (for a thrown error, the whole batch)
 *   goes to the on-failure topic and the partition moves past it.
 *
 * Retries are per partition: a partition waiting for its backoff is paused, so the other
 * partitions keep flowing. Each invocation carries the records of one partition (an MSK
 * event may carry several; one per invocation keeps partitions independent).
 *
 * Batching, as Lambda's poller does it: a partition's records are invoked once `batchSize`
 * of them are there (or the payload limit is reached), or once the batching window has passed
 * since the first of them was read, whichever comes first. Records short of a batch are held:
 * the partition is read again from them shortly, with whatever arrived meanwhile. Like the
 * poller, which reads on while the function runs, the window of records read during an
 * earlier invocation has been running since they were read.
 */
import { randomUUID } from 'node:crypto';
import type { MSKEvent } from 'aws-lambda';
import type { AppConfig } from '../lib/config';
import { systemClock, type Clock } from '../lib/clock';
import { createPartitionConsumer, type FetchedRecord, type PartitionBatch, type PartitionConsumer, type PartitionControl } from './kafka/consumer';
import { createKafkaRecordProducer, type RecordProducer } from '../lib/kafka/producer';
import { errorFields, type Logger } from '../lib/logger';
import { decideBatch, retryBackoffMs, type BatchDecision, type FailedBatchDecision, type FailingPosition, type RetryBackoff } from './batch-decision';
import { withTimeout } from '../lib/timeout';
import { batchOutcome, type BatchOutcome } from './batch-outcome';
import { deadLetterRecord } from './dead-letter';
import { StartingPosition, type EventSourceSettings } from './event-source-settings';
import { buildMskEvent, emulatedClusterArn, type EmulatedCluster } from './msk-event';
import { applySchemaRegistry, withSchemaMetadata, type EmulatedSchemaRegistry, type FramedDecoder } from './emulator/schema-registry';

export type { RetryBackoff } from './batch-decision';

/** The function the emulator feeds: the consume runtime's handler, or any with its shape. */
export type KafkaEventHandler = (event: MSKEvent, context: EmulatedContext) => Promise<unknown>;

/** The parts of Lambda's invocation context the emulator provides. */
export interface EmulatedContext {
  awsRequestId: string;
  /** Milliseconds until the invocation times out (`invocationTimeoutMs` after it started). */
  getRemainingTimeInMillis(): number;
}

/** Options of {@link startEventSourceEmulator}. */
export interface EventSourceEmulatorOptions {
  config: AppConfig;
  settings: EventSourceSettings;
  handler: KafkaEventHandler;
  logger: Logger;
  clock?: Clock;
  /** Overrides `settings.maximumBatchingWindowInSeconds` with a finer unit (tests use tens of ms). */
  batchingWindowMs?: number;
  retryBackoff?: RetryBackoff;
  /** Longest an invocation may run before it counts as failed (Lambda's function timeout). */
  invocationTimeoutMs?: number;
  /** The function's last reason for failing a record, if it told one (see `onRecordFailed` of the consume runtime). */
  failureReason?: (topic: string, partition: number, offset: number) => string | undefined;
  /** The mapping's schema registry integration (deploy/event-source.json `schemaRegistry`); none by default. */
  schemaRegistry?: { settings: EmulatedSchemaRegistry; decoder: FramedDecoder };
}

/** Counters since start, for logs, tests and benchmarks. */
export interface EmulatorStats {
  invocations: number;
  /** Records handed to the handler, counting redeliveries. */
  delivered: number;
  /** Records committed as processed. */
  processed: number;
  /** Invocations that failed and were scheduled again. */
  retried: number;
  deadLettered: number;
  /**
   * Records written to the topic and not yet committed, summed over the partitions as of each
   * one's last batch: what Lambda's `OffsetLag` metric shows for the event source mapping.
   */
  offsetLag: number;
}

/** A running emulator. */
export interface EventSourceEmulator {
  stats(): EmulatorStats;
  /** Lets the in-flight invocation finish and commit, then leaves the group and disconnects. */
  stop(): Promise<void>;
}

// Lambda's synchronous invocation payload limit; a batch is cut before it.
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const DEFAULT_BACKOFF: RetryBackoff = { initialMs: 200, maxMs: 5_000 };
// Well inside the consumer's session timeout (local/kafka/consumer.ts).
const HEARTBEAT_EVERY_MS = 1_000;
// The consume function's timeout in serverless.yml (consumeFunctionTimeoutSec).
export const DEFAULT_INVOCATION_TIMEOUT_MS = 60_000;
// How often a partition holding records short of a batch is read again within the window.
const HOLD_POLL_MS = 50;

function recordBytes(record: FetchedRecord): number {
  let bytes = 200 + Math.ceil(((record.key?.length ?? 0) + (record.value?.length ?? 0)) * (4 / 3));
  for (const header of record.headers) bytes += header.name.length + header.value.length * 4;
  return bytes;
}

/** Records for one invocation; `full` when the batch size or the payload limit cut it. */
interface Chunk {
  records: FetchedRecord[];
  full: boolean;
}

/** Splits a partition's records into invocations of at most `batchSize` records and the payload limit. */
function chunks(records: readonly FetchedRecord[], batchSize: number): Chunk[] {
  const result: Chunk[] = [];
  let current: FetchedRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record);
    if (current.length > 0 && (current.length >= batchSize || bytes + size > MAX_PAYLOAD_BYTES)) {
      result.push({ records: current, full: true });
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) result.push({ records: current, full: current.length >= batchSize });
  return result;
}

/**
 * Runs `task` while telling the group coordinator that this member is alive. Lambda's pollers
 * keep their group membership apart from the function; here the invocation runs inside the
 * consumer's batch callback, and an invocation longer than the session timeout (waiting out a
 * held key or a store outage) would otherwise get the member expelled and the batch redelivered.
 */
async function whileHeartbeating<T>(control: PartitionControl, task: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    // A failed heartbeat means a rebalance is under way; the commit after the task finds out.
    control.heartbeat().catch(() => {});
  }, HEARTBEAT_EVERY_MS);
  try {
    return await task();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Starts the emulator: joins `settings.consumerGroupId` on `settings.topic` and begins
 * invoking `handler`. Resolves once the consumer runs.
 *
 * @throws Error when the cluster cannot be reached or the group cannot be joined.
 */
export async function startEventSourceEmulator(options: EventSourceEmulatorOptions): Promise<EventSourceEmulator> {
  const { config, settings, handler, logger } = options;
  const clock = options.clock ?? systemClock;
  const backoff = options.retryBackoff ?? DEFAULT_BACKOFF;
  const invocationTimeoutMs = options.invocationTimeoutMs ?? DEFAULT_INVOCATION_TIMEOUT_MS;
  const windowMs = options.batchingWindowMs ?? settings.maximumBatchingWindowInSeconds * 1_000;
  const cluster: EmulatedCluster = { brokers: config.kafka.brokers, region: config.aws.region };
  const eventSourceArn = emulatedClusterArn(cluster);
  const stats: EmulatorStats = { invocations: 0, delivered: 0, processed: 0, retried: 0, deadLettered: 0, offsetLag: 0 };
  const lagByPartition = new Map<number, number>();
  /** The partition's lag once it resumes at `nextOffset`: records after it, up to the batch's high watermark. */
  const lagAfter = (batch: PartitionBatch, nextOffset: bigint): number => {
    const lag = Math.max(0, Number(BigInt(batch.highWatermark) - nextOffset));
    lagByPartition.set(batch.partition, lag);
    return lag;
  };
  const failing = new Map<number, FailingPosition>();
  /** Per partition, when each record not yet invoked was first read (its batching window's start). */
  const firstRead = new Map<number, Map<string, number>>();
  /** Notes when the records of `batch` were first read, forgetting those before it (invoked or skipped). */
  const noteRead = (batch: PartitionBatch): Map<string, number> => {
    const previous = firstRead.get(batch.partition);
    const nowMs = clock.nowMs();
    const readAt = new Map<string, number>();
    for (const record of batch.records) readAt.set(record.offset, previous?.get(record.offset) ?? nowMs);
    firstRead.set(batch.partition, readAt);
    return readAt;
  };
  const resumeTimers = new Set<NodeJS.Timeout>();
  let stopping = false;

  const deadLetters: RecordProducer = createKafkaRecordProducer(config.kafka, {
    logger,
    clock,
    timeoutMs: config.produce.timeoutMs,
  });

  const consumer: PartitionConsumer = createPartitionConsumer(config.kafka, {
    groupId: settings.consumerGroupId,
    topic: settings.topic,
    fromBeginning: settings.startingPosition === StartingPosition.TrimHorizon,
    maxWaitTimeMs: Math.max(windowMs, 100),
    minBytes: 1,
    partitionsConcurrently: Math.max(1, settings.partitions),
    logger,
    onAssigned: (partitions) => logger.info('event source: partitions assigned', { topic: settings.topic, partitions }),
  });

  /** Pauses the partition and reads it again from `offset` after `delayMs`. */
  const readAgainLater = (control: PartitionControl, offset: bigint, delayMs: number): void => {
    control.seek(offset);
    control.pause();
    const timer = setTimeout(() => {
      resumeTimers.delete(timer);
      if (!stopping) control.resume();
    }, delayMs);
    resumeTimers.add(timer);
  };

  /** Pauses the partition and delivers again from `offset` after the backoff for `attempt`. */
  const retryLater = (control: PartitionControl, offset: bigint, attempt: number): number => {
    const delayMs = retryBackoffMs(attempt, backoff);
    readAgainLater(control, offset, delayMs);
    return delayMs;
  };

  /**
   * Whether to hold `chunk` (short of a batch) for more records rather than invoke it now: while
   * the window since its first record was first read (`readAt`) lasts. A retry is never held:
   * Lambda delivers it again as soon as its backoff ends.
   */
  const holdForMore = (partition: number, chunk: Chunk, readAt: ReadonlyMap<string, number>, control: PartitionControl): boolean => {
    if (chunk.full || windowMs <= 0 || failing.has(partition)) return false;
    const first = (chunk.records[0] as FetchedRecord).offset;
    const nowMs = clock.nowMs();
    const leftMs = (readAt.get(first) ?? nowMs) + windowMs - nowMs;
    if (leftMs <= 0) return false;
    readAgainLater(control, BigInt(first), Math.min(HOLD_POLL_MS, leftMs));
    return true;
  };

  /** Records already sent to the on-failure topic by the schema check, so that a redelivery does not send them twice. */
  const refusedBySchema = new Set<string>();

  /**
   * The records the function gets, after the mapping's schema check (see ./emulator/schema-registry):
   * records it refuses go to the on-failure topic here, with their reason, and are counted as
   * dead-lettered; the function never sees them.
   */
  const schemaChecked = async (records: FetchedRecord[]): Promise<{ records: FetchedRecord[]; patch: (event: MSKEvent) => MSKEvent }> => {
    const registry = options.schemaRegistry;
    if (registry === undefined) return { records, patch: (event) => event };
    const { delivered, refused } = await applySchemaRegistry(records, registry.settings, registry.decoder);
    const fresh = refused.filter(({ record }) => !refusedBySchema.has(`${record.partition}:${record.offset}`));
    if (fresh.length > 0) {
      const nowMs = clock.nowMs();
      await deadLetters.send(
        settings.onFailureTopic,
        fresh.map(({ record, reason }) => deadLetterRecord(record, { invokeCount: 0, functionError: reason, reason, eventSourceArn, failedAtMs: nowMs })),
        { timeoutMs: config.produce.timeoutMs },
      );
      for (const { record, reason, detail } of fresh) {
        refusedBySchema.add(`${record.partition}:${record.offset}`);
        logger.warn('event source: record refused by the schema registry check', { partition: record.partition, offset: record.offset, reason, detail });
      }
      stats.deadLettered += fresh.length;
    }
    return { records: delivered.map((item) => item.record), patch: (event) => withSchemaMetadata(event, delivered) };
  };

  /** Invokes the handler with `records` under the request id `awsRequestId` and reads its answer. */
  const invoke = async (batchRecords: FetchedRecord[], awsRequestId: string): Promise<BatchOutcome> => {
    const [first] = batchRecords as [FetchedRecord];
    const offsets = { topic: first.topic, partition: first.partition, offsets: batchRecords.map((record) => BigInt(record.offset)) };
    let checked: Awaited<ReturnType<typeof schemaChecked>>;
    try {
      checked = await schemaChecked(batchRecords);
    } catch (error) {
      // The registry or the on-failure topic could not be reached: the batch is tried again.
      logger.warn('event source: the schema registry check failed', { partition: first.partition, firstOffset: first.offset, ...errorFields(error) });
      return batchOutcome(offsets, { error });
    }
    const { records } = checked;
    // Every record refused: nothing to invoke, and the batch is done.
    if (records.length === 0) return batchOutcome(offsets, { response: { batchItemFailures: [] } });
    const event = checked.patch(buildMskEvent(cluster, records));
    stats.invocations += 1;
    stats.delivered += records.length;
    let answer: { response: unknown } | { error: unknown };
    try {
      const deadlineMs = clock.nowMs() + invocationTimeoutMs;
      const context: EmulatedContext = { awsRequestId, getRemainingTimeInMillis: () => Math.max(0, deadlineMs - clock.nowMs()) };
      answer = { response: await withTimeout(handler(event, context), invocationTimeoutMs) };
    } catch (error) {
      logger.warn('event source: the function failed', {
        partition: first.partition,
        firstOffset: first.offset,
        lastOffset: (records[records.length - 1] as FetchedRecord).offset,
        awsRequestId,
        ...errorFields(error),
      });
      answer = { error };
    }
    // Over the whole batch: a refused record between reported failures was already sent on.
    return batchOutcome(offsets, answer);
  };

  /**
   * The fields every batch log line carries. The request id is the one the function saw
   * (`context.awsRequestId`), so the function's own lines about the invocation can be found.
   */
  const summaryOf = (batch: PartitionBatch, offsets: readonly bigint[], startedMs: number, awsRequestId: string) => ({
    topic: batch.topic,
    partition: batch.partition,
    firstOffset: (offsets[0] as bigint).toString(),
    lastOffset: (offsets[offsets.length - 1] as bigint).toString(),
    delivered: offsets.length,
    awsRequestId,
    durationMs: clock.nowMs() - startedMs,
  });
  type Summary = ReturnType<typeof summaryOf>;

  /**
   * Sends the records `decision` names to the on-failure topic and commits past them;
   * resolves with where the partition resumes, or undefined when the send failed (the
   * position is then tried again later).
   */
  const deadLetter = async (
    batch: PartitionBatch,
    control: PartitionControl,
    records: readonly FetchedRecord[],
    decision: Extract<BatchDecision, { kind: 'dead-letter' }>,
    summary: Summary,
  ): Promise<bigint | undefined> => {
    const { position, deadLetterOffsets, resumeAtOffset, functionError } = decision;
    const doomed = records.filter((record) => deadLetterOffsets.includes(BigInt(record.offset)));
    const nowMs = clock.nowMs();
    try {
      await deadLetters.send(
        settings.onFailureTopic,
        doomed.map((record) => {
          const reason = functionError === 'BatchItemFailure' ? options.failureReason?.(record.topic, record.partition, Number(record.offset)) : undefined;
          return deadLetterRecord(record, {
            invokeCount: position.attempts,
            functionError,
            eventSourceArn,
            failedAtMs: nowMs,
            ...(reason === undefined ? {} : { reason }),
          });
        }),
        { timeoutMs: config.produce.timeoutMs },
      );
    } catch (error) {
      // Not moving past a record that is nowhere else: try the destination again later.
      logger.error('event source: writing to the on-failure topic failed', { ...summary, onFailureTopic: settings.onFailureTopic, ...errorFields(error) });
      retryLater(control, position.offset, position.attempts);
      return undefined;
    }
    await control.commit(resumeAtOffset);
    failing.delete(batch.partition);
    stats.deadLettered += doomed.length;
    logger.warn('event source: records sent to the on-failure topic', {
      ...summary,
      processed: decision.processed,
      skipped: decision.skipped,
      retried: 0,
      deadLettered: doomed.length,
      deadLetteredOffsets: doomed.map((record) => record.offset),
      onFailureTopic: settings.onFailureTopic,
      attempt: position.attempts,
      functionError,
      offsetLag: lagAfter(batch, resumeAtOffset),
    });
    return resumeAtOffset;
  };

  /**
   * Acts on a failed batch: commits what was done before the failure, then delivers again
   * after a backoff or dead-letters. Resolves true when the partition moved past the batch.
   */
  const afterFailure = async (
    batch: PartitionBatch,
    control: PartitionControl,
    records: readonly FetchedRecord[],
    decision: FailedBatchDecision,
    summary: Summary,
  ): Promise<boolean> => {
    const { processed, position, functionError } = decision;
    if (processed > 0) {
      await control.commit(position.offset);
      stats.processed += processed;
    }
    failing.set(batch.partition, position);
    if (decision.kind === 'retry') {
      stats.retried += 1;
      const backoffMs = retryLater(control, position.offset, position.attempts);
      logger.info('event source: batch failed, will retry', {
        ...summary,
        processed,
        skipped: records.length - processed,
        retried: records.length - processed,
        failedOffset: position.offset.toString(),
        attempt: position.attempts,
        maximumRetryAttempts: settings.maximumRetryAttempts,
        backoffMs,
        functionError,
        offsetLag: lagAfter(batch, position.offset),
        deadLettered: 0,
      });
      return false;
    }
    const resumeAtOffset = await deadLetter(batch, control, records, decision, summary);
    if (resumeAtOffset === undefined) return false;
    if (decision.skipped > 0) {
      // The records after the dead-lettered one were not processed: deliver them next.
      control.seek(resumeAtOffset);
      return false;
    }
    control.advance(resumeAtOffset);
    return true;
  };

  const handleBatch = async (batch: PartitionBatch, control: PartitionControl): Promise<void> => {
    const readAt = noteRead(batch);
    for (const chunk of chunks(batch.records, settings.batchSize)) {
      if (stopping || !control.isActive()) return;
      if (holdForMore(batch.partition, chunk, readAt, control)) return;
      const { records } = chunk;
      const startedMs = clock.nowMs();
      const offsets = records.map((record) => BigInt(record.offset));
      const awsRequestId = randomUUID();
      const outcome = await whileHeartbeating(control, () => invoke(records, awsRequestId));
      const summary = summaryOf(batch, offsets, startedMs, awsRequestId);
      const decision = decideBatch({ outcome, offsets, previous: failing.get(batch.partition), maximumRetryAttempts: settings.maximumRetryAttempts, backoff });
      if (decision.kind === 'advance') {
        await control.commit(decision.commitOffset);
        control.advance(decision.commitOffset);
        failing.delete(batch.partition);
        stats.processed += decision.processed;
        logger.info('event source: batch processed', {
          ...summary,
          processed: decision.processed,
          skipped: 0,
          retried: 0,
          deadLettered: 0,
          offsetLag: lagAfter(batch, decision.commitOffset),
        });
        continue;
      }
      if (!(await afterFailure(batch, control, records, decision, summary))) return;
    }
  };

  await consumer.start(handleBatch);
  logger.info('event source: polling', {
    topic: settings.topic,
    consumerGroupId: settings.consumerGroupId,
    batchSize: settings.batchSize,
    batchingWindowMs: windowMs,
    startingPosition: settings.startingPosition,
    maximumRetryAttempts: settings.maximumRetryAttempts,
    onFailureTopic: settings.onFailureTopic,
  });

  let stopped: Promise<void> | undefined;
  return {
    stats: () => ({ ...stats, offsetLag: [...lagByPartition.values()].reduce((sum, lag) => sum + lag, 0) }),
    stop() {
      stopped ??= (async () => {
        stopping = true;
        for (const timer of resumeTimers) clearTimeout(timer);
        resumeTimers.clear();
        await consumer.stop();
        await deadLetters.close();
        logger.info('event source: stopped', { ...stats });
      })();
      return stopped;
    },
  };
}
