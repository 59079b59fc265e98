/**
 * A partition-batch consumer over kafkajs for local tooling (the event-source emulator and
 * the inspect tool): its own consumer group, no auto-commit, and explicit per-partition
 * control (commit, seek, pause, resume). Records come out as plain bytes, so callers never
 * see kafkajs types.
 */
import type { Consumer, EachBatchPayload, IHeaders } from 'kafkajs';
import type { KafkaConfig } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { rereadKafkaSecretAfterRefusal, resolveKafkaClientDeps } from '../../lib/kafka/auth';
import { kafkaAccessError } from '../../lib/kafka/access';
import { createKafka, type KafkaClientDeps } from '../../lib/kafka/client';

/** One record as fetched. Offsets are decimal strings because Kafka offsets are 64-bit. */
export interface FetchedRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Milliseconds since the epoch, as the record carries it. */
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
  /**
   * In the order kafkajs decoded them: by name in the order each name first appears, a repeated
   * name once per value, in order. A null value is Kafka's null header value.
   */
  headers: { name: string; value: Buffer | null }[];
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
  /**
   * The offset of the fetch's last record, transaction markers included: past the last data
   * record when a transaction's commit marker ends the fetch (a consumer that has read
   * everything commits past the marker, or its lag never reaches 0).
   */
  lastOffset: string;
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

/** What a {@link PartitionConsumer} hands each partition's batch to. */
export type BatchHandler = (batch: PartitionBatch, control: PartitionControl) => Promise<void>;

/** A running partition-batch consumer. */
export interface PartitionConsumer {
  /** Joins the group and starts handing batches to `handle`; resolves once running. */
  start(handle: BatchHandler): Promise<void>;
  /** Waits for the batch in hand to finish, leaves the group and disconnects. */
  stop(): Promise<void>;
}

/** The headers kafkajs decoded for one record, as a list in their order (see {@link FetchedRecord.headers}). */
export function headerEntries(headers: IHeaders | undefined): FetchedRecord['headers'] {
  const entries: FetchedRecord['headers'] = [];
  // kafkajs' types leave null out, but its decoder gives Kafka's null header value as null.
  for (const [name, raw] of Object.entries((headers ?? {}) as Record<string, unknown>)) {
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    for (const value of values) {
      // kafkajs decodes headers into a plain object, so a header named like an
      // Object.prototype member (`constructor`) arrives merged with that member: keep
      // only what came off the wire, bytes or null (no member of Object.prototype is null).
      if (Buffer.isBuffer(value) || value === null) entries.push({ name, value });
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
    lastOffset: payload.batch.lastOffset(),
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

// Pause between attempts to replace a consumer that kafkajs gave up on.
const RELAUNCH_DELAY_MS = 1_000;

/**
 * Creates a consumer in group `options.groupId` on `options.topic` with auto-commit off:
 * offsets move only through {@link PartitionControl.commit}. Nothing connects until `start`.
 *
 * Like Lambda's pollers, it never gives up while the cluster may come back: kafkajs restarts
 * a crashed consumer only after errors it deems retriable (after a broker restart it can
 * crash with "Failed to find group coordinator" and stay down), so any other crash is
 * answered with a new consumer, which resumes from the committed offsets.
 *
 * @throws {ConfigError} from `start` when the configured authentication cannot be served.
 * @throws {KafkaAccessError} from `start` when the cluster refused the credentials or TLS settings (naming the setting).
 */
export function createPartitionConsumer(config: KafkaConfig, options: PartitionConsumerOptions): PartitionConsumer {
  const { logger } = options;
  let consumer: Consumer | undefined;
  let stopping = false;
  let relaunchTimer: NodeJS.Timeout | undefined;
  let launching = false;
  let crashedWhileLaunching = false;

  const launch = async (handle: BatchHandler, deps: KafkaClientDeps): Promise<void> => {
    const kafka = createKafka(config, deps);
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
    created.on(created.events.CRASH, ({ payload }) => {
      if (payload.restart || stopping || consumer !== created) return;
      const access = kafkaAccessError(payload.error, config);
      if (access !== undefined) rereadKafkaSecretAfterRefusal(config, access.problem);
      logger.warn('consumer crashed and will not restart by itself; starting a new one', {
        groupId: options.groupId,
        error: (access ?? payload.error).message,
      });
      if (launching) crashedWhileLaunching = true;
      else relaunchLater(handle);
    });
    // stop() may come while this member is still connecting: it must not join after that.
    const abandoned = async (): Promise<boolean> => {
      if (!stopping) return false;
      await created.disconnect().catch(() => {});
      return true;
    };
    await created.connect();
    if (await abandoned()) return;
    await created.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning });
    if (await abandoned()) return;
    await created.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConcurrently,
      eachBatch: async (payload) => {
        const { topic, partition } = payload.batch;
        // During a restart the member's group state is gone and kafkajs throws; the next
        // member starts from the committed offsets with nothing paused, so there is nothing to do.
        const whileMember = (action: string, change: () => void): void => {
          try {
            change();
          } catch (error) {
            logger.debug(`consumer: ${action} skipped, the member is restarting`, { topic, partition, error: (error as Error).message });
          }
        };
        const control: PartitionControl = {
          commit: (nextOffset) => created.commitOffsets([{ topic, partition, offset: nextOffset.toString() }]),
          seek: (offset) => whileMember('seek', () => created.seek({ topic, partition, offset: offset.toString() })),
          advance: (nextOffset) => payload.resolveOffset((nextOffset - 1n).toString()),
          pause: () => whileMember('pause', () => created.pause([{ topic, partitions: [partition] }])),
          resume: () => whileMember('resume', () => created.resume([{ topic, partitions: [partition] }])),
          heartbeat: () => payload.heartbeat(),
          isActive: () => !stopping && consumer === created && payload.isRunning() && !payload.isStale(),
        };
        await handle(toPartitionBatch(payload), control);
      },
    });
  };

  /**
   * Starts a new consumer after a pause; at most one is pending or starting at a time. Its
   * credentials are resolved again, so that after the cluster refused them (a rotated password
   * or certificate) the refused secret is read anew, as the produce function does.
   */
  const relaunchLater = (handle: BatchHandler): void => {
    if (stopping || launching || relaunchTimer !== undefined) return;
    relaunchTimer = setTimeout(() => {
      relaunchTimer = undefined;
      if (stopping) return;
      launching = true;
      crashedWhileLaunching = false;
      resolveKafkaClientDeps(config, logger)
        .then((deps) => launch(handle, deps))
        .then(
          () => {
            launching = false;
            if (crashedWhileLaunching) relaunchLater(handle);
          },
          (error: unknown) => {
            launching = false;
            const access = kafkaAccessError(error, config);
            if (access !== undefined) rereadKafkaSecretAfterRefusal(config, access.problem);
            logger.warn('starting a new consumer failed; trying again', { groupId: options.groupId, error: (access ?? (error as Error)).message });
            void consumer?.disconnect().catch(() => {});
            relaunchLater(handle);
          },
        );
    }, RELAUNCH_DELAY_MS);
  };

  /**
   * Launches with the container's credentials; when Kafka refuses what a secret holds and that
   * secret may be read anew (rotated since it was read), once more with what it holds now.
   */
  const launchReadingAgainOnce = async (handle: BatchHandler): Promise<void> => {
    try {
      await launch(handle, await resolveKafkaClientDeps(config, logger));
    } catch (error) {
      const access = kafkaAccessError(error, config);
      if (access === undefined || !rereadKafkaSecretAfterRefusal(config, access.problem)) throw error;
      logger.warn('Kafka refused the connection; reading the secret again and connecting once more', { problem: access.problem, setting: access.setting });
      await consumer?.disconnect().catch(() => {});
      await launch(handle, await resolveKafkaClientDeps(config, logger));
    }
  };

  return {
    async start(handle) {
      launching = true;
      try {
        await launchReadingAgainOnce(handle);
      } catch (error) {
        // Nothing runs after a failed start: no relaunch either.
        stopping = true;
        clearTimeout(relaunchTimer);
        await consumer?.disconnect().catch(() => {});
        throw kafkaAccessError(error, config) ?? error;
      } finally {
        launching = false;
      }
      if (crashedWhileLaunching) relaunchLater(handle);
    },
    async stop() {
      stopping = true;
      clearTimeout(relaunchTimer);
      await consumer?.disconnect();
    },
  };
}
