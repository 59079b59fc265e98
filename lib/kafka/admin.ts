/**
 * Cluster-level helpers over kafkajs' admin client: readiness probes and topic creation.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { Kafka as KafkaClient } from 'kafkajs';

/** A topic to create. */
export interface TopicSpec {
  topic: string;
  numPartitions: number;
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
    await withTimeout(admin.connect().then(() => admin.describeCluster()), timeoutMs);
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

/** Creates the topics that do not exist yet and waits for their leaders. Existing topics are left as they are. */
export async function ensureTopics(kafka: KafkaClient, topics: TopicSpec[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map(({ topic, numPartitions }) => ({ topic, numPartitions, replicationFactor: -1 })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
