/**
 * The way back from the on-failure topic: reads Lambda's failure records with a consumer
 * group of its own, shows what a redrive would do (a dry run: counts, reasons, oldest and
 * newest), and with `apply` produces each failed record back to its source topic and
 * partition, with its key, value and headers and a `redriven-from` header naming where the
 * failure record was. Records and the group's progress commit in one Kafka transaction per
 * batch, so an interrupted redrive resumes where it stopped without writing a record twice.
 * A redriven record the consume function had in fact processed is a duplicate there, skipped
 * by its idempotency.
 *
 * It reads what the topic held when it started, from the group's committed position; filters
 * (reason, partition, offset range) choose what is redriven, and records they leave out are
 * passed over. The default group name carries the filters, so a filtered redrive never moves
 * an unfiltered one's position.
 *
 * A record is written back as its failure record holds it. A null header value held as
 * `{"name": null}` is written back as Kafka's null value; one held as `{}`, the form Lambda's
 * events have been reported to give it (`./msk-event.ts`), has lost its name and cannot be:
 * such values are counted (`nullHeadersLeftOut`) and each record with some logged.
 */
import { createHash } from 'node:crypto';
import type { AppConfig } from '../lib/config';
import { MESSAGE_ID_HEADER, REDRIVEN_FROM_HEADER } from '../lib/headers';
import type { ConsumedRecord } from '../lib/consume/event';
import { messageIdOf } from '../lib/consume/message-id';
import type { OutgoingRecord } from '../lib/kafka/producer';
import { errorFields, type Logger } from '../lib/logger';
import { FailureRecordError, readFailureMessage, type ReadFailure } from './emulator/failure-record';
import { createPartitionConsumer, type FetchedRecord } from './kafka/consumer';
import { createOffsetReader } from './kafka/offsets';
import { createTransactionalWriter, type TopicRecords, type TransactionalWriter } from './kafka/transactional-writer';

/** Which failure records to redrive; every given filter must match. */
export interface RedriveFilters {
  /** Substrings of the reason (the `x-failure-reason` header, else Lambda's condition); any may match. */
  reasons?: readonly string[];
  /** Source partitions. */
  partitions?: readonly number[];
  /** Source offsets from this one (inclusive). */
  fromOffset?: number;
  /** Source offsets up to this one (inclusive). */
  toOffset?: number;
}

/** What a redrive did, or in a dry run would do. */
export interface RedriveSummary {
  mode: 'dry-run' | 'apply';
  onFailureTopic: string;
  groupId: string;
  /** Failure records read. */
  read: number;
  /** Read and matching the filters: redriven (apply) or to be redriven (dry run). */
  matched: number;
  /** Written back to their source topics. */
  redriven: number;
  /** Records the filters left out. */
  passedOver: number;
  /** Failure records without the record (its payload was too big to keep): they cannot be redriven. */
  withoutPayload: number;
  /** Messages that are not failure records. */
  unreadable: number;
  /**
   * Null header values of the matching records that their failure records hold as `{}`, without
   * their names: the redriven records go without them.
   */
  nullHeadersLeftOut: number;
  /** Matching records per reason. */
  reasons: Record<string, number>;
  /** Matching records per source topic. */
  sourceTopics: Record<string, number>;
  /** When the oldest and newest matching records failed (the documents' `timestamp`). */
  oldest?: string;
  newest?: string;
}

/** What to do with one failure record. */
export type RedriveVerdict =
  | { kind: 'redrive'; record: ConsumedRecord; reason: string; failedAt: string; nullHeadersLeftOut: number }
  | { kind: 'pass-over' }
  | { kind: 'no-payload' }
  | { kind: 'unreadable'; error: string };

/** The reason a failure record is counted and filtered by. */
export function reasonOf(failure: ReadFailure): string {
  return failure.reason ?? failure.document.requestContext.condition;
}

/** Header entries of the payload's records that are `{}`: null values whose names the event left out. */
export function namelessHeaderCount(payload: ReadFailure['document']['payload']): number {
  let count = 0;
  for (const records of Object.values(payload?.records ?? {})) {
    for (const record of records) {
      for (const header of record.headers ?? []) if (Object.keys(header).length === 0) count += 1;
    }
  }
  return count;
}

/** Decides about one message of the on-failure topic (pure: the filters and the message only). */
export function redriveVerdict(message: Pick<FetchedRecord, 'value' | 'headers'>, filters: RedriveFilters): RedriveVerdict {
  let failure: ReadFailure;
  try {
    failure = readFailureMessage(message.value, message.headers);
  } catch (error) {
    if (error instanceof FailureRecordError) return { kind: 'unreadable', error: error.message };
    throw error;
  }
  const { record } = failure;
  if (record === undefined) return { kind: 'no-payload' };
  const reason = reasonOf(failure);
  const matches =
    (filters.reasons === undefined || filters.reasons.some((wanted) => reason.includes(wanted))) &&
    (filters.partitions === undefined || filters.partitions.includes(record.partition)) &&
    (filters.fromOffset === undefined || record.offset >= filters.fromOffset) &&
    (filters.toOffset === undefined || record.offset <= filters.toOffset);
  if (!matches) return { kind: 'pass-over' };
  return { kind: 'redrive', record, reason, failedAt: failure.document.timestamp, nullHeadersLeftOut: namelessHeaderCount(failure.document.payload) };
}

/**
 * The record to produce back to the source topic: the same partition, key, value and headers,
 * plus where it came from. A record without a usable `message-id` was known to the consume
 * function by its place (`<topic>-<partition>-<offset>`), which the copy cannot keep: the copy
 * carries that identity as its `message-id`, so that a record applied before it was
 * dead-lettered, or redriven twice, is a duplicate the consumer skips.
 */
export function redrivenRecord(record: ConsumedRecord, from: { topic: string; partition: number; offset: string }): OutgoingRecord {
  const identity = messageIdOf(record);
  const byPlace = identity === `${record.topic}-${record.partition}-${record.offset}`;
  return {
    key: record.key,
    value: record.value,
    partition: record.partition,
    headers: [
      ...record.headers,
      ...(byPlace ? [{ name: MESSAGE_ID_HEADER, value: Buffer.from(identity, 'utf8') }] : []),
      { name: REDRIVEN_FROM_HEADER, value: Buffer.from(`${from.topic}/${from.partition}/${from.offset}`, 'utf8') },
    ],
  };
}

/** The default group: one per on-failure topic and set of filters. */
export function redriveGroupId(consumerGroupId: string, filters: RedriveFilters): string {
  const given = Object.entries(filters).filter(([, value]) => value !== undefined);
  if (given.length === 0) return `${consumerGroupId}-redrive`;
  const digest = createHash('sha256')
    .update(JSON.stringify(given.sort(([a], [b]) => a.localeCompare(b))))
    .digest('hex')
    .slice(0, 12);
  return `${consumerGroupId}-redrive-${digest}`;
}

/** A summary with nothing counted yet. */
export function emptySummary(mode: RedriveSummary['mode'], onFailureTopic: string, groupId: string): RedriveSummary {
  return {
    mode,
    onFailureTopic,
    groupId,
    read: 0,
    matched: 0,
    redriven: 0,
    passedOver: 0,
    withoutPayload: 0,
    unreadable: 0,
    nullHeadersLeftOut: 0,
    reasons: {},
    sourceTopics: {},
  };
}

/** Adds a verdict to the summary (the counts and the time range). */
export function tally(summary: RedriveSummary, verdict: RedriveVerdict): void {
  summary.read += 1;
  if (verdict.kind === 'pass-over') summary.passedOver += 1;
  else if (verdict.kind === 'no-payload') summary.withoutPayload += 1;
  else if (verdict.kind === 'unreadable') summary.unreadable += 1;
  else {
    summary.matched += 1;
    summary.nullHeadersLeftOut += verdict.nullHeadersLeftOut;
    summary.reasons[verdict.reason] = (summary.reasons[verdict.reason] ?? 0) + 1;
    summary.sourceTopics[verdict.record.topic] = (summary.sourceTopics[verdict.record.topic] ?? 0) + 1;
    if (summary.oldest === undefined || verdict.failedAt < summary.oldest) summary.oldest = verdict.failedAt;
    if (summary.newest === undefined || verdict.failedAt > summary.newest) summary.newest = verdict.failedAt;
  }
}

/** Options of {@link redrive}. */
export interface RedriveOptions {
  config: AppConfig;
  logger: Logger;
  onFailureTopic: string;
  groupId: string;
  /** False: a dry run, which writes and commits nothing. */
  apply: boolean;
  filters: RedriveFilters;
  /** Stop after redriving this many records (the position is committed up to the last one). */
  limit?: number;
  /** The transactional writer (default: one on `config`'s cluster for `groupId`). */
  writer?: TransactionalWriter;
  /** Stops the redrive after the batch in hand (it then rejects); what was committed stays committed. */
  signal?: AbortSignal;
}

/** Raised when the redrive cannot start: the topic does not exist. */
export class RedriveUsageError extends Error {}

/**
 * Runs a redrive (or its dry run) over what the on-failure topic holds from the group's
 * position to its end at start, and resolves with the summary.
 *
 * @throws {RedriveUsageError} when the topic does not exist; a write's error (nothing of that
 *   batch is written, and the next run resumes there).
 */
export async function redrive(options: RedriveOptions): Promise<RedriveSummary> {
  const { config, logger, onFailureTopic, groupId } = options;
  const summary = emptySummary(options.apply ? 'apply' : 'dry-run', onFailureTopic, groupId);
  const writer = options.apply ? (options.writer ?? createTransactionalWriter(config.kafka, { groupId, logger })) : undefined;
  // Before the group's position is read: an earlier run's last transaction is then complete.
  await writer?.ready();
  const offsets = createOffsetReader(config.kafka, logger);
  const remaining = new Map<number, bigint>();
  try {
    if (!(await offsets.topicExists(onFailureTopic))) throw new RedriveUsageError(`topic "${onFailureTopic}" does not exist`);
    const committed = new Map((await offsets.committedOffsets(groupId, onFailureTopic)).map(({ partition, offset }) => [partition, BigInt(offset)]));
    for (const { partition, low, high } of await offsets.partitionRanges(onFailureTopic)) {
      const from = [BigInt(low), committed.get(partition) ?? -1n].reduce((a, b) => (a > b ? a : b));
      if (BigInt(high) > from) remaining.set(partition, BigInt(high));
    }
  } catch (error) {
    await writer?.close().catch(() => undefined);
    throw error;
  } finally {
    await offsets.close();
  }
  if (remaining.size === 0) {
    await writer?.close();
    return summary;
  }

  // Where each partition's last transaction of this run committed: a group position read again
  // after a rebalance (a broker restart) may not show it yet, and those records are not redriven twice.
  const written = new Map<number, bigint>();
  let failed: unknown;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const limitReached = (): boolean => options.limit !== undefined && summary.redriven >= options.limit;
  const onAbort = (): void => {
    failed ??= new Error('redrive stopped before the end; run it again to resume');
    finish();
  };
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const consumer = createPartitionConsumer(config.kafka, {
    groupId,
    topic: onFailureTopic,
    fromBeginning: true,
    maxWaitTimeMs: 200,
    partitionsConcurrently: 1,
    logger,
  });
  try {
    await consumer.start(async (batch, control) => {
      const end = remaining.get(batch.partition);
      if (end === undefined || failed !== undefined || limitReached()) return;
      const writes = new Map<string, OutgoingRecord[]>();
      let pending = 0;
      let next: bigint | undefined;
      const after = written.get(batch.partition) ?? -1n;
      for (const message of batch.records) {
        if (BigInt(message.offset) < after) {
          // Written by this run already: only the position moves (committed again with the next transaction).
          next = BigInt(message.offset) + 1n;
          continue;
        }
        if (BigInt(message.offset) >= end || (options.limit !== undefined && summary.redriven + pending >= options.limit)) break;
        const verdict = redriveVerdict(message, options.filters);
        tally(summary, verdict);
        if (verdict.kind === 'unreadable')
          logger.warn('redrive: not a failure record, passed over', { partition: batch.partition, offset: message.offset, error: verdict.error });
        if (verdict.kind === 'redrive' && verdict.nullHeadersLeftOut > 0) {
          logger.warn('redrive: the failure record holds null header values without their names; the record is written back without them', {
            partition: batch.partition,
            offset: message.offset,
            nullHeadersLeftOut: verdict.nullHeadersLeftOut,
          });
        }
        if (verdict.kind === 'redrive' && options.apply) {
          const list = writes.get(verdict.record.topic) ?? [];
          list.push(redrivenRecord(verdict.record, message));
          writes.set(verdict.record.topic, list);
          pending += 1;
        }
        next = BigInt(message.offset) + 1n;
      }
      if (next === undefined) return;
      if (writer !== undefined) {
        const batches: TopicRecords[] = [...writes].map(([topic, records]) => ({ topic, records }));
        try {
          await writer.write(batches, { topic: onFailureTopic, partition: batch.partition, nextOffset: next });
        } catch (error) {
          failed = error;
          finish();
          return;
        }
        summary.redriven += pending;
        written.set(batch.partition, next);
      }
      control.advance(next);
      if (next >= end) remaining.delete(batch.partition);
      if (remaining.size === 0 || limitReached()) finish();
    });
    await finished;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await consumer.stop();
    await writer?.close().catch((error: unknown) => logger.warn('redrive: closing the writer failed', errorFields(error)));
  }
  if (failed !== undefined) throw failed;
  return summary;
}
