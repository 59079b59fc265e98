import { describe, expect, it } from 'vitest';
import {
  BodyNotJsonError,
  CallerNotAllowedError,
  ConfigError,
  ErrorCode,
  IdempotencyInProgressError,
  IdempotencyKeyMismatchError,
  InternalError,
  KafkaUnavailableError,
  KeyUnavailableError,
  MalformedEventError,
  MethodNotAllowedError,
  PartitionNotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  ProduceTimeoutError,
  RecordsNotAcknowledgedError,
  RecordsRejectedError,
  RouteNotFoundError,
  StoreUnavailableError,
  TopicNotAllowedError,
  TopicNotFoundError,
  UnauthenticatedError,
  KeySchemaMissingError,
  SchemaDataInvalidError,
  SchemaInvalidError,
  SchemaNotFoundError,
  SchemaRegistryUnavailableError,
  UnprocessableRecordError,
  UnsupportedMediaTypeError,
  ValueSchemaMissingError,
  ValidationError,
  type AppError,
} from '../../../lib/errors';
import { errorAnswer } from '../../../lib/http/error-response';
import { HTTP_ERROR_ANSWERS, httpErrorAnswerOf } from '../../../lib/http/status';

// The contract's statuses and REST Proxy codes (CONTRACT.md, Produce), written out by hand.
const CASES: [AppError, number, number][] = [
  [new BodyNotJsonError('m'), 400, 40001],
  [new MalformedEventError('m'), 400, 40002],
  [new UnauthenticatedError('m'), 401, 40101],
  [new TopicNotAllowedError('m'), 403, 40301],
  [new CallerNotAllowedError('m'), 403, 40302],
  [new RouteNotFoundError('m'), 404, 40400],
  [new TopicNotFoundError('m'), 404, 40401],
  [new PartitionNotFoundError('m'), 404, 40402],
  [new MethodNotAllowedError('m'), 405, 40501],
  [new IdempotencyInProgressError('m'), 409, 40901],
  [new PayloadTooLargeError('m'), 413, 41301],
  [new UnsupportedMediaTypeError('m'), 415, 41501],
  [new ValidationError('m'), 422, 42201],
  [new IdempotencyKeyMismatchError('m'), 422, 42202],
  [new RateLimitedError('m', 1), 429, 42901],
  [new UnprocessableRecordError('m'), 422, 42203],
  [new ConfigError('PORT', 'm'), 500, 50001],
  [new RecordsRejectedError('m'), 500, 50002],
  [new InternalError('m'), 500, 50002],
  [new RecordsNotAcknowledgedError('m'), 503, 50003],
  [new KafkaUnavailableError('m'), 503, 50301],
  [new StoreUnavailableError('m'), 503, 50302],
  [new KeyUnavailableError('m'), 503, 50303],
  [new ProduceTimeoutError('m'), 504, 50401],
  [new KeySchemaMissingError('m'), 422, 42201],
  [new ValueSchemaMissingError('m'), 422, 42202],
  [new SchemaDataInvalidError('m'), 422, 42203],
  [new SchemaInvalidError('m'), 422, 42205],
  [new SchemaNotFoundError('m'), 422, 42207],
  [new SchemaRegistryUnavailableError(), 503, 50304],
];

describe('httpErrorAnswerOf', () => {
  it.each(CASES.map(([error, status, errorCode]) => [error.name, error, status, errorCode] as const))(
    '%s answers %i with error_code %i',
    (_, error, status, errorCode) => {
      expect(httpErrorAnswerOf(error)).toEqual({ status, errorCode });
    },
  );

  it('has one row for every error code, and every class has a code of its own', () => {
    expect(Object.keys(HTTP_ERROR_ANSWERS).sort()).toEqual(Object.values(ErrorCode).sort());
    expect(new Set(CASES.map(([error]) => error.code)).size).toBe(CASES.length);
  });

  it('tells a refused record from an internal failure by code, though both answer 50002', () => {
    expect(new RecordsRejectedError('m').code).toBe('RECORDS_REJECTED');
    expect(new InternalError('m').code).toBe('INTERNAL');
  });
});

describe('errorAnswer', () => {
  it('answers a known error with its own message', () => {
    expect(errorAnswer(new TopicNotAllowedError('topic "x" is not open for producing'))).toMatchObject({
      statusCode: 403,
      body: { error_code: 40301, message: 'topic "x" is not open for producing' },
    });
  });

  it.each([
    ['an InternalError', new InternalError('connect ECONNREFUSED 10.0.0.1:9092')],
    ['a plain Error', new Error('arn:aws:kafka:eu-west-1:123456789012:cluster/x')],
    ['a non-error', 'thrown text'],
  ])('answers %s with a bare 500 that names nothing', (_, error) => {
    expect(errorAnswer(error)).toMatchObject({ statusCode: 500, body: { error_code: 50002, message: 'internal error' } });
  });
});
