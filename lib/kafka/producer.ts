/**
 * A safe, reusable Kafka producer for request/response callers: one kafkajs client per
 * container, connected on first use, that answers only after acks=all and turns every
 * kafkajs failure into an {@link AppError} (see {@link fromKafkaError}).
 *
 * Partitions are chosen here, before sending, as kafkajs' DefaultPartitioner chooses them
 * (see {@link createPartitioner}: murmur2 of the key bytes modulo the partition count, as the
 * Java client does for keyed records; round-robin over partitions with a leader for records
 * without a key), so that every record's partition is known and its offset can be derived
 * from the broker's answer.
 */
import type { Admin, ICustomPartitioner, IHeaders, Kafka, Message, PartitionMetadata, Producer } from 'kafkajs';
import type { KafkaConfig } from '../config';
import type { Clock } from '../clock';
import { KafkaUnavailableError, ProduceTimeoutError, TopicNotFoundError } from '../errors';
import { errorFields, type Logger } from '../logger';
import { withTimeout } from '../timeout';
import { rereadKafkaSecretAfterRefusal, resolveKafkaClientDeps, withSecretReread } from './auth';
import { createKafka } from './client';
import { fromKafkaError } from './errors';
import { createPartitioner, type Partitioner } from './partitioner';

/** One record to produce. Keys, values and header values are raw bytes. */
export interface OutgoingRecord {
  key: Buffer | null;
  /** Null produces a tombstone. */
  value: Buffer | null;
  /** Explicit partition; when absent the partitioner chooses. */
  partition?: number;
  /** In order; a name may repeat, and a null value is Kafka's null header value. */
  headers: readonly { name: string; value: Buffer | null }[];
  /** The record's timestamp (CreateTime), epoch milliseconds; when absent kafkajs stamps the send's time. */
  timestampMs?: number;
}

/** What the broker acknowledged for one partition of a send. */
export interface PartitionAck {
  partition: number;
  /** Offset of the first record of this send in the partition (Kafka offsets are 64-bit). */
  baseOffset: bigint;
}

/** The result of {@link RecordProducer.send}. */
export interface SendOutcome {
  /** The partition each record was sent to, in input order. */
  partitions: number[];
  /** One entry per partition the broker acknowledged. */
  acks: PartitionAck[];
}

/** What the produce service needs from Kafka. */
export interface RecordProducer {
  /**
   * The number of partitions of `topic`, from a short-lived cache unless `refresh` is set.
   *
   * @throws {TopicNotFoundError} when the topic does not exist.
   * @throws {KafkaUnavailableError} / {ProduceTimeoutError} when the cluster does not answer within `timeoutMs`.
   */
  partitionCount(topic: string, options: { timeoutMs: number; refresh?: boolean }): Promise<number>;
  /**
   * Sends `records` to `topic` in one batch with acks=all and resolves with the broker's
   * acknowledgements. Explicit partitions must exist (check with {@link partitionCount}).
   *
   * @throws {ProduceTimeoutError} when the acknowledgement does not arrive within `timeoutMs`.
   * @throws {AppError} classified by {@link fromKafkaError} for any other failure.
   */
  send(topic: string, records: readonly OutgoingRecord[], options: { timeoutMs: number }): Promise<SendOutcome>;
  /** Disconnects; a later call connects again. */
  close(): Promise<void>;
}

/** Options of {@link createKafkaRecordProducer}. */
export interface KafkaRecordProducerOptions {
  logger: Logger;
  clock: Clock;
  /** The request budget (`PRODUCE_TIMEOUT_MS`); kafkajs' own timeouts are set below it. */
  timeoutMs: number;
  /** How long partition metadata is trusted before it is fetched again. */
  metadataTtlMs?: number;
  /**
   * Makes the kafkajs client of each connection (tests give a fake); by default one for
   * `config`, with the project's logger and the timeouts below.
   */
  kafka?: (settings: Pick<KafkaJsSettings, 'connectionTimeout' | 'requestTimeout' | 'retry'>) => Promise<Pick<Kafka, 'admin' | 'producer'>>;
  /**
   * After Kafka refused the connection (`problem`, see `./access.ts`), lets the next client read
   * the refused secret again; true when it will. By default the container's resolver's.
   */
  rereadSecret?: (config: KafkaConfig, problem: string) => boolean;
}

type KafkaJsSettings = NonNullable<Parameters<typeof createKafka>[2]>;

interface CachedTopic {
  partitions: PartitionMetadata[];
  fetchedAtMs: number;
}

interface Connection {
  admin: Admin;
  producer: Producer;
  ready: Promise<void>;
  partitioner: Partitioner;
  topics: Map<string, CachedTopic>;
  /** Calls that took this client and have not settled yet. */
  users: number;
  /** Dropped: no new call takes it, and it is disconnected once `users` is 0. */
  dropped: boolean;
  disconnected?: Promise<void>;
}

const DEFAULT_METADATA_TTL_MS = 10_000;

/**
 * Thrown by a call that found its client dropped (by another call's failure) before it sent
 * anything: it starts again on the next client, at most {@link MAX_CLIENTS_PER_CALL} times.
 */
class ClientDropped extends Error {
  constructor() {
    super('the Kafka client was dropped after another call failed');
    this.name = 'ClientDropped';
  }
}

const MAX_CLIENTS_PER_CALL = 3;

/**
 * The partitioner kafkajs runs on every message of a send. Each message already carries the
 * partition chosen above, which is what kafkajs' own partitioners return first too; this one
 * skips their per-message work (they list the partitions with a leader before looking at the
 * message).
 */
const chosenPartition: ICustomPartitioner = () => {
  return ({ message }) => message.partition as number;
};

/** A record's headers as kafkajs takes them: an object by name, a repeated name's values in order. */
export function toHeaders(headers: OutgoingRecord['headers']): IHeaders {
  // No prototype: header names such as `constructor` or `__proto__` are client input and must
  // not meet Object.prototype. kafkajs reads the headers with Object.keys.
  const byName: Record<string, Buffer | null | (Buffer | null)[]> = Object.create(null);
  for (const { name, value } of headers) {
    const previous = byName[name];
    if (previous === undefined) byName[name] = value;
    else byName[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  // kafkajs' types leave null out, but its record encoder writes a null value as Kafka's null
  // header value (length -1); patches/ makes its size computation take one too.
  return byName as IHeaders;
}

/** Rejects with {@link ProduceTimeoutError} when `promise` has not settled after `timeoutMs`. */
function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return withTimeout(promise, timeoutMs, () => new ProduceTimeoutError(`${what}: no answer within ${timeoutMs} ms`));
}

/**
 * Creates a {@link RecordProducer} on kafkajs: an idempotent producer (acks=-1, one request in
 * flight per broker, bounded retries) and an admin client for partition metadata. Nothing
 * connects until the first call. After any failed call the client is dropped and the next
 * call connects afresh: a broker that comes back is used without a cold start, and a
 * producer whose idempotence state is in doubt (unanswered sequence numbers) is never reused.
 */
export function createKafkaRecordProducer(config: KafkaConfig, options: KafkaRecordProducerOptions): RecordProducer {
  const { logger, clock, timeoutMs } = options;
  const metadataTtlMs = options.metadataTtlMs ?? DEFAULT_METADATA_TTL_MS;
  // The broker is asked to answer a produce within 80% of the budget (it replies
  // REQUEST_TIMED_OUT when the replicas are slower), leaving time for kafkajs to retry.
  const ackTimeoutMs = Math.max(100, Math.floor(timeoutMs * 0.8));
  // A silent socket is left to the budget: when kafkajs timed requests out first, it tore the
  // connection down and the next request failed with "Broker not connected", which would turn
  // "no answer in time" (504) into a confusing 503. The budget answers first and drops the client.
  const requestTimeoutMs = timeoutMs + 1_000;
  const connectionTimeoutMs = Math.min(3_000, Math.max(100, Math.floor(timeoutMs / 4)));
  let current: Connection | undefined;

  const makeKafka = options.kafka ?? (async (settings) => createKafka(config, await resolveKafkaClientDeps(config, logger), settings));
  const rereadSecret = options.rereadSecret ?? rereadKafkaSecretAfterRefusal;

  const open = (): Connection => {
    const kafkaReady = makeKafka({
      connectionTimeout: connectionTimeoutMs,
      requestTimeout: requestTimeoutMs,
      retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
    });
    const connection = { users: 0, dropped: false } as Connection;
    connection.topics = new Map();
    connection.partitioner = createPartitioner();
    connection.ready = kafkaReady.then(async (kafka) => {
      connection.admin = kafka.admin();
      connection.producer = kafka.producer({
        idempotent: true,
        // Idempotence needs at most 5 in flight per connection; kafkajs' idempotent producer
        // serializes requests per broker anyway, so 1 costs nothing and keeps ordering simple.
        maxInFlightRequests: 1,
        // Retries are bounded so that an answer comes within the budget; the producer is then
        // replaced (see above), which is what keeps limited retries safe for idempotence.
        retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
        allowAutoTopicCreation: false,
        createPartitioner: chosenPartition,
      });
      await Promise.all([connection.admin.connect(), connection.producer.connect()]);
    });
    return connection;
  };

  const disconnect = (connection: Connection): Promise<void> => {
    connection.disconnected ??= (async () => {
      await connection.ready.catch(() => undefined);
      await Promise.all([connection.producer?.disconnect(), connection.admin?.disconnect()]).catch((error: unknown) =>
        logger.warn('disconnecting the Kafka client failed', errorFields(error)),
      );
    })();
    return connection.disconnected;
  };

  /**
   * Drops the client after a failure: the next call connects afresh. Calls that already hold
   * it finish on it first; it is disconnected when the last of them settles. kafkajs' disconnect
   * lets requests already queued finish but fails those made after it began, so disconnecting at
   * once answered a concurrent request 503 for a failure not its own.
   */
  const discard = (connection: Connection | undefined, reason: unknown): void => {
    if (connection === undefined || connection.dropped) return;
    connection.dropped = true;
    if (current === connection) current = undefined;
    logger.warn('dropping the Kafka client after a failure; the next request connects again', errorFields(reason));
    if (connection.users === 0) void disconnect(connection);
  };

  const connected = async (): Promise<Connection> => {
    current ??= open();
    const connection = current;
    await connection.ready;
    return connection;
  };

  /**
   * Runs `work` on a connected client within `budgetMs`, classifying and cleaning up failures.
   * A call whose client was dropped by another call's failure before it sent anything starts
   * again on the next client (see {@link ClientDropped}).
   */
  const attempt = async <T>(what: string, budgetMs: number, work: (connection: Connection) => Promise<T>): Promise<T> => {
    let connection: Connection | undefined;
    try {
      return await within(
        (async () => {
          for (let attempt = 1; ; attempt += 1) {
            const held = await connected();
            connection = held;
            held.users += 1;
            try {
              return await work(held);
            } catch (error) {
              if (!(error instanceof ClientDropped) || attempt === MAX_CLIENTS_PER_CALL) throw error;
            } finally {
              // Settles with the work itself, also after the budget ran out: the client stays up while it runs.
              held.users -= 1;
              if (held.dropped && held.users === 0) void disconnect(held);
            }
          }
        })(),
        budgetMs,
        what,
      );
    } catch (error) {
      // Other calls' failures, one client after another: Kafka is failing, but not for this call to say how.
      if (error instanceof ClientDropped) throw new KafkaUnavailableError('Kafka is unavailable; retry later', { cause: error });
      const appError = fromKafkaError(error, config);
      // A missing topic says nothing about the client's health; everything else might. Records
      // refused as too large or invalid drop the client too: when one partition of a produce
      // request fails, kafkajs rolls back the sequence numbers of every partition of that request
      // (kafkajs src/producer/sendMessages.js), also of those the broker appended, so this producer's
      // next batch to such a partition would reuse a sequence number: the broker would take it for
      // a retry of the appended batch and drop it, or refuse it as out of order.
      if (!(appError instanceof TopicNotFoundError)) discard(connection ?? current, error);
      throw appError;
    }
  };

  /**
   * {@link attempt}, and once more within the same budget when Kafka refused what a secret
   * holds and that secret may have changed (rotated) since it was read: the second client reads
   * it again. A second refusal is the answer.
   */
  const run = <T>(what: string, budgetMs: number, work: (connection: Connection) => Promise<T>): Promise<T> =>
    withSecretReread(config, { clock, logger, rereadSecret }, budgetMs, (left) => attempt(what, left, work));

  const topicPartitions = async (connection: Connection, topic: string, refresh: boolean): Promise<PartitionMetadata[]> => {
    const cached = connection.topics.get(topic);
    if (!refresh && cached !== undefined && clock.nowMs() - cached.fetchedAtMs < metadataTtlMs) return cached.partitions;
    const metadata = await connection.admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = metadata.topics.find((entry) => entry.name === topic)?.partitions ?? [];
    if (partitions.length === 0) throw new TopicNotFoundError(`topic "${topic}" does not exist`);
    connection.topics.set(topic, { partitions, fetchedAtMs: clock.nowMs() });
    return partitions;
  };

  return {
    async partitionCount(topic, { timeoutMs: budgetMs, refresh = false }) {
      return run('topic metadata', budgetMs, async (connection) => (await topicPartitions(connection, topic, refresh)).length);
    },

    async send(topic, records, { timeoutMs: budgetMs }) {
      return run('produce', budgetMs, async (connection) => {
        const partitionMetadata = await topicPartitions(connection, topic, false);
        const partitions: number[] = [];
        const messages: Message[] = records.map((record) => {
          const { key, value } = record;
          const partition = record.partition ?? connection.partitioner(topic, partitionMetadata, key);
          partitions.push(partition);
          // Written out rather than spread: on this hot path, object spread cost three times as much.
          const timestamp = record.timestampMs === undefined ? undefined : String(record.timestampMs);
          return { key, value, partition, headers: toHeaders(record.headers), timestamp };
        });
        // Dropped while this call looked up the partitions: its producer's sequence numbers may be
        // in doubt (the failure may have left a batch whose outcome is unknown), so nothing more is sent on it.
        if (connection.dropped) throw new ClientDropped();
        try {
          const metadata = await connection.producer.sendBatch({
            topicMessages: [{ topic, messages }],
            acks: -1,
            timeout: ackTimeoutMs,
          });
          const acks = metadata
            .filter((entry) => entry.topicName === topic && entry.errorCode === 0 && entry.baseOffset !== undefined)
            .map((entry) => ({ partition: entry.partition, baseOffset: BigInt(entry.baseOffset as string) }));
          // kafkajs silently skips partitions missing from its own metadata; such records were
          // never sent. The caller reports them; a fresh client next time has fresh metadata.
          const acknowledged = new Set(acks.map((ack) => ack.partition));
          if (partitions.some((partition) => !acknowledged.has(partition))) {
            discard(connection, new Error(`no acknowledgement for some partitions of ${topic}`));
          }
          return { partitions, acks };
        } catch (error) {
          // The topic vanished after the metadata check. kafkajs' producer keeps a vanished topic
          // among those whose metadata it refreshes, failing later sends, so the client goes too.
          if (fromKafkaError(error) instanceof TopicNotFoundError) discard(connection, error);
          throw error;
        }
      });
    },

    async close() {
      const connection = current;
      current = undefined;
      if (connection === undefined) return;
      connection.dropped = true;
      await disconnect(connection);
    },
  };
}
