/**
 * Read-only offset questions for local tooling: where each partition of a topic ends, and
 * what a consumer group has committed. Nothing here changes a group's offsets.
 */
import type { KafkaConfig } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { resolveKafkaClientDeps } from '../../lib/kafka/auth';
import { createKafka } from '../../lib/kafka/client';

/** One partition's offset, as a decimal string (Kafka offsets are 64-bit). */
export interface PartitionOffset {
  partition: number;
  offset: string;
}

/** The offsets a partition holds records between: `low` (first kept) to `high` (next to be written). */
export interface PartitionRange {
  partition: number;
  low: string;
  high: string;
}

/** Offset questions on one cluster; `close()` disconnects. */
export interface OffsetReader {
  /** True when the cluster has `topic`. */
  topicExists(topic: string): Promise<boolean>;
  /** Each partition's range of offsets right now (`high` is the high watermark). */
  partitionRanges(topic: string): Promise<PartitionRange[]>;
  /** What `groupId` committed on `topic`; `-1` for a partition with no commit. */
  committedOffsets(groupId: string, topic: string): Promise<PartitionOffset[]>;
  /** Removes an empty consumer group, for example an inspect tool's throwaway one. */
  deleteGroup(groupId: string): Promise<void>;
  close(): Promise<void>;
}

// How often, and how far apart, a retriable answer about a group's offsets is asked again.
const COORDINATOR_ATTEMPTS = 20;
const COORDINATOR_RETRY_MS = 250;

/** Creates an {@link OffsetReader}; it connects on first use. */
export function createOffsetReader(config: KafkaConfig, logger: Logger): OffsetReader {
  let admin: Promise<ReturnType<ReturnType<typeof createKafka>['admin']>> | undefined;
  const connected = async () => {
    admin ??= (async () => {
      const created = createKafka(config, await resolveKafkaClientDeps(config, logger)).admin();
      await created.connect();
      return created;
    })();
    return admin;
  };
  const byPartition = (offsets: PartitionOffset[]): PartitionOffset[] =>
    offsets.map(({ partition, offset }) => ({ partition, offset })).sort((a, b) => a.partition - b.partition);
  return {
    async topicExists(topic) {
      return (await (await connected()).listTopics()).includes(topic);
    },
    async partitionRanges(topic) {
      const offsets = await (await connected()).fetchTopicOffsets(topic);
      return offsets.map(({ partition, low, high }) => ({ partition, low, high })).sort((a, b) => a.partition - b.partition);
    },
    async committedOffsets(groupId, topic) {
      const admin = await connected();
      // A group's first use finds its coordinator still loading (NOT_COORDINATOR and the like,
      // which kafkajs marks retriable but does not retry for this request): ask again shortly.
      for (let attempt = 1; ; attempt += 1) {
        try {
          const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return byPartition(entry?.partitions ?? []);
        } catch (error) {
          if ((error as { retriable?: unknown }).retriable !== true || attempt >= COORDINATOR_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, COORDINATOR_RETRY_MS));
        }
      }
    },
    async deleteGroup(groupId) {
      await (await connected()).deleteGroups([groupId]);
    },
    async close() {
      if (admin !== undefined) await (await admin).disconnect();
      admin = undefined;
    },
  };
}
