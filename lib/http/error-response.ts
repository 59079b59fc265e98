/**
 * The one mapping from errors to HTTP: handlers throw, and this turns the error into a status
 * and a REST Proxy error body `{"error_code", "message"}`, both from the table in `status.ts`.
 * Unexpected errors become a plain 500 50002 and are logged; no stack trace or internal
 * message reaches the client.
 */
import { AppError, ConfigError, InternalError, KafkaAccessError, MethodNotAllowedError, RateLimitedError } from '../errors';
import { errorFields, type Logger } from '../logger';
import { jsonResponse, type HttpResponse } from './json-response';
import { httpErrorAnswerOf } from './status';

/** The REST Proxy error body. */
export interface ErrorBody {
  error_code: number;
  message: string;
}

/** The status and body that answer an error, and the {@link AppError} they were chosen for. */
export interface ErrorAnswer {
  statusCode: number;
  body: ErrorBody;
  appError: AppError;
}

/** What clients read when Kafka refused the function's credentials or TLS settings. */
export const KAFKA_ACCESS_ANSWER = 'Kafka is unavailable; retry later';

/**
 * The answer to `error`. A known {@link AppError} answers with its message, which names what
 * failed in the API's terms only; anything else, and an {@link InternalError} or a
 * {@link ConfigError} whatever its message, answers 500 "internal error"; a
 * {@link KafkaAccessError} answers 503 with {@link KAFKA_ACCESS_ANSWER}.
 */
export function errorAnswer(error: unknown): ErrorAnswer {
  // Its message names the deployment's settings: the operator's business, found in the log.
  if (error instanceof KafkaAccessError) {
    const { status, errorCode } = httpErrorAnswerOf(error);
    return { statusCode: status, body: { error_code: errorCode, message: KAFKA_ACCESS_ANSWER }, appError: error };
  }
  // A ConfigError met while serving (a malformed secret, say) names variables and settings:
  // the operator's business, not the caller's.
  const known = error instanceof AppError && !(error instanceof InternalError) && !(error instanceof ConfigError);
  const appError = known ? error : new InternalError('internal error', { cause: error });
  const { status, errorCode } = httpErrorAnswerOf(appError);
  return { statusCode: status, body: { error_code: errorCode, message: appError.message }, appError };
}

/**
 * Builds the response for `error` (see {@link errorAnswer}). The dependency's own detail (its
 * `cause`: host, port, ARN, the client library's text) is logged, with the request id
 * `logger` carries, never answered. Server-side failures are logged as errors, client errors
 * that a dependency reported as warnings.
 */
export function errorResponse(error: unknown, logger: Logger): HttpResponse {
  const { statusCode, body, appError } = errorAnswer(error);
  if (statusCode >= 500) {
    logger.error('request failed', { ...errorFields(error), httpStatus: statusCode });
  } else if (error instanceof Error && error.cause !== undefined) {
    logger.warn('request refused', { ...errorFields(error), httpStatus: statusCode });
  }
  const headers: Record<string, string> = appError instanceof MethodNotAllowedError ? { Allow: appError.allowed.join(', ') } : {};
  // RFC 9110, section 10.2.3: when the client may try again.
  if (appError instanceof RateLimitedError) headers['Retry-After'] = String(appError.retryAfterSec);
  return jsonResponse(statusCode, body, headers);
}
