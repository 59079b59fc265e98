/**
 * The project's error hierarchy. Every failure that crosses a module boundary is an
 * {@link AppError}: it carries the REST Proxy style `code`, the HTTP status it maps to,
 * and whether retrying the same operation may succeed. Retriability is decided here,
 * by each class, and nowhere else.
 */

/** Options accepted by every {@link AppError} constructor. */
export interface AppErrorOptions {
  /** The lower-level error this one wraps. */
  cause?: unknown;
}

/** Base class of all domain errors. */
export abstract class AppError extends Error {
  /** Kafka REST Proxy style error code (for example 42201). */
  abstract readonly code: number;
  /** HTTP status the produce API answers with. */
  abstract readonly httpStatus: number;
  /** True when the same operation may succeed if tried again later. */
  abstract readonly retriable: boolean;

  constructor(message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** A required environment variable is missing or malformed; thrown at cold start. */
export class ConfigError extends AppError {
  readonly code = 50001;
  readonly httpStatus = 500;
  readonly retriable = false;
  constructor(
    /** Name of the offending environment variable. */
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable}: ${detail}`);
  }
}

/** The request body is not JSON. */
export class BodyNotJsonError extends AppError {
  readonly code = 40001;
  readonly httpStatus = 400;
  readonly retriable = false;
}

/** The request is JSON but not a valid produce request; the message names the field. */
export class ValidationError extends AppError {
  readonly code = 42201;
  readonly httpStatus = 422;
  readonly retriable = false;
}

/** Too many records or bytes in one request. */
export class PayloadTooLargeError extends AppError {
  readonly code = 41301;
  readonly httpStatus = 413;
  readonly retriable = false;
}

/** The request's content type is not one the API accepts. */
export class UnsupportedMediaTypeError extends AppError {
  readonly code = 41501;
  readonly httpStatus = 415;
  readonly retriable = false;
}

/** The topic is not in `ALLOWED_TOPICS`. */
export class TopicNotAllowedError extends AppError {
  readonly code = 40301;
  readonly httpStatus = 403;
  readonly retriable = false;
}

/** The topic does not exist on the cluster. */
export class TopicNotFoundError extends AppError {
  readonly code = 40401;
  readonly httpStatus = 404;
  readonly retriable = false;
}

/** A record names a partition the topic does not have. */
export class PartitionNotFoundError extends AppError {
  readonly code = 40402;
  readonly httpStatus = 404;
  readonly retriable = false;
}

/** The route or method is not part of the API. */
export class RouteNotFoundError extends AppError {
  readonly code = 40400;
  readonly httpStatus = 404;
  readonly retriable = false;
}

/** A request with the same Idempotency-Key is still being processed. */
export class IdempotencyInProgressError extends AppError {
  readonly code = 40901;
  readonly httpStatus = 409;
  readonly retriable = true;
}

/** The Idempotency-Key was used before with a different request body. */
export class IdempotencyKeyMismatchError extends AppError {
  readonly code = 42202;
  readonly httpStatus = 422;
  readonly retriable = false;
}

/** The route exists but not for this HTTP method. */
export class MethodNotAllowedError extends AppError {
  readonly code = 40501;
  readonly httpStatus = 405;
  readonly retriable = false;
}

/**
 * The broker did not acknowledge some records for a reason that may pass (for example a
 * leader election); per record this is `error_code` 50003 and the response is a 503.
 */
export class RecordsNotAcknowledgedError extends AppError {
  readonly code = 50003;
  readonly httpStatus = 503;
  readonly retriable = true;
}

/**
 * The broker refused some records for a reason that will not pass by retrying (for example
 * missing authorization); per record this is `error_code` 50002 and the response is a 500.
 */
export class RecordsRejectedError extends AppError {
  readonly code = 50002;
  readonly httpStatus = 500;
  readonly retriable = false;
}

/** The Kafka cluster could not be reached or refused the request for a transient reason. */
export class KafkaUnavailableError extends AppError {
  readonly code = 50301;
  readonly httpStatus = 503;
  readonly retriable = true;
}

/** The idempotency / sink store could not be reached. */
export class StoreUnavailableError extends AppError {
  readonly code = 50302;
  readonly httpStatus = 503;
  readonly retriable = true;
}

/** The broker did not acknowledge within `PRODUCE_TIMEOUT_MS`. */
export class ProduceTimeoutError extends AppError {
  readonly code = 50401;
  readonly httpStatus = 504;
  readonly retriable = true;
}

/** A Lambda event is not of the shape the event source mapping sends. */
export class MalformedEventError extends AppError {
  readonly code = 40002;
  readonly httpStatus = 400;
  readonly retriable = false;
}

/**
 * A consumed record that can never be processed as it is (its value is not JSON, or the
 * sink refuses the item); retrying the same record cannot help.
 */
export class UnprocessableRecordError extends AppError {
  readonly code = 42203;
  readonly httpStatus = 422;
  readonly retriable = false;
}

/** An unexpected failure with no better classification. Never used for bad input. */
export class InternalError extends AppError {
  readonly code = 50002;
  readonly httpStatus = 500;
  readonly retriable = false;
}

/** Wraps anything thrown into an {@link AppError}, keeping AppErrors as they are. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new InternalError(message, { cause: error });
}
