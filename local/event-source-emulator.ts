/**
 * A local stand-in for Lambda's Kafka event source mapping: it polls the topic with its own
 * consumer group (no auto-commit), builds the MSK event, invokes the handler, and moves each
 * partition's committed offset exactly as far as the handler's answer allows. The decisions
 * are pure functions in `local/emulator/`, each with its table-driven test; this file is the
 * I/O around them.
 *
 * - Filters (`filterPatterns`): records no pattern keeps are committed and never delivered.
 * - Record age (`maximumRecordAgeInSeconds`): records past it are not delivered but sent to
 *   the on-failure topic (`RecordAgeExceeded`), checked before every delivery.
 * - Size: an event never exceeds 6 MB; a record too big on its own goes to the on-failure
 *   topic (`MaximumPayloadSizeExceeded`).
 * - Success: commits past the batch.
 * - `batchItemFailures`: commits up to the lowest reported offset and delivers again from there.
 * - A function error (thrown, timed out, or an invalid answer): delivers the whole batch again,
 *   or with `bisectBatchOnFunctionError` splits it and delivers the halves.
 * - Each failing position is retried `maximumRetryAttempts` times after its first attempt
 *   (-1: 10, as Lambda applies with a destination), with exponential backoff; then the failing
 *   record (for a function error on an unsplit batch, the whole batch) goes to the on-failure
 *   topic as Lambda's failure document, and the partition moves past it.
 * - A timed-out invocation is not left running beside its retry: the partition waits until it
 *   has ended (Lambda stops the environment; in one process the handler can only be awaited).
 *
 * Retries are per partition: a partition waiting for its backoff is paused, so the other
 * partitions keep flowing. An invocation may carry several partitions' records (those ready
 * within a few milliseconds of each other, within the batch size and the payload limit
 * together), and a partition is in at most one invocation at a time; the function's answer
 * is read for each partition on its own.
 *
 * Batching, as Lambda's poller does it: a partition's records are invoked once `batchSize`
 * of them are there (or the payload limit is reached), or once the batching window has passed
 * since the first of them was read, whichever comes first. Records short of a batch are held:
 * the partition is read again from them shortly, with whatever arrived meanwhile. Like the
 * poller, which reads on while the function runs, the window of records read during an
 * earlier invocation has been running since they were read.
 */
import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../lib/config';
import { systemClock, type Clock } from '../lib/clock';
import { createPartitionConsumer, type FetchedRecord, type PartitionBatch, type PartitionConsumer, type PartitionControl } from './kafka/consumer';
import { createKafkaRecordProducer, type OutgoingRecord, type RecordProducer } from '../lib/kafka/producer';
import { errorFields, type Logger } from '../lib/logger';
import {
  decideBatch,
  openWindows,
  retryBackoffMs,
  type BatchDecision,
  type BisectWindow,
  type FailedBatchDecision,
  type FailingPosition,
  type RetryBackoff,
} from './emulator/batch-decision';
import { BATCH_ITEM_FAILURE, INVALID_BATCH_ITEM_FAILURES, type BatchOutcome } from './emulator/batch-outcome';
import { MAX_PAYLOAD_BYTES, planNextStep, type PlanStep, type RecordChecks } from './emulator/batch-plan';
import { createFunctionInvoker, type KafkaEventHandler } from './emulator/function-invoker';
import { createInvocationGatherer, type InvocationPart } from './emulator/invocation-gatherer';
import { FailureCondition, failureMessage, type LastInvocation, type MappingIdentity, type RecordFailure } from './emulator/failure-record';
import { isPastMaximumAge } from './emulator/record-age';
import { schemaCheckedBatch, withSchemaMetadata, type DeliveredRecord, type EmulatedSchemaRegistry, type FramedDecoder } from './emulator/schema-registry';
import { compileRecordFilter } from './emulator/record-filter';
import { effectiveRetryAttempts, StartingPosition, type EventSourceSettings } from './event-source-settings';
import { eventEnvelopeBytes, mskRecordBytes, type EmulatedCluster } from './msk-event';

export type { RetryBackoff } from './emulator/batch-decision';

export type { EmulatedContext, KafkaEventHandler } from './emulator/function-invoker';

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
  /** The ARN failure documents name as `functionArn` (default: a local placeholder). */
  functionArn?: string;
  /** The mapping's schema registry integration (deploy/event-source.json `schemaRegistry`); none by default. */
  schemaRegistry?: { settings: EmulatedSchemaRegistry; decoder: FramedDecoder };
}

/**
 * Counters since start, for logs, metrics, tests and benchmarks. Where Lambda has a metric for
 * the event source mapping, the comment names it.
 */
export interface EmulatorStats {
  invocations: number;
  /** Records handed to the handler, counting redeliveries. */
  delivered: number;
  /** Records committed as processed. */
  processed: number;
  /** Invocations that failed and were scheduled again. */
  retried: number;
  /** Records written to the on-failure topic (`OnFailureDestinationDeliveredEventCount`). */
  deadLettered: number;
  /** Records that left the stream unprocessed: retries exhausted, too old or too big (`DroppedEventCount`). */
  dropped: number;
  /** Records no filter pattern kept, left undelivered, each counted once when first planned past (`FilteredOutEventCount`). */
  filteredOut: number;
  /** Records past the maximum record age (part of `dropped`). */
  expired: number;
  /** Records too big for an invocation on their own (part of `dropped`). */
  oversized: number;
  /** Batches split in two after a function error. */
  bisected: number;
  /** Invocations that ran past the function timeout. */
  timedOut: number;
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

const DEFAULT_BACKOFF: RetryBackoff = { initialMs: 200, maxMs: 5_000 };
// Well inside the consumer's session timeout (local/kafka/consumer.ts).
const HEARTBEAT_EVERY_MS = 1_000;
// The consume function's timeout in serverless.yml (consumeFunctionTimeoutSec).
export const DEFAULT_INVOCATION_TIMEOUT_MS = 60_000;
// How often a partition holding records short of a batch is read again within the window.
const HOLD_POLL_MS = 50;

/** The ARN failure documents name when none is given: the local consume function in a placeholder account. */
export function emulatedFunctionArn(region: string): string {
  return `arn:aws:lambda:${region}:000000000000:function:serverless-kafka-pipeline-local-consume:$LATEST`;
}

/**
 * How long an invocation waits for other partitions' records after its first arrived: the
 * partitions of one fetch arrive a moment apart, and Lambda puts them in one event.
 */
const GATHER_MS = 5;

/** What an invocation answered for one partition's records. */
interface InvocationResult {
  outcome: BatchOutcome;
  awsRequestId: string;
  startedMs: number;
}

/**
 * Lambda's `functionError` for a failed invocation: `Unhandled` for a thrown error or a
 * timeout; none when the function answered (reported records, or an answer Lambda rejects).
 */
function lambdaFunctionError(functionError: string): string | undefined {
  return functionError === BATCH_ITEM_FAILURE || functionError === INVALID_BATCH_ITEM_FAILURES ? undefined : 'Unhandled';
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
  const { config, settings, logger } = options;
  /** What the schema registry integration delivers of each partition's current batch, by offset: the event's metadata. */
  const schemaDelivered = new Map<number, Map<string, DeliveredRecord>>();
  // The function gets the records the way the integration delivers them, metadata included.
  const handler: KafkaEventHandler =
    options.schemaRegistry === undefined
      ? options.handler
      : (event, context) => {
          for (const [partition, delivered] of schemaDelivered)
            withSchemaMetadata(
              event,
              [...delivered.values()].filter((item) => item.record.partition === partition),
            );
          return options.handler(event, context);
        };
  const clock = options.clock ?? systemClock;
  const backoff = options.retryBackoff ?? DEFAULT_BACKOFF;
  const invocationTimeoutMs = options.invocationTimeoutMs ?? DEFAULT_INVOCATION_TIMEOUT_MS;
  const windowMs = options.batchingWindowMs ?? settings.maximumBatchingWindowInSeconds * 1_000;
  const maximumRetryAttempts = effectiveRetryAttempts(settings);
  const cluster: EmulatedCluster = { brokers: config.kafka.brokers, region: config.aws.region };
  const mapping: MappingIdentity = { cluster, functionArn: options.functionArn ?? emulatedFunctionArn(config.aws.region) };
  const keeps = compileRecordFilter(settings.filterPatterns);
  const stats: EmulatorStats = {
    invocations: 0,
    delivered: 0,
    processed: 0,
    retried: 0,
    deadLettered: 0,
    dropped: 0,
    filteredOut: 0,
    expired: 0,
    oversized: 0,
    bisected: 0,
    timedOut: 0,
    offsetLag: 0,
  };
  // Per partition, the offset from which filtered records are not counted yet. A step's filtered
  // records are counted when it is planned, once each: the same records can be planned again
  // (a batch retried or bisected, a commit whose answer a broker restart lost though it took
  // effect), and counting after the commit left out those whose commit reported a failure.
  const filteredCountedFrom = new Map<number, bigint>();
  /** Counts the records below `end` that the filter drops, each once however often they are planned. */
  const countFiltered = (partition: number, records: readonly FetchedRecord[], end: bigint, checks: RecordChecks): void => {
    const from = filteredCountedFrom.get(partition) ?? 0n;
    if (end <= from) return;
    for (const record of records) {
      const offset = BigInt(record.offset);
      if (offset >= end) break;
      if (offset >= from && !checks.kept(record)) stats.filteredOut += 1;
    }
    filteredCountedFrom.set(partition, end);
  };
  const lagByPartition = new Map<number, number>();
  /** The partition's lag once it resumes at `nextOffset`: records after it, up to the batch's high watermark. */
  const lagAfter = (batch: PartitionBatch, nextOffset: bigint): number => {
    const lag = Math.max(0, Number(BigInt(batch.highWatermark) - nextOffset));
    lagByPartition.set(batch.partition, lag);
    return lag;
  };
  const failing = new Map<number, FailingPosition>();
  /** Per partition, the request id and function error of the last failed invocation of its failing position. */
  const lastFailure = new Map<number, { requestId: string; functionError: string }>();
  /** The last invocation with `record`, when it is the partition's failing record (one that expires while retried). */
  const lastInvocationOf = (record: FetchedRecord): LastInvocation | undefined => {
    const position = failing.get(record.partition);
    const last = lastFailure.get(record.partition);
    if (position === undefined || last === undefined || position.offset !== BigInt(record.offset)) return undefined;
    const functionError = lambdaFunctionError(last.functionError);
    return { requestId: last.requestId, invokeCount: position.attempts, ...(functionError === undefined ? {} : { functionError }) };
  };
  /** Per partition, the bisected batches whose halves are being delivered, outermost first. */
  const windows = new Map<number, BisectWindow[]>();
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

  /** What the batch plan asks of a record, for one partition's batch; `refused` by the schema registry integration. */
  const checksFor = (batch: PartitionBatch, refused?: ReadonlyMap<string, FailureCondition>): RecordChecks => ({
    kept: keeps,
    expired: (record) => isPastMaximumAge(record.timestampMs, clock.nowMs(), settings.maximumRecordAgeInSeconds),
    ...(refused === undefined ? {} : { refused: (record: FetchedRecord) => refused.get(record.offset) }),
    bytes: mskRecordBytes,
    envelopeBytes: eventEnvelopeBytes(cluster, batch.topic, batch.partition),
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
    const delayMs = retryBackoffMs(Math.max(1, attempt), backoff);
    readAgainLater(control, offset, delayMs);
    return delayMs;
  };

  /**
   * Whether to hold `step` (short of a batch) for more records rather than invoke it now: while
   * the window since its first record was first read (`readAt`) lasts. A retry is never held:
   * Lambda delivers it again as soon as its backoff ends.
   */
  const holdForMore = (
    partition: number,
    step: Extract<PlanStep, { kind: 'invoke' }>,
    readAt: ReadonlyMap<string, number>,
    control: PartitionControl,
  ): boolean => {
    if (step.full || windowMs <= 0 || failing.has(partition) || windows.has(partition)) return false;
    const first = (step.records[0] as FetchedRecord).offset;
    const nowMs = clock.nowMs();
    const leftMs = (readAt.get(first) ?? nowMs) + windowMs - nowMs;
    if (leftMs <= 0) return false;
    readAgainLater(control, BigInt(first), Math.min(HOLD_POLL_MS, leftMs));
    return true;
  };

  const invoker = createFunctionInvoker({ handler, cluster, invocationTimeoutMs, clock, logger });
  /** Invokes the function once with the records of every part, under `awsRequestId`, and counts it. */
  const invoke = async (parts: readonly InvocationPart<FetchedRecord>[], awsRequestId: string): Promise<BatchOutcome[]> => {
    const batches = parts.map((part) => part.records);
    stats.invocations += 1;
    stats.delivered += batches.reduce((sum, records) => sum + records.length, 0);
    const { outcomes, timedOut } = await invoker.invoke(batches, awsRequestId);
    if (timedOut) stats.timedOut += 1;
    return outcomes;
  };

  const gatherer = createInvocationGatherer<FetchedRecord, InvocationResult>({
    maxRecords: settings.batchSize,
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
    gatherMs: GATHER_MS,
    invoke: async (parts) => {
      const awsRequestId = randomUUID();
      const startedMs = clock.nowMs();
      const outcomes = await invoke(parts, awsRequestId);
      return outcomes.map((outcome) => ({ outcome, awsRequestId, startedMs }));
    },
  });

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

  /** Writes failure documents for `failures` to the on-failure topic; false when the write failed. */
  const sendFailures = async (failures: { record: FetchedRecord; failure: RecordFailure }[], fields: Record<string, unknown>): Promise<boolean> => {
    if (failures.length === 0) return true;
    const messages: OutgoingRecord[] = failures.map(({ record, failure }) => failureMessage(record, failure, mapping, randomUUID));
    try {
      await deadLetters.send(settings.onFailureTopic, messages, { timeoutMs: config.produce.timeoutMs });
    } catch (error) {
      // Not moving past a record that is nowhere else: try the destination again later.
      logger.error('event source: writing to the on-failure topic failed', { ...fields, onFailureTopic: settings.onFailureTopic, ...errorFields(error) });
      return false;
    }
    stats.deadLettered += failures.length;
    stats.dropped += failures.length;
    return true;
  };

  /** Why a record that exhausted its retries failed, for the `x-failure-reason` header. */
  const reasonFor = (record: FetchedRecord, functionError: string): string | undefined =>
    functionError === BATCH_ITEM_FAILURE ? options.failureReason?.(record.topic, record.partition, Number(record.offset)) : functionError;

  /** Commits past records no invocation takes (filtered out, too old, too big); false when the destination failed. */
  const skip = async (batch: PartitionBatch, control: PartitionControl, step: Extract<PlanStep, { kind: 'skip' }>): Promise<boolean> => {
    const nowMs = clock.nowMs();
    const failures = step.failures.map(({ record, condition }) => {
      const lastInvocation = lastInvocationOf(record);
      const failure: RecordFailure = {
        condition,
        failedAtMs: nowMs,
        reason:
          condition === FailureCondition.RecordAgeExceeded
            ? `older than maximumRecordAgeInSeconds (${settings.maximumRecordAgeInSeconds} s)`
            : condition === FailureCondition.MaximumPayloadSizeExceeded
              ? `larger than the ${MAX_PAYLOAD_BYTES}-byte invocation payload limit`
              : // The schema registry integration's reasons, as Lambda names them.
                condition,
        ...(lastInvocation === undefined ? {} : { lastInvocation }),
      };
      return { record, failure };
    });
    const fields = { topic: batch.topic, partition: batch.partition, resumeAtOffset: step.resumeAtOffset.toString() };
    if (!(await sendFailures(failures, fields))) {
      const first = step.failures[0]?.record.offset ?? '0';
      retryLater(control, BigInt(first), 1);
      return false;
    }
    await control.commit(step.resumeAtOffset);
    control.advance(step.resumeAtOffset);
    // A failing record that expired while retried is gone: the partition no longer fails there.
    if ((failing.get(batch.partition)?.offset ?? step.resumeAtOffset) < step.resumeAtOffset) failing.delete(batch.partition);
    const expired = step.failures.filter(({ condition }) => condition === FailureCondition.RecordAgeExceeded).length;
    stats.expired += expired;
    stats.oversized += step.failures.filter(({ condition }) => condition === FailureCondition.MaximumPayloadSizeExceeded).length;
    if (step.failures.length > 0) {
      logger.warn('event source: records sent to the on-failure topic without an invocation', {
        ...fields,
        deadLettered: step.failures.length,
        deadLetteredOffsets: step.failures.map(({ record }) => record.offset),
        conditions: [...new Set(step.failures.map(({ condition }) => condition))],
        filteredOut: step.filteredOut,
        onFailureTopic: settings.onFailureTopic,
        offsetLag: lagAfter(batch, step.resumeAtOffset),
      });
    } else {
      lagAfter(batch, step.resumeAtOffset);
    }
    return true;
  };

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
    const lambdaError = lambdaFunctionError(functionError);
    const failures = doomed.map((record) => {
      const reason = reasonFor(record, functionError);
      const failure: RecordFailure = {
        condition: FailureCondition.RetryAttemptsExhausted,
        lastInvocation: {
          requestId: summary.awsRequestId,
          invokeCount: position.attempts,
          ...(lambdaError === undefined ? {} : { functionError: lambdaError }),
        },
        failedAtMs: nowMs,
        ...(reason === undefined ? {} : { reason }),
      };
      return { record, failure };
    });
    if (!(await sendFailures(failures, summary))) {
      retryLater(control, position.offset, position.attempts);
      return undefined;
    }
    await control.commit(resumeAtOffset);
    failing.delete(batch.partition);
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
   * after a backoff (halved, when bisecting) or dead-letters. Resolves true when the partition
   * moved past the batch.
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
    lastFailure.set(batch.partition, { requestId: summary.awsRequestId, functionError });
    if (decision.kind === 'retry' || decision.kind === 'bisect') {
      stats.retried += 1;
      if (decision.kind === 'bisect') {
        stats.bisected += 1;
        windows.set(batch.partition, [...(windows.get(batch.partition) ?? []), decision.window]);
      }
      readAgainLater(control, position.offset, decision.backoffMs);
      logger.info(decision.kind === 'bisect' ? 'event source: batch failed, will retry its halves' : 'event source: batch failed, will retry', {
        ...summary,
        processed,
        skipped: records.length - processed,
        retried: records.length - processed,
        failedOffset: position.offset.toString(),
        attempt: position.attempts,
        maximumRetryAttempts,
        backoffMs: decision.backoffMs,
        functionError,
        offsetLag: lagAfter(batch, position.offset),
        deadLettered: 0,
        ...(decision.kind === 'bisect' ? { nextBatchSize: decision.window.batchSize } : {}),
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

  /** Invokes the function with `step`'s records and acts on its answer; true when the partition moved past them. */
  const invokeStep = async (batch: PartitionBatch, control: PartitionControl, step: Extract<PlanStep, { kind: 'invoke' }>): Promise<boolean> => {
    const { records } = step;
    const offsets = records.map((record) => BigInt(record.offset));
    const { outcome, awsRequestId, startedMs } = await whileHeartbeating(control, () => gatherer.deliver({ records, payloadBytes: step.payloadBytes }));
    const summary = summaryOf(batch, offsets, startedMs, awsRequestId);
    const decision = decideBatch({
      outcome,
      offsets,
      previous: failing.get(batch.partition),
      maximumRetryAttempts,
      backoff,
      bisect: settings.bisectBatchOnFunctionError,
    });
    if (decision.kind !== 'advance') return afterFailure(batch, control, records, decision, summary);
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
      ...(step.filteredOut > 0 ? { filteredOut: step.filteredOut } : {}),
      offsetLag: lagAfter(batch, decision.commitOffset),
    });
    return true;
  };

  /**
   * The batch's records after the schema registry integration's check (delivered ones with
   * their bytes replaced), and why it refuses the others; undefined when the registry cannot
   * answer, and the partition is read again after a backoff.
   */
  const schemaChecked = async (
    batch: PartitionBatch,
    control: PartitionControl,
  ): Promise<{ records: readonly FetchedRecord[]; refused?: ReadonlyMap<string, FailureCondition> } | undefined> => {
    const registry = options.schemaRegistry;
    if (registry === undefined) return { records: batch.records };
    try {
      const checked = await schemaCheckedBatch(batch.records, registry.settings, registry.decoder);
      schemaDelivered.set(batch.partition, checked.delivered);
      return { records: checked.records, refused: checked.refused };
    } catch (error) {
      const first = (batch.records[0] as FetchedRecord).offset;
      logger.warn('event source: the schema registry check failed; reading again later', {
        topic: batch.topic,
        partition: batch.partition,
        firstOffset: first,
        ...errorFields(error),
      });
      retryLater(control, BigInt(first), 1);
      return undefined;
    }
  };

  const handleBatch = async (batch: PartitionBatch, control: PartitionControl): Promise<void> => {
    const readAt = noteRead(batch);
    const checked = await schemaChecked(batch, control);
    if (checked === undefined) return;
    const checks = checksFor(batch, checked.refused);
    let records: readonly FetchedRecord[] = checked.records;
    while (records.length > 0) {
      if (stopping || !control.isActive()) return;
      const open = openWindows(windows.get(batch.partition) ?? [], BigInt((records[0] as FetchedRecord).offset));
      if (open.length === 0) windows.delete(batch.partition);
      else windows.set(batch.partition, open);
      const window = open[open.length - 1];
      const step = planNextStep(
        records,
        {
          batchSize: window?.batchSize ?? settings.batchSize,
          maxPayloadBytes: MAX_PAYLOAD_BYTES,
          ...(window === undefined ? {} : { untilOffset: window.untilOffset }),
        },
        checks,
      );
      if (step === undefined) return;
      const done = step.kind === 'skip' ? step.resumeAtOffset : BigInt((step.records[step.records.length - 1] as FetchedRecord).offset) + 1n;
      countFiltered(batch.partition, records, done, checks);
      if (step.kind === 'skip') {
        if (!(await skip(batch, control, step))) return;
      } else {
        if (holdForMore(batch.partition, step, readAt, control)) return;
        if (!(await invokeStep(batch, control, step))) return;
      }
      records = records.filter((record) => BigInt(record.offset) >= done);
    }
    await pastTrailingMarkers(batch, control);
  };

  /**
   * Commits past the transaction markers that end a batch whose records are all done: a
   * transaction's commit marker (written after a redrive's records, say) takes an offset of
   * its own, which Lambda's poller moves past; without this the group's lag would stay at 1.
   */
  const pastTrailingMarkers = async (batch: PartitionBatch, control: PartitionControl): Promise<void> => {
    const last = batch.records[batch.records.length - 1];
    const end = BigInt(batch.lastOffset) + 1n;
    if (last === undefined || stopping || !control.isActive() || end <= BigInt(last.offset) + 1n) return;
    await control.commit(end);
    control.advance(end);
    lagAfter(batch, end);
  };

  await consumer.start(handleBatch);
  logger.info('event source: polling', {
    topic: settings.topic,
    consumerGroupId: settings.consumerGroupId,
    batchSize: settings.batchSize,
    batchingWindowMs: windowMs,
    startingPosition: settings.startingPosition,
    maximumRetryAttempts,
    maximumRecordAgeInSeconds: settings.maximumRecordAgeInSeconds,
    bisectBatchOnFunctionError: settings.bisectBatchOnFunctionError,
    filterPatterns: settings.filterPatterns.length,
    onFailureTopic: settings.onFailureTopic,
  });

  let stopped: Promise<void> | undefined;
  return {
    stats: () => ({ ...stats, offsetLag: [...lagByPartition.values()].reduce((sum, lag) => sum + lag, 0) }),
    stop() {
      stopped ??= (async () => {
        stopping = true;
        gatherer.flush();
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
