import { describe, expect, it } from 'vitest';
import { ConfigError, KafkaAccessError, KafkaUnavailableError, RateLimitedError } from '../../../lib/errors';
import { errorAnswer, errorResponse } from '../../../lib/http/error-response';
import { silentLogger } from '../../../lib/logger';

describe('errorAnswer', () => {
  it('answers a configuration problem met while serving as an internal error, naming no variable', () => {
    const answer = errorAnswer(new ConfigError('KAFKA_SASL_SECRET_ARN', 'the secret must hold {"username","password"}'));
    expect({ statusCode: answer.statusCode, body: answer.body }).toEqual({ statusCode: 500, body: { error_code: 50002, message: 'internal error' } });
  });

  it('answers a known error with its own message', () => {
    const answer = errorAnswer(new KafkaUnavailableError('Kafka is unavailable; retry later'));
    expect({ statusCode: answer.statusCode, body: answer.body }).toEqual({
      statusCode: 503,
      body: { error_code: 50301, message: 'Kafka is unavailable; retry later' },
    });
  });

  it('answers Kafka refusing the credentials as 503 with a fixed message, leaving the setting it names to the log', () => {
    const refusal = new KafkaAccessError('credentials', 'KAFKA_SASL_SECRET_ARN', 'Kafka refused the credentials', {
      cause: new Error('SASL SCRAM SHA512 authentication failed'),
    });
    const answer = errorAnswer(refusal);
    expect({ statusCode: answer.statusCode, body: answer.body }).toEqual({
      statusCode: 503,
      body: { error_code: 50301, message: 'Kafka is unavailable; retry later' },
    });
    const logged: Record<string, unknown>[] = [];
    errorResponse(refusal, { ...silentLogger, error: (message, fields) => logged.push({ message, ...fields }) });
    expect(logged).toEqual([
      expect.objectContaining({
        message: 'request failed',
        errorMessage: 'Kafka refused the credentials; check KAFKA_SASL_SECRET_ARN',
        cause: 'Error: SASL SCRAM SHA512 authentication failed',
        httpStatus: 503,
      }),
    ]);
  });

  it('tells a rate-limited client when to come back, in Retry-After (whole seconds)', () => {
    const response = errorResponse(new RateLimitedError('more than 5 requests per second from this caller; retry after 1 s', 1), silentLogger);
    expect(response.statusCode).toBe(429);
    expect(response.headers).toMatchObject({ 'Retry-After': '1' });
  });
});
