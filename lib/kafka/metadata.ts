/**
 * Read-only cluster metadata for the REST Proxy's metadata routes and the v3 cluster id: the
 * cluster's id and controller, its topic names, and one topic's partitions (leader, replicas,
 * in-sync replicas) and configuration. One admin client per container, connected on first use
 * and dropped after a failure (the next call connects afresh), as the producer's is.
 *
 * Answers are cached for {@link METADATA_CACHE_MS}, and concurrent reads of the same thing
 * share one broker request, so that a burst of reads (or a v3 produce per request checking the
 * cluster id) is not a burst of broker requests.
 */
import type { Admin, ConfigResourceTypes, Kafka } from 'kafkajs';
import type { KafkaConfig } from '../config';
import type { Clock } from '../clock';
import { ProduceTimeoutError, TopicNotFoundError } from '../errors';
import { errorFields, type Logger } from '../logger';
import { withTimeout } from '../timeout';
import { isTopicName } from '../topic-name';
import { resolveKafkaClientDeps } from './auth';
import { createKafka } from './client';
import { fromKafkaError } from './errors';

// Kafka's resource type of a topic in DescribeConfigs. kafkajs exports it as an enum that Node's
// CommonJS import of kafkajs does not expose by name, so the number is written here.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** How long metadata read from the broker is answered from the cache, in milliseconds. */
export const METADATA_CACHE_MS = 5_000;

/** The cluster as the broker describes it. */
export interface ClusterDescription {
  /** The cluster's id (KIP-78), the v3 API's `cluster_id`. */
  clusterId: string;
  /** The controller's broker id; null when the cluster has none at the moment. */
  controller: number | null;
}

/** One partition of a topic. */
export interface PartitionDescription {
  partition: number;
  /** The leader's broker id; -1 when the partition has no leader. */
  leader: number;
  /** Broker ids of the replicas, preferred leader first. */
  replicas: number[];
  /** Broker ids of the in-sync replicas. */
  isr: number[];
}

/** One topic: its partitions in partition order and its configuration. */
export interface TopicDescription {
  name: string;
  partitions: PartitionDescription[];
  /** Every topic-level setting the broker reports, by name (value null when sensitive or unset). */
  configs: Record<string, string | null>;
}

/** What the metadata routes need from Kafka. */
export interface ClusterMetadata {
  /**
   * @throws {KafkaUnavailableError} / {@link ProduceTimeoutError} when the cluster does not answer within `timeoutMs`.
   */
  cluster(options: { timeoutMs: number }): Promise<ClusterDescription>;
  /** Names of the cluster's topics, Kafka's internal ones (`__...`) left out, sorted. */
  topicNames(options: { timeoutMs: number }): Promise<string[]>;
  /**
   * @throws {TopicNotFoundError} when the topic does not exist.
   */
  topic(name: string, options: { timeoutMs: number }): Promise<TopicDescription>;
  /** Disconnects; a later call connects again. */
  close(): Promise<void>;
}

/** Options of {@link createKafkaClusterMetadata}. */
export interface KafkaClusterMetadataOptions {
  logger: Logger;
  clock: Clock;
  /** Makes the kafkajs client (tests give a fake); by default one for `config`. */
  kafka?: () => Promise<Pick<Kafka, 'admin'>>;
}

interface Cached<T> {
  value: Promise<T>;
  fetchedAtMs: number;
}

/**
 * Single-flight reads with a time to live: a read within {@link METADATA_CACHE_MS} of the last
 * one (or while it is still in flight) shares its answer; a failed read is not kept.
 */
class ReadCache {
  private readonly entries = new Map<string, Cached<unknown>>();

  constructor(private readonly clock: Clock) {}

  read<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    const nowMs = this.clock.nowMs();
    const cached = this.entries.get(key) as Cached<T> | undefined;
    if (cached !== undefined && nowMs - cached.fetchedAtMs < METADATA_CACHE_MS) return cached.value;
    const value = fetch();
    const entry: Cached<T> = { value, fetchedAtMs: nowMs };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}

function isInternalTopic(name: string): boolean {
  return name.startsWith('__');
}

/** Creates a {@link ClusterMetadata} on a kafkajs admin client of its own. */
export function createKafkaClusterMetadata(config: KafkaConfig, options: KafkaClusterMetadataOptions): ClusterMetadata {
  const { logger, clock } = options;
  const cache = new ReadCache(clock);
  const makeKafka =
    options.kafka ??
    (async () =>
      createKafka(config, await resolveKafkaClientDeps(config, logger), {
        connectionTimeout: 3_000,
        requestTimeout: 10_000,
        retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 2 },
      }));
  let admin: Promise<Admin> | undefined;

  const connected = (): Promise<Admin> => {
    admin ??= makeKafka().then(async (kafka) => {
      const client = kafka.admin();
      await client.connect();
      return client;
    });
    return admin;
  };

  const drop = (reason: unknown): void => {
    const dropped = admin;
    admin = undefined;
    cache.clear();
    logger.warn('dropping the Kafka metadata client after a failure; the next request connects again', errorFields(reason));
    void dropped?.then((client) => client.disconnect()).catch(() => undefined);
  };

  const run = async <T>(what: string, timeoutMs: number, work: (client: Admin) => Promise<T>): Promise<T> => {
    try {
      return await withTimeout(connected().then(work), timeoutMs, () => new ProduceTimeoutError(`${what}: no answer within ${timeoutMs} ms`));
    } catch (error) {
      const appError = fromKafkaError(error);
      // A missing topic says nothing about the client's health; everything else might.
      if (!(appError instanceof TopicNotFoundError)) drop(error);
      throw appError;
    }
  };

  const topicConfigs = async (client: Admin, name: string): Promise<Record<string, string | null>> => {
    const described = await client.describeConfigs({ resources: [{ type: TOPIC_RESOURCE, name }], includeSynonyms: false });
    const configs: Record<string, string | null> = {};
    for (const resource of described.resources) {
      for (const entry of resource.configEntries) configs[entry.configName] = entry.isSensitive ? null : entry.configValue;
    }
    return configs;
  };

  return {
    cluster({ timeoutMs }) {
      return cache.read('cluster', () =>
        run('cluster metadata', timeoutMs, async (client) => {
          const { clusterId, controller } = await client.describeCluster();
          return { clusterId, controller };
        }),
      );
    },

    topicNames({ timeoutMs }) {
      return cache.read('topics', () =>
        run('topic list', timeoutMs, async (client) => (await client.listTopics()).filter((name) => isTopicName(name) && !isInternalTopic(name)).sort()),
      );
    },

    topic(name, { timeoutMs }) {
      return cache.read(`topic:${name}`, () =>
        run('topic metadata', timeoutMs, async (client) => {
          const metadata = await client.fetchTopicMetadata({ topics: [name] });
          const found = metadata.topics.find((entry) => entry.name === name);
          if (found === undefined || found.partitions.length === 0) throw new TopicNotFoundError(`topic "${name}" does not exist`);
          const partitions = found.partitions
            .map((entry) => ({ partition: entry.partitionId, leader: entry.leader, replicas: [...entry.replicas], isr: [...entry.isr] }))
            .sort((a, b) => a.partition - b.partition);
          return { name, partitions, configs: await topicConfigs(client, name) };
        }),
      );
    },

    async close() {
      const closing = admin;
      admin = undefined;
      cache.clear();
      await closing?.then((client) => client.disconnect()).catch(() => undefined);
    },
  };
}
