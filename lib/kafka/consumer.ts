/**
 * A partition-batch consumer over kafkajs for local tooling (the event-source emulator and
 * the inspect tool): its own consumer group, no auto-commit, and explicit per-partition
 * control (commit, seek, pause, resume). Records come out as plain bytes, so callers never
 * see kafkajs types.
 */
import type { Consumer, EachBatchPayload, IHeaders } from 'kafkajs';
import type { KafkaConfig } from '../config';
import type { Logger } from '../logger';
import { resolveKafkaClientDeps } from './auth';
import { createKafka } from './client';

/** One record as fetched. Offsets are decimal strings because Kafka offsets are 64-bit. */
export interface FetchedRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Milliseconds since the epoch, as the record carries it. */
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
  /** In the order kafkajs decoded them; a repeated name appears once per value. */
  headers: { name: string; value: Buffer }[];
}

/** What a batch handler may do with the partition it was given. */
export interface PartitionControl {
  /** Commits `nextOffset` (the offset of the next record to read) for this partition in the group. */
  commit(nextOffset: bigint): Promise<void>;
  /** Makes the next fetch of this partition start at `offset`. */
  seek(offset: bigint): void;
  /** Marks records before `nextOffset` as read, so the next fetch starts there. */
  advance(nextOffset: bigint): void;
  /** Stops fetching this partition until {@link resume}. */
  pause(): void;
  resume(): void;
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition was taken away. */
  isActive(): boolean;
}

/** Records of one partition from one fetch. */
export interface PartitionBatch {
  topic: string;
  partition: number;
  records: FetchedRecord[];
  /** The partition's end offset at fetch time. */
  highWatermark: string;
}

/** Options of {@link createPartitionConsumer}. */
export interface PartitionConsumerOptions {
  groupId: string;
  topic: string;
  /** Where a group without committed offsets starts: the earliest record, or only new ones. */
  fromBeginning: boolean;
  /** How long the broker may hold a fetch open waiting for `minBytes` (the batching window). */
  maxWaitTimeMs: number;
  /** Bytes the broker waits for before answering a fetch early. */
  minBytes?: number;
  /** Partitions handled at the same time. */
  partitionsConcurrently: number;
  logger: Logger;
  /** Called whenever partitions are assigned to this member (after a join). */
  onAssigned?: (partitions: number[]) => void;
}

/** A running partition-batch consumer. */
export interface PartitionConsumer {
  /** Joins the group and starts handing batches to `handle`; resolves once running. */
  start(handle: (batch: PartitionBatch, control: PartitionControl) => Promise<void>): Promise<void>;
  /** Waits for the batch in hand to finish, leaves the group and disconnects. */
  stop(): Promise<void>;
}

function headerEntries(headers: IHeaders | undefined): { name: string; value: Buffer }[] {
  const entries: { name: string; value: Buffer }[] = [];
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const value of values) {
      // kafkajs decodes headers into a plain object, so a header named like an
      // Object.prototype member (`constructor`) arrives merged with that member: keep
      // only the bytes that came off the wire.
      if (Buffer.isBuffer(value)) entries.push({ name, value });
      else if (typeof value === 'string') entries.push({ name, value: Buffer.from(value) });
    }
  }
  return entries;
}

function toPartitionBatch(payload: EachBatchPayload): PartitionBatch {
  const { topic, partition, messages, highWatermark } = payload.batch;
  return {
    topic,
    partition,
    highWatermark,
    records: messages.map((message) => ({
      topic,
      partition,
      offset: message.offset,
      timestampMs: Number(message.timestamp),
      key: message.key ?? null,
      value: message.value ?? null,
      headers: headerEntries(message.headers),
    })),
  };
}

/**
 * Creates a consumer in group `options.groupId` on `options.topic` with auto-commit off:
 * offsets move only through {@link PartitionControl.commit}. Nothing connects until `start`.
 *
 * @throws {ConfigError} from `start` when the configured authentication cannot be served.
 */
export function createPartitionConsumer(config: KafkaConfig, options: PartitionConsumerOptions): PartitionConsumer {
  let consumer: Consumer | undefined;
  let stopping = false;
  return {
    async start(handle) {
      const kafka = createKafka(config, await resolveKafkaClientDeps(config, options.logger));
      const created = kafka.consumer({
        groupId: options.groupId,
        maxWaitTimeInMs: options.maxWaitTimeMs,
        minBytes: options.minBytes ?? 1,
        // A member that leaves on stop() is gone at once; these only matter for a crash.
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 10 },
      });
      consumer = created;
      if (options.onAssigned !== undefined) {
        const onAssigned = options.onAssigned;
        created.on(created.events.GROUP_JOIN, ({ payload }) => {
          onAssigned(payload.memberAssignment[options.topic] ?? []);
        });
      }
      await created.connect();
      await created.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning });
      await created.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConcurrently,
        eachBatch: async (payload) => {
          const { topic, partition } = payload.batch;
          const control: PartitionControl = {
            commit: (nextOffset) => created.commitOffsets([{ topic, partition, offset: nextOffset.toString() }]),
            seek: (offset) => created.seek({ topic, partition, offset: offset.toString() }),
            advance: (nextOffset) => payload.resolveOffset((nextOffset - 1n).toString()),
            pause: () => created.pause([{ topic, partitions: [partition] }]),
            resume: () => created.resume([{ topic, partitions: [partition] }]),
            heartbeat: () => payload.heartbeat(),
            isActive: () => !stopping && payload.isRunning() && !payload.isStale(),
          };
          await handle(toPartitionBatch(payload), control);
        },
      });
    },
    async stop() {
      stopping = true;
      await consumer?.disconnect();
    },
  };
}
