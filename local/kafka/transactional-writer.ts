/**
 * Writes records and a consumer group's progress in one Kafka transaction, so that both land
 * or neither does (Kafka's read-process-write: the records are visible to read-committed
 * consumers, which kafkajs consumers are by default, only with the offsets committed beside
 * them). A tool that stops half-way and starts again therefore never writes a record twice.
 * The transactional id is fixed per group: a new writer fences an old one and aborts whatever
 * it left open.
 */
import type { Producer } from 'kafkajs';
import type { KafkaConfig } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { resolveKafkaClientDeps } from '../../lib/kafka/auth';
import { createKafka } from '../../lib/kafka/client';
import { toHeaders, type OutgoingRecord } from '../../lib/kafka/producer';

/** Records for one topic. */
export interface TopicRecords {
  topic: string;
  records: readonly OutgoingRecord[];
}

/** Where the group resumes on one partition of the topic it reads. */
export interface GroupProgress {
  topic: string;
  partition: number;
  /** The offset of the next record to read. */
  nextOffset: bigint;
}

/** Options of {@link createTransactionalWriter}. */
export interface TransactionalWriterOptions {
  /** The group whose offsets commit with the records. */
  groupId: string;
  logger: Logger;
  /**
   * Runs inside each transaction after the records and the offsets were added, before the
   * commit: where fault injection puts a crash (an error aborts the transaction).
   */
  beforeCommit?: () => Promise<void>;
}

/** Writes records with a group's progress, atomically. */
export interface TransactionalWriter {
  /**
   * Connects, registering the writer's transactional id. The broker first completes any
   * transaction an earlier writer of the same group left (committed or aborted), so the group's
   * offsets read after this are stable: a commit whose answer was lost is not read as undone.
   */
  ready(): Promise<void>;
  /**
   * Writes `batches` and commits `progress` for the group in one transaction.
   *
   * @throws whatever the broker answered; the transaction is then aborted, nothing written.
   */
  write(batches: readonly TopicRecords[], progress: GroupProgress): Promise<void>;
  close(): Promise<void>;
}

function toMessage(record: OutgoingRecord) {
  return {
    key: record.key,
    value: record.value,
    ...(record.partition === undefined ? {} : { partition: record.partition }),
    headers: toHeaders(record.headers),
  };
}

/** Creates a writer; it connects on first use. */
export function createTransactionalWriter(config: KafkaConfig, options: TransactionalWriterOptions): TransactionalWriter {
  let producer: Promise<Producer> | undefined;
  const connected = (): Promise<Producer> => {
    producer ??= (async () => {
      const kafka = createKafka(config, await resolveKafkaClientDeps(config, options.logger));
      const created = kafka.producer({ transactionalId: `${options.groupId}-tx`, idempotent: true, maxInFlightRequests: 1 });
      await created.connect();
      return created;
    })();
    return producer;
  };
  return {
    async ready() {
      // kafkajs registers the transactional id (InitProducerId) with the first transaction, not at
      // connect: an empty one, aborted without a request, makes the broker complete (or abort) what
      // an earlier writer of this group left before the group's position is read.
      const transaction = await (await connected()).transaction();
      await transaction.abort();
    },
    async write(batches, progress) {
      const transaction = await (await connected()).transaction();
      try {
        for (const { topic, records } of batches) {
          if (records.length > 0) await transaction.send({ topic, acks: -1, messages: records.map(toMessage) });
        }
        await transaction.sendOffsets({
          consumerGroupId: options.groupId,
          topics: [{ topic: progress.topic, partitions: [{ partition: progress.partition, offset: progress.nextOffset.toString() }] }],
        });
        await options.beforeCommit?.();
        await transaction.commit();
      } catch (error) {
        await transaction
          .abort()
          .catch((abortError: unknown) => options.logger.warn('redrive: aborting the transaction failed', { error: String(abortError) }));
        throw error;
      }
    },
    async close() {
      if (producer !== undefined) await (await producer).disconnect();
      producer = undefined;
    },
  };
}
