/**
 * How kafkajs failures become {@link AppError}s. Which failure means what is data in the
 * tables below, not guesswork spread over callers: a row names a kafkajs error class or a
 * Kafka protocol error type, and the domain error it becomes.
 *
 * Protocol error types: https://kafka.apache.org/protocol#protocol_error_codes
 */
import {
  AppError,
  InternalError,
  KafkaUnavailableError,
  PayloadTooLargeError,
  ProduceTimeoutError,
  RecordsNotAcknowledgedError,
  RecordsRejectedError,
  TopicNotFoundError,
  ValidationError,
} from '../errors';

type ErrorFactory = (message: string, cause: unknown) => AppError;

const unavailable: ErrorFactory = (message, cause) => new KafkaUnavailableError(`Kafka unavailable: ${message}`, { cause });
const timedOut: ErrorFactory = (message, cause) => new ProduceTimeoutError(`no acknowledgement in time: ${message}`, { cause });
const notAcknowledged: ErrorFactory = (message, cause) => new RecordsNotAcknowledgedError(message, { cause });
const rejected: ErrorFactory = (message, cause) => new RecordsRejectedError(message, { cause });

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
  // Wrong credentials or mechanism: a deployment fault, not the client's, and retrying will not help.
  KafkaJSSASLAuthenticationError: (message, cause) => new InternalError(`Kafka authentication failed: ${message}`, { cause }),
};

/** Kafka protocol error types whose meaning for this API differs from "records not acknowledged". */
const BY_PROTOCOL_TYPE: Readonly<Record<string, ErrorFactory>> = {
  UNKNOWN_TOPIC_OR_PARTITION: (message, cause) => new TopicNotFoundError(`topic or partition does not exist: ${message}`, { cause }),
  // The broker's max.message.bytes bounds one partition's batch: too many bytes is the client's to fix.
  MESSAGE_TOO_LARGE: (message, cause) => new PayloadTooLargeError(`the broker refused the records as too large: ${message}`, { cause }),
  RECORD_LIST_TOO_LARGE: (message, cause) => new PayloadTooLargeError(`the broker refused the records as too large: ${message}`, { cause }),
  // For example a record without a key sent to a compacted topic.
  INVALID_RECORD: (message, cause) => new ValidationError(`the broker refused a record: ${message}`, { cause }),
  INVALID_TOPIC_EXCEPTION: (message, cause) => new TopicNotFoundError(`not a usable topic: ${message}`, { cause }),
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
 * Classifies a failure thrown by kafkajs. AppErrors pass through unchanged. Protocol errors
 * without a row of their own become {@link RecordsNotAcknowledgedError} when kafkajs marks
 * them retriable and {@link RecordsRejectedError} otherwise; anything else unknown becomes
 * {@link KafkaUnavailableError} when retriable and {@link InternalError} when not.
 */
export function fromKafkaError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const inner = innermost(error);
  const message = typeof inner.message === 'string' ? inner.message : String(error);
  if (typeof inner.type === 'string') {
    const byType = BY_PROTOCOL_TYPE[inner.type];
    if (byType !== undefined) return byType(message, error);
    return inner.retriable === true ? notAcknowledged(message, error) : rejected(message, error);
  }
  if (typeof inner.name === 'string') {
    const byName = BY_ERROR_NAME[inner.name];
    if (byName !== undefined) return byName(message, error);
  }
  const byMessage = BY_PLAIN_MESSAGE[message];
  if (byMessage !== undefined) return byMessage(message, error);
  return inner.retriable === true ? unavailable(message, error) : new InternalError(`Kafka client failure: ${message}`, { cause: error });
}
