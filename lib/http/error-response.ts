/**
 * The one mapping from errors to HTTP: handlers throw, and this turns the error into a status
 * and a REST Proxy error body `{"error_code", "message"}`. Unexpected errors become a plain
 * 500 50002 and are logged; no stack trace or internal message reaches the client.
 */
import { AppError, InternalError, MethodNotAllowedError } from '../errors';
import { errorFields, type Logger } from '../logger';
import { jsonResponse, type HttpResponse } from './json-response';

/** The REST Proxy error body. */
export interface ErrorBody {
  error_code: number;
  message: string;
}

/**
 * Builds the response for `error`. The body carries the AppError's message, which names what
 * failed in the API's terms only; the dependency's own detail (its `cause`: host, port, ARN,
 * the client library's text) is logged, with the request id `logger` carries, never answered.
 * Server-side failures are logged as errors, client errors that a dependency reported as warnings.
 */
export function errorResponse(error: unknown, logger: Logger): HttpResponse {
  const known = error instanceof AppError && !(error instanceof InternalError);
  const appError = known ? error : new InternalError('internal error', { cause: error });
  if (appError.httpStatus >= 500) {
    logger.error('request failed', { ...errorFields(error), httpStatus: appError.httpStatus });
  } else if (error instanceof Error && error.cause !== undefined) {
    logger.warn('request refused', { ...errorFields(error), httpStatus: appError.httpStatus });
  }
  const body: ErrorBody = { error_code: appError.code, message: appError.message };
  const headers: Record<string, string> = appError instanceof MethodNotAllowedError ? { Allow: 'POST' } : {};
  return jsonResponse(appError.httpStatus, body, headers);
}
