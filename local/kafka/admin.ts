/**
 * Cluster-level helpers over kafkajs' admin client: readiness probes and topic creation.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Kafka as KafkaClient } from 'kafkajs';
import { withTimeout } from '../../lib/timeout';

/** A topic to create. */
export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** Topic-level settings, such as `max.message.bytes`; the broker's defaults otherwise. */
  configEntries?: { name: string; value: string }[];
}

/**
 * Answers whether a Kafka broker answers a metadata request at `brokers` within `timeoutMs`.
 * Used to tell a running broker from a port held by something else.
 */
export async function isKafkaReachable(brokers: string[], timeoutMs = 3_000): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'probe',
    brokers,
    connectionTimeout: Math.min(timeoutMs, 1_000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await withTimeout(
      admin.connect().then(() => admin.describeCluster()),
      timeoutMs,
    );
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Waits until a broker at `brokers` answers metadata requests.
 *
 * @throws Error when `timeoutMs` passes first, or `abort` rejects (for example when the broker process exits).
 */
export async function waitForKafka(brokers: string[], timeoutMs: number, abort?: Promise<never>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const poll = async (): Promise<void> => {
    while (!(await isKafkaReachable(brokers, 2_000))) {
      if (Date.now() > deadline) throw new Error(`Kafka at ${brokers.join(',')} did not answer within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  await (abort === undefined ? poll() : Promise.race([poll(), abort]));
}

/**
 * Creates the topics that do not exist yet and waits until every partition of them has a
 * leader. Existing topics are left as they are.
 *
 * @throws Error when the leaders are not known within `timeoutMs`.
 */
export async function ensureTopics(kafka: KafkaClient, topics: TopicSpec[], timeoutMs = 30_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((spec) => !existing.has(spec.topic));
    if (missing.length === 0) return;
    // kafkajs' own wait for leaders (on by default) is the one that gives up on the
    // UNKNOWN_TOPIC_OR_PARTITION a busy broker answers right after creating a topic.
    await admin.createTopics({
      topics: missing.map(({ topic, numPartitions, configEntries }) => ({
        topic,
        numPartitions,
        replicationFactor: -1,
        ...(configEntries === undefined ? {} : { configEntries }),
      })),
      waitForLeaders: false,
    });
    await waitForLeaders(
      admin,
      missing.map(({ topic }) => topic),
      timeoutMs,
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Polls until every partition of `topics` has a leader that serves it. kafkajs' own
 * `waitForLeaders` gives up on the first UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker
 * answers for a moment after it created a topic; that error, like every retriable one, is
 * waited out here. A leader named in the metadata may still refuse requests for a moment
 * (NOT_LEADER_OR_FOLLOWER), so each partition's offsets, which only its leader answers, are
 * read too.
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      if (metadata.topics.every(({ partitions }) => partitions.length > 0 && partitions.every(({ leader }) => leader >= 0))) {
        await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
        return;
      }
    } catch (error) {
      if ((error as { retriable?: unknown }).retriable !== true) throw error;
    }
    if (Date.now() > deadline) throw new Error(`the leaders of ${topics.join(', ')} were not known within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
