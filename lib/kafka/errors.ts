/**
 * How kafkajs failures become {@link AppError}s. Which failure means what is data in the
 * tables below, not guesswork spread over callers: a row names a kafkajs error class or a
 * Kafka protocol error type, and the domain error it becomes.
 *
 * Protocol error types: https://kafka.apache.org/protocol#protocol_error_codes
 *
 * Messages say what failed in the API's terms only, as clients read them (in the error body
 * or a record's `error`): kafkajs' own text names brokers and hosts, so it stays in `cause`,
 * which the HTTP edge logs with the request id.
 */
import type { KafkaConfig } from '../config';
import {
  AppError,
  InternalError,
  KafkaAccessError,
  KafkaUnavailableError,
  PayloadTooLargeError,
  ProduceTimeoutError,
  RecordsNotAcknowledgedError,
  RecordsRejectedError,
  TopicNotFoundError,
  ValidationError,
} from '../errors';
import { kafkaAccessError } from './access';

type ErrorFactory = (cause: unknown) => AppError;

const unavailable: ErrorFactory = (cause) => new KafkaUnavailableError('Kafka is unavailable; retry later', { cause });
const timedOut: ErrorFactory = (cause) => new ProduceTimeoutError('Kafka did not answer in time; retry later', { cause });
const notAcknowledged: ErrorFactory = (cause) => new RecordsNotAcknowledgedError('Kafka did not acknowledge the record; retrying may succeed', { cause });
const rejected: ErrorFactory = (cause) => new RecordsRejectedError('Kafka refused the record; retrying will not help', { cause });

/** kafkajs error classes (their `name`) that concern the connection rather than the records. */
const BY_ERROR_NAME: Readonly<Record<string, ErrorFactory>> = {
  KafkaJSConnectionError: unavailable,
  KafkaJSConnectionClosedError: unavailable,
  KafkaJSBrokerNotFound: unavailable,
  KafkaJSNoBrokerAvailableError: unavailable,
  KafkaJSMetadataNotLoaded: unavailable,
  KafkaJSTopicMetadataNotLoaded: unavailable,
  KafkaJSRequestTimeoutError: timedOut,
  KafkaJSTimeout: timedOut,
  KafkaJSLockTimeout: timedOut,
  // Without the configuration at hand (see fromKafkaError's `config`), the setting is named broadly.
  KafkaJSSASLAuthenticationError: (cause) => new KafkaAccessError('credentials', 'KAFKA_AUTH and its credentials', 'Kafka refused the credentials', { cause }),
};

const TOO_LARGE = "Kafka refused the records as too large for the topic's max.message.bytes";

/** Kafka protocol error types whose meaning for this API differs from "records not acknowledged". */
const BY_PROTOCOL_TYPE: Readonly<Record<string, ErrorFactory>> = {
  UNKNOWN_TOPIC_OR_PARTITION: (cause) => new TopicNotFoundError('the topic or partition does not exist', { cause }),
  // The broker's max.message.bytes bounds one partition's batch: too many bytes is the client's to fix.
  MESSAGE_TOO_LARGE: (cause) => new PayloadTooLargeError(TOO_LARGE, { cause }),
  RECORD_LIST_TOO_LARGE: (cause) => new PayloadTooLargeError(TOO_LARGE, { cause }),
  // For example a record without a key sent to a compacted topic.
  INVALID_RECORD: (cause) => new ValidationError('Kafka refused a record as invalid for this topic', { cause }),
  INVALID_TOPIC_EXCEPTION: (cause) => new TopicNotFoundError('not a usable topic', { cause }),
  // kafkajs calls these fatal, but the producer that saw them is replaced after every failure,
  // so the next attempt starts with a fresh producer id and sequence numbers (a broker that
  // lost its state after a restart answers this way).
  OUT_OF_ORDER_SEQUENCE_NUMBER: notAcknowledged,
  UNKNOWN_PRODUCER_ID: notAcknowledged,
  INVALID_PRODUCER_EPOCH: notAcknowledged,
  TOPIC_AUTHORIZATION_FAILED: rejected,
  CLUSTER_AUTHORIZATION_FAILED: rejected,
};

/**
 * Plain `Error`s kafkajs throws, by message. "Broker not connected" comes from a broker whose
 * ApiVersions handshake has not completed (kafkajs src/broker/index.js), i.e. no connection.
 */
const BY_PLAIN_MESSAGE: Readonly<Record<string, ErrorFactory>> = {
  'Broker not connected': unavailable,
};

interface KafkaJsErrorLike {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** kafkajs wraps the error that ended its retries; the innermost one says what happened. */
function innermost(error: unknown): KafkaJsErrorLike {
  let current = error as KafkaJsErrorLike;
  for (let depth = 0; depth < 5; depth += 1) {
    const wrapper = current?.name === 'KafkaJSNumberOfRetriesExceeded' || current?.name === 'KafkaJSNonRetriableError';
    if (!wrapper || current.cause === undefined || current.cause === current) break;
    current = current.cause as KafkaJsErrorLike;
  }
  return current ?? {};
}

/**
 * Classifies a failure thrown by kafkajs. AppErrors pass through unchanged. With `config`, a
 * refusal of the connection's credentials or TLS settings becomes a {@link KafkaAccessError}
 * naming the setting to check (see `./access.ts`). Protocol errors
 * without a row of their own become {@link RecordsNotAcknowledgedError} when kafkajs marks
 * them retriable and {@link RecordsRejectedError} otherwise; anything else unknown becomes
 * {@link KafkaUnavailableError} when retriable and {@link InternalError} when not.
 */
export function fromKafkaError(error: unknown, config?: KafkaConfig): AppError {
  if (error instanceof AppError) return error;
  const access = config === undefined ? undefined : kafkaAccessError(error, config);
  if (access !== undefined) return access;
  const inner = innermost(error);
  const message = typeof inner.message === 'string' ? inner.message : String(error);
  if (typeof inner.type === 'string') {
    const byType = BY_PROTOCOL_TYPE[inner.type];
    if (byType !== undefined) return byType(error);
    return inner.retriable === true ? notAcknowledged(error) : rejected(error);
  }
  if (typeof inner.name === 'string') {
    const byName = BY_ERROR_NAME[inner.name];
    if (byName !== undefined) return byName(error);
  }
  const byMessage = BY_PLAIN_MESSAGE[message];
  if (byMessage !== undefined) return byMessage(error);
  return inner.retriable === true ? unavailable(error) : new InternalError('Kafka client failure', { cause: error });
}
