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
 */
import { randomUUID } from 'node:crypto';
import type { MSKEvent } from 'aws-lambda';
import type { AppConfig } from '../lib/config';
import { systemClock, type Clock } from '../lib/clock';
import { createPartitionConsumer, type FetchedRecord, type PartitionBatch, type PartitionConsumer, type PartitionControl } from './kafka/consumer';
import { createKafkaRecordProducer, type RecordProducer } from '../lib/kafka/producer';
import { errorFields, type Logger } from '../lib/logger';
import { withTimeout } from '../lib/timeout';
import { batchOutcome, type BatchOutcome } from './batch-outcome';
import { deadLetterRecord } from './dead-letter';
import { StartingPosition, type EventSourceSettings } from './event-source-settings';
import { buildMskEvent, emulatedClusterArn, type EmulatedCluster } from './msk-event';

/** The function the emulator feeds: the consume runtime's handler, or any with its shape. */
export type KafkaEventHandler = (event: MSKEvent, context: EmulatedContext) => Promise<unknown>;

/** The parts of Lambda's invocation context the emulator provides. */
export interface EmulatedContext {
  awsRequestId: string;
  /** Milliseconds until the invocation times out (`invocationTimeoutMs` after it started). */
  getRemainingTimeInMillis(): number;
}

/** Backoff between attempts of a failing position: `initialMs * 2^(attempt-1)`, at most `maxMs`. */
export interface RetryBackoff {
  initialMs: number;
  maxMs: number;
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
// With a batching window the broker holds each fetch until this many bytes arrived or the
// window passed, which is how records gather into batches without a timer here.
const WINDOW_MIN_BYTES = 1024 * 1024;

interface FailingPosition {
  offset: bigint;
  /** Failed attempts so far at this offset. */
  attempts: number;
}

function recordBytes(record: FetchedRecord): number {
  let bytes = 200 + Math.ceil(((record.key?.length ?? 0) + (record.value?.length ?? 0)) * (4 / 3));
  for (const header of record.headers) bytes += header.name.length + header.value.length * 4;
  return bytes;
}

/** Splits a partition's records into invocations of at most `batchSize` records and the payload limit. */
function chunks(records: readonly FetchedRecord[], batchSize: number): FetchedRecord[][] {
  const result: FetchedRecord[][] = [];
  let current: FetchedRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = recordBytes(record);
    if (current.length > 0 && (current.length >= batchSize || bytes + size > MAX_PAYLOAD_BYTES)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
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
  const stats: EmulatorStats = { invocations: 0, delivered: 0, processed: 0, retried: 0, deadLettered: 0 };
  const failing = new Map<number, FailingPosition>();
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
    minBytes: windowMs > 0 ? WINDOW_MIN_BYTES : 1,
    partitionsConcurrently: Math.max(1, settings.partitions),
    logger,
    onAssigned: (partitions) => logger.info('event source: partitions assigned', { topic: settings.topic, partitions }),
  });

  /** Pauses the partition and delivers again from `offset` after the backoff for `attempt`. */
  const retryLater = (control: PartitionControl, offset: bigint, attempt: number): number => {
    control.seek(offset);
    control.pause();
    const delayMs = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (attempt - 1));
    const timer = setTimeout(() => {
      resumeTimers.delete(timer);
      if (!stopping) control.resume();
    }, delayMs);
    resumeTimers.add(timer);
    return delayMs;
  };

  const invoke = async (records: FetchedRecord[]): Promise<BatchOutcome> => {
    const event = buildMskEvent(cluster, records);
    const [first] = records as [FetchedRecord];
    stats.invocations += 1;
    stats.delivered += records.length;
    let answer: { response: unknown } | { error: unknown };
    try {
      const deadlineMs = clock.nowMs() + invocationTimeoutMs;
      const context: EmulatedContext = { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => Math.max(0, deadlineMs - clock.nowMs()) };
      answer = { response: await withTimeout(handler(event, context), invocationTimeoutMs) };
    } catch (error) {
      logger.warn('event source: the function failed', { partition: first.partition, ...errorFields(error) });
      answer = { error };
    }
    return batchOutcome({ topic: first.topic, partition: first.partition, offsets: records.map((record) => BigInt(record.offset)) }, answer);
  };

  const handleBatch = async (batch: PartitionBatch, control: PartitionControl): Promise<void> => {
    for (const records of chunks(batch.records, settings.batchSize)) {
      if (stopping || !control.isActive()) return;
      const startedMs = clock.nowMs();
      const firstOffset = BigInt((records[0] as FetchedRecord).offset);
      const lastOffset = BigInt((records[records.length - 1] as FetchedRecord).offset);
      const outcome = await whileHeartbeating(control, () => invoke(records));
      const summary = {
        topic: batch.topic,
        partition: batch.partition,
        firstOffset: firstOffset.toString(),
        lastOffset: lastOffset.toString(),
        delivered: records.length,
        durationMs: clock.nowMs() - startedMs,
      };
      if (outcome.kind === 'succeeded') {
        await control.commit(lastOffset + 1n);
        control.advance(lastOffset + 1n);
        failing.delete(batch.partition);
        stats.processed += records.length;
        logger.info('event source: batch processed', { ...summary, processed: records.length, skipped: 0, retried: 0 });
        continue;
      }

      const { failedOffset, functionError } = outcome;
      const processed = Number(failedOffset - firstOffset);
      if (processed > 0) {
        await control.commit(failedOffset);
        stats.processed += processed;
      }
      const previous = failing.get(batch.partition);
      const attempts = previous?.offset === failedOffset ? previous.attempts + 1 : 1;
      failing.set(batch.partition, { offset: failedOffset, attempts });
      const notProcessed = records.length - processed;

      if (attempts <= settings.maximumRetryAttempts) {
        stats.retried += 1;
        const backoffMs = retryLater(control, failedOffset, attempts);
        logger.info('event source: batch failed, will retry', {
          ...summary,
          processed,
          skipped: notProcessed,
          retried: notProcessed,
          failedOffset: failedOffset.toString(),
          attempt: attempts,
          maximumRetryAttempts: settings.maximumRetryAttempts,
          backoffMs,
          functionError,
        });
        return;
      }

      // Retries exhausted: a reported record goes alone; after a thrown error the whole rest of the batch goes.
      const failed = records.filter((record) => BigInt(record.offset) >= failedOffset);
      const doomed = functionError === 'BatchItemFailure' ? failed.slice(0, 1) : failed;
      const nowMs = clock.nowMs();
      try {
        await deadLetters.send(
          settings.onFailureTopic,
          doomed.map((record) => {
            const reason = functionError === 'BatchItemFailure' ? options.failureReason?.(record.topic, record.partition, Number(record.offset)) : undefined;
            return deadLetterRecord(record, { invokeCount: attempts, functionError, eventSourceArn, failedAtMs: nowMs, ...(reason === undefined ? {} : { reason }) });
          }),
          { timeoutMs: config.produce.timeoutMs },
        );
      } catch (error) {
        // Not moving past a record that is nowhere else: try the destination again later.
        logger.error('event source: writing to the on-failure topic failed', { ...summary, onFailureTopic: settings.onFailureTopic, ...errorFields(error) });
        retryLater(control, failedOffset, attempts);
        return;
      }
      const resumeAt = BigInt((doomed[doomed.length - 1] as FetchedRecord).offset) + 1n;
      await control.commit(resumeAt);
      failing.delete(batch.partition);
      stats.deadLettered += doomed.length;
      logger.warn('event source: records sent to the on-failure topic', {
        ...summary,
        processed,
        skipped: Number(lastOffset + 1n - resumeAt),
        retried: 0,
        deadLettered: doomed.length,
        deadLetteredOffsets: doomed.map((record) => record.offset),
        onFailureTopic: settings.onFailureTopic,
        attempt: attempts,
        functionError,
      });
      if (resumeAt <= lastOffset) {
        // The records after the dead-lettered one were not processed: deliver them next.
        control.seek(resumeAt);
        return;
      }
      control.advance(resumeAt);
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
    stats: () => ({ ...stats }),
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
