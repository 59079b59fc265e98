/**
 * The one table from what went wrong to how the HTTP API answers it: the status and the
 * Kafka REST Proxy `error_code` for each {@link ErrorCode} (CONTRACT: Produce). Errors carry
 * no HTTP of their own; the produce handler and the local HTTP server both answer from here.
 * REST Proxy error codes are the status followed by two digits:
 * https://docs.confluent.io/platform/current/kafka-rest/api.html#errors
 */
import { ErrorCode, type AppError } from '../errors';

/** How the HTTP API answers one kind of error. */
export interface HttpErrorAnswer {
  /** The HTTP status of the response. */
  status: number;
  /** The REST Proxy `error_code`: of the whole request, or of each failed record. */
  errorCode: number;
}

/**
 * Each code's answer. Two domain codes share the REST Proxy's 50002 on the wire (a record the
 * broker refused for good, and an unexpected failure), as the contract fixes them; their
 * own codes tell them apart in logs and in code.
 */
export const HTTP_ERROR_ANSWERS: Readonly<Record<ErrorCode, HttpErrorAnswer>> = {
  [ErrorCode.BodyNotJson]: { status: 400, errorCode: 40001 },
  [ErrorCode.MalformedEvent]: { status: 400, errorCode: 40002 },
  [ErrorCode.Unauthenticated]: { status: 401, errorCode: 40101 },
  [ErrorCode.TopicNotAllowed]: { status: 403, errorCode: 40301 },
  [ErrorCode.CallerNotAllowed]: { status: 403, errorCode: 40302 },
  [ErrorCode.RouteNotFound]: { status: 404, errorCode: 40400 },
  [ErrorCode.TopicNotFound]: { status: 404, errorCode: 40401 },
  [ErrorCode.PartitionNotFound]: { status: 404, errorCode: 40402 },
  // Confluent's v3 answer to an unknown cluster id: 404 with error_code 404.
  [ErrorCode.ClusterNotFound]: { status: 404, errorCode: 404 },
  [ErrorCode.MethodNotAllowed]: { status: 405, errorCode: 40501 },
  [ErrorCode.IdempotencyInProgress]: { status: 409, errorCode: 40901 },
  [ErrorCode.PayloadTooLarge]: { status: 413, errorCode: 41301 },
  [ErrorCode.UnsupportedMediaType]: { status: 415, errorCode: 41501 },
  [ErrorCode.Validation]: { status: 422, errorCode: 42201 },
  [ErrorCode.IdempotencyKeyMismatch]: { status: 422, errorCode: 42202 },
  [ErrorCode.RateLimited]: { status: 429, errorCode: 42901 },
  [ErrorCode.UnprocessableRecord]: { status: 422, errorCode: 42203 },
  // Confluent REST Proxy's numbers for the schema'd formats (key / value schema missing, JSON
  // that does not convert to the schema, invalid schema, schema not found).
  [ErrorCode.KeySchemaMissing]: { status: 422, errorCode: 42201 },
  [ErrorCode.ValueSchemaMissing]: { status: 422, errorCode: 42202 },
  [ErrorCode.SchemaDataInvalid]: { status: 422, errorCode: 42203 },
  [ErrorCode.SchemaInvalid]: { status: 422, errorCode: 42205 },
  [ErrorCode.SchemaNotFound]: { status: 422, errorCode: 42207 },
  // Confluent's v3 answer to schema members that do not go together (SchemaManagerImpl): 400 Bad Request.
  [ErrorCode.SchemaArguments]: { status: 400, errorCode: 400 },
  // Confluent's PRODUCE_BATCH_EXCEPTION_ERROR_CODE (records:batch).
  [ErrorCode.InvalidBatch]: { status: 422, errorCode: 42208 },
  [ErrorCode.Config]: { status: 500, errorCode: 50001 },
  [ErrorCode.RecordsRejected]: { status: 500, errorCode: 50002 },
  [ErrorCode.Internal]: { status: 500, errorCode: 50002 },
  // Consume-side only; never answered over HTTP, mapped as an unexpected failure would be.
  [ErrorCode.RunStopped]: { status: 500, errorCode: 50002 },
  [ErrorCode.RecordsNotAcknowledged]: { status: 503, errorCode: 50003 },
  [ErrorCode.KafkaUnavailable]: { status: 503, errorCode: 50301 },
  // To the client, refused credentials look like an unavailable cluster: retry later.
  [ErrorCode.KafkaAccess]: { status: 503, errorCode: 50301 },
  [ErrorCode.StoreUnavailable]: { status: 503, errorCode: 50302 },
  [ErrorCode.KeyUnavailable]: { status: 503, errorCode: 50303 },
  [ErrorCode.SchemaRegistryUnavailable]: { status: 503, errorCode: 50304 },
  [ErrorCode.ProduceTimeout]: { status: 504, errorCode: 50401 },
};

/** How the HTTP API answers `error`. */
export function httpErrorAnswerOf(error: AppError): HttpErrorAnswer {
  return HTTP_ERROR_ANSWERS[error.code];
}
