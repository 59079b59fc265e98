/**
 * The project's error hierarchy. Every failure that crosses a module boundary is an
 * {@link AppError}: it carries what went wrong (its {@link ErrorCode} and message) and
 * whether retrying the same operation may succeed. Retriability is decided here, by each
 * class, and nowhere else. How the HTTP API answers each code (status and REST Proxy
 * `error_code`) is chosen at the HTTP edge, in `lib/http/status.ts`.
 */

/** What went wrong: one code per error class, in the domain's terms (never an HTTP status). */
export const ErrorCode = {
  Config: 'CONFIG',
  BodyNotJson: 'BODY_NOT_JSON',
  Unauthenticated: 'UNAUTHENTICATED',
  Validation: 'VALIDATION',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  TopicNotAllowed: 'TOPIC_NOT_ALLOWED',
  CallerNotAllowed: 'CALLER_NOT_ALLOWED',
  TopicNotFound: 'TOPIC_NOT_FOUND',
  PartitionNotFound: 'PARTITION_NOT_FOUND',
  ClusterNotFound: 'CLUSTER_NOT_FOUND',
  RouteNotFound: 'ROUTE_NOT_FOUND',
  MethodNotAllowed: 'METHOD_NOT_ALLOWED',
  IdempotencyInProgress: 'IDEMPOTENCY_IN_PROGRESS',
  IdempotencyKeyMismatch: 'IDEMPOTENCY_KEY_MISMATCH',
  RateLimited: 'RATE_LIMITED',
  RecordsNotAcknowledged: 'RECORDS_NOT_ACKNOWLEDGED',
  RecordsRejected: 'RECORDS_REJECTED',
  KafkaUnavailable: 'KAFKA_UNAVAILABLE',
  KafkaAccess: 'KAFKA_ACCESS',
  StoreUnavailable: 'STORE_UNAVAILABLE',
  KeyUnavailable: 'KEY_UNAVAILABLE',
  ProduceTimeout: 'PRODUCE_TIMEOUT',
  MalformedEvent: 'MALFORMED_EVENT',
  UnprocessableRecord: 'UNPROCESSABLE_RECORD',
  InvalidBatch: 'INVALID_BATCH',
  RunStopped: 'RUN_STOPPED',
  KeySchemaMissing: 'KEY_SCHEMA_MISSING',
  ValueSchemaMissing: 'VALUE_SCHEMA_MISSING',
  SchemaInvalid: 'SCHEMA_INVALID',
  SchemaNotFound: 'SCHEMA_NOT_FOUND',
  SchemaDataInvalid: 'SCHEMA_DATA_INVALID',
  SchemaArguments: 'SCHEMA_ARGUMENTS',
  SchemaRegistryUnavailable: 'SCHEMA_REGISTRY_UNAVAILABLE',
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options accepted by every {@link AppError} constructor. */
export interface AppErrorOptions {
  /** The lower-level error this one wraps. */
  cause?: unknown;
}

/** Base class of all domain errors. */
export abstract class AppError extends Error {
  /** What went wrong. */
  abstract readonly code: ErrorCode;
  /** True when the same operation may succeed if tried again later. */
  abstract readonly retriable: boolean;

  constructor(message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** A required environment variable is missing or malformed; thrown at cold start. */
export class ConfigError extends AppError {
  readonly code = ErrorCode.Config;
  readonly retriable = false;
  constructor(
    /** Name of the offending environment variable. */
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable}: ${detail}`);
  }
}

/**
 * The request carries no usable caller identity (no authorizer context, or a JWT without
 * `sub`) where anonymous callers are not served: in Lambda.
 */
export class UnauthenticatedError extends AppError {
  readonly code = ErrorCode.Unauthenticated;
  readonly retriable = false;
}

/** The request body is not JSON. */
export class BodyNotJsonError extends AppError {
  readonly code = ErrorCode.BodyNotJson;
  readonly retriable = false;
}

/** The request is JSON but not a valid produce request; the message names the field. */
export class ValidationError extends AppError {
  readonly code = ErrorCode.Validation;
  readonly retriable = false;
}

/** Too many records or bytes in one request. */
export class PayloadTooLargeError extends AppError {
  readonly code = ErrorCode.PayloadTooLarge;
  readonly retriable = false;
}

/** The request's content type is not one the API accepts. */
export class UnsupportedMediaTypeError extends AppError {
  readonly code = ErrorCode.UnsupportedMediaType;
  readonly retriable = false;
}

/** The topic is not in `ALLOWED_TOPICS`. */
export class TopicNotAllowedError extends AppError {
  readonly code = ErrorCode.TopicNotAllowed;
  readonly retriable = false;
}

/** The authenticated caller is not on the produce allow-list (`PRODUCE_ALLOWED_PRINCIPALS`, `PRODUCE_ALLOWED_ORG_ID`). */
export class CallerNotAllowedError extends AppError {
  readonly code = ErrorCode.CallerNotAllowed;
  readonly retriable = false;
}

/** The topic does not exist on the cluster. */
export class TopicNotFoundError extends AppError {
  readonly code = ErrorCode.TopicNotFound;
  readonly retriable = false;
}

/** A record names a partition the topic does not have. */
export class PartitionNotFoundError extends AppError {
  readonly code = ErrorCode.PartitionNotFound;
  readonly retriable = false;
}

/** A v3 request names a cluster other than the one the API produces to. */
export class ClusterNotFoundError extends AppError {
  readonly code = ErrorCode.ClusterNotFound;
  readonly retriable = false;
}

/**
 * A v3 `records:batch` request that cannot be taken as a batch at all: no entries, too many,
 * an entry id that is not a string of 1 to 80 characters, or two entries with the same id.
 */
export class InvalidBatchError extends AppError {
  readonly code = ErrorCode.InvalidBatch;
  readonly retriable = false;
}

/** The route or method is not part of the API. */
export class RouteNotFoundError extends AppError {
  readonly code = ErrorCode.RouteNotFound;
  readonly retriable = false;
}

/** A request with the same Idempotency-Key is still being processed. */
export class IdempotencyInProgressError extends AppError {
  readonly code = ErrorCode.IdempotencyInProgress;
  readonly retriable = true;
}

/** The Idempotency-Key was used before with a different request body. */
export class IdempotencyKeyMismatchError extends AppError {
  readonly code = ErrorCode.IdempotencyKeyMismatch;
  readonly retriable = false;
}

/** The caller made more requests than its rate limit allows (`PRODUCE_RATE_LIMIT_PER_SEC`). */
export class RateLimitedError extends AppError {
  readonly code = ErrorCode.RateLimited;
  readonly retriable = true;
  constructor(
    message: string,
    /** Whole seconds until the caller may send again (the answer's `Retry-After`). */
    readonly retryAfterSec: number,
  ) {
    super(message);
  }
}

/** The route exists but not for this HTTP method. */
export class MethodNotAllowedError extends AppError {
  readonly code = ErrorCode.MethodNotAllowed;
  readonly retriable = false;
  constructor(
    message: string,
    /** The methods the path does serve (the answer's `Allow` header). */
    readonly allowed: readonly string[] = ['POST'],
  ) {
    super(message);
  }
}

/**
 * The broker did not acknowledge some records for a reason that may pass (for example a
 * leader election).
 */
export class RecordsNotAcknowledgedError extends AppError {
  readonly code = ErrorCode.RecordsNotAcknowledged;
  readonly retriable = true;
}

/**
 * The broker refused some records for a reason that will not pass by retrying (for example
 * missing authorization).
 */
export class RecordsRejectedError extends AppError {
  readonly code = ErrorCode.RecordsRejected;
  readonly retriable = false;
}

/** The Kafka cluster could not be reached or refused the request for a transient reason. */
export class KafkaUnavailableError extends AppError {
  readonly code = ErrorCode.KafkaUnavailable;
  readonly retriable = true;
}

/**
 * Kafka refused this deployment's way of connecting: its credentials, its certificate, the CA it
 * trusts, or TLS on one side only. The message names the setting to check, for the log; clients
 * are answered as for {@link KafkaUnavailableError}, with a fixed message (`lib/http/error-response.ts`).
 * Retriable: a rotated secret or a fixed setting makes the same request succeed later.
 */
export class KafkaAccessError extends AppError {
  readonly code = ErrorCode.KafkaAccess;
  readonly retriable = true;
  constructor(
    /** What was refused (see `lib/kafka/access.ts`). */
    readonly problem: string,
    /** The environment variable(s) to check, as the message names them. */
    readonly setting: string,
    detail: string,
    options: AppErrorOptions = {},
  ) {
    super(`${detail}; check ${setting}`, options);
  }
}

/** The idempotency / sink store could not be reached. */
export class StoreUnavailableError extends AppError {
  readonly code = ErrorCode.StoreUnavailable;
  readonly retriable = true;
}

/** The caller MAC keys could not be read (Secrets Manager unreachable or refusing). */
export class KeyUnavailableError extends AppError {
  readonly code = ErrorCode.KeyUnavailable;
  readonly retriable = true;
}

/** The broker did not acknowledge within `PRODUCE_TIMEOUT_MS`. */
export class ProduceTimeoutError extends AppError {
  readonly code = ErrorCode.ProduceTimeout;
  readonly retriable = true;
}

/** A Lambda event is not of the shape the event source mapping sends. */
export class MalformedEventError extends AppError {
  readonly code = ErrorCode.MalformedEvent;
  readonly retriable = false;
}

/**
 * A consumed record that can never be processed as it is (its value is not JSON, or the
 * sink refuses the item); retrying the same record cannot help.
 */
export class UnprocessableRecordError extends AppError {
  readonly code = ErrorCode.UnprocessableRecord;
  readonly retriable = false;
}

/**
 * A consume processor applied only the first `applied` records of a run (see
 * `RecordProcessor.processRun`); the record after them failed with `cause`. Retriable when
 * its cause is.
 */
export class RunStoppedError extends AppError {
  readonly code = ErrorCode.RunStopped;
  readonly retriable: boolean;
  constructor(
    /** How many records of the run, from its first, are durably applied. */
    readonly applied: number,
    cause: unknown,
  ) {
    super(`run stopped after ${applied} record(s): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.retriable = typeof cause === 'object' && cause !== null && (cause as { retriable?: unknown }).retriable === true;
  }
}

/** A schema'd produce request has a key but neither `key_schema` nor `key_schema_id`. */
export class KeySchemaMissingError extends AppError {
  readonly code = ErrorCode.KeySchemaMissing;
  readonly retriable = false;
}

/** A schema'd produce request has a value but neither `value_schema` nor `value_schema_id`. */
export class ValueSchemaMissingError extends AppError {
  readonly code = ErrorCode.ValueSchemaMissing;
  readonly retriable = false;
}

/** A schema given as text does not parse in its format (or the registry refused it as invalid). */
export class SchemaInvalidError extends AppError {
  readonly code = ErrorCode.SchemaInvalid;
  readonly retriable = false;
}

/**
 * A schema id the registry does not know, or one not registered under the subject it was
 * given for; on consume, a record whose schema id names no schema.
 */
export class SchemaNotFoundError extends AppError {
  readonly code = ErrorCode.SchemaNotFound;
  readonly retriable = false;
}

/** A key or value does not match its schema (produce), or its bytes do not decode with it (consume). */
export class SchemaDataInvalidError extends AppError {
  readonly code = ErrorCode.SchemaDataInvalid;
  readonly retriable = false;
}

/**
 * The schema members of a REST Proxy v3 key or value do not go together (a `schema_id` with a
 * `type`, a record name strategy with nothing to take the name from, a version the subject does
 * not have): Confluent's REST Proxy answers these 400 Bad Request.
 */
export class SchemaArgumentsError extends AppError {
  readonly code = ErrorCode.SchemaArguments;
  readonly retriable = false;
}

/**
 * The schema registry could not be reached, timed out, or answered with a server error. The
 * message is fixed and in the API's terms; the registry's host and its text are in the cause.
 */
export class SchemaRegistryUnavailableError extends AppError {
  readonly code = ErrorCode.SchemaRegistryUnavailable;
  readonly retriable = true;
  constructor(options: AppErrorOptions = {}) {
    super('the schema registry is unavailable; retry later', options);
  }
}

/** An unexpected failure with no better classification. Never used for bad input. */
export class InternalError extends AppError {
  readonly code = ErrorCode.Internal;
  readonly retriable = false;
}
