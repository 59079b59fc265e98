/**
 * Reads chosen records of a topic, by partition and offset, exactly as the topic holds them,
 * with a throwaway consumer group that never commits and is removed afterwards: for a tool
 * that needs more of a record than a copy kept (the redrive, for the names of null header
 * values a failure record lost).
 */
import { randomUUID } from 'node:crypto';
import type { KafkaConfig } from '../../lib/config';
import { errorFields, type Logger } from '../../lib/logger';
import { createPartitionConsumer, type FetchedRecord } from './consumer';
import { createOffsetReader } from './offsets';

/** Where a record is in its topic. */
export interface RecordPosition {
  partition: number;
  offset: number;
}

/** The key of a position in the map {@link readRecordsAt} answers. */
export function positionKey(partition: number, offset: number | string): string {
  return `${partition}/${offset}`;
}

/** Options of {@link readRecordsAt}. */
export interface ReadRecordsOptions {
  logger: Logger;
  /** How long to read before answering with what was found (a partition that cannot be read). */
  timeoutMs: number;
}

/** The wanted offsets of each partition, ascending. */
function byPartition(positions: readonly RecordPosition[]): Map<number, bigint[]> {
  const wanted = new Map<number, bigint[]>();
  for (const { partition, offset } of positions) {
    const offsets = wanted.get(partition) ?? [];
    offsets.push(BigInt(offset));
    wanted.set(partition, offsets);
  }
  for (const offsets of wanted.values()) offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return wanted;
}

/**
 * Reads the records at `positions` of `topic` and resolves with those found, by
 * {@link positionKey}. A record no longer there (removed by retention or compaction) is
 * missing from the map, as is one not read within `options.timeoutMs`.
 */
export async function readRecordsAt(
  config: KafkaConfig,
  topic: string,
  positions: readonly RecordPosition[],
  options: ReadRecordsOptions,
): Promise<Map<string, FetchedRecord>> {
  const found = new Map<string, FetchedRecord>();
  const wanted = byPartition(positions);
  if (wanted.size === 0) return found;
  const { logger } = options;
  const groupId = `record-reader-${randomUUID()}`;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const consumer = createPartitionConsumer(config, { groupId, topic, fromBeginning: true, maxWaitTimeMs: 100, partitionsConcurrently: 1, logger });
  const timer = setTimeout(() => finish(), options.timeoutMs);
  try {
    await consumer.start(async (batch, control) => {
      const offsets = wanted.get(batch.partition);
      if (offsets === undefined) {
        control.pause();
        return;
      }
      for (const record of batch.records) {
        if (offsets.includes(BigInt(record.offset))) found.set(positionKey(record.partition, record.offset), record);
      }
      const first = offsets[0] as bigint;
      const last = offsets[offsets.length - 1] as bigint;
      const readTo = BigInt(batch.lastOffset);
      // Past the last wanted offset, or at the partition's end: nothing more to find here.
      if (readTo >= last || readTo + 1n >= BigInt(batch.highWatermark)) {
        wanted.delete(batch.partition);
        control.pause();
        if (wanted.size === 0) finish();
        return;
      }
      // A partition read from its start skips to the first wanted record.
      if (readTo + 1n < first) control.seek(first);
      else control.advance(readTo + 1n);
    });
    await finished;
  } finally {
    clearTimeout(timer);
    await consumer.stop();
    const admin = createOffsetReader(config, logger);
    await admin.deleteGroup(groupId).catch((error: unknown) => logger.debug('record reader: could not delete its group', errorFields(error)));
    await admin.close();
  }
  return found;
}
