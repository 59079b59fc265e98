import { describe, expect, it } from 'vitest';
import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from 'kafkajs';
import {
  InternalError,
  KafkaUnavailableError,
  PayloadTooLargeError,
  ProduceTimeoutError,
  RecordsNotAcknowledgedError,
  RecordsRejectedError,
  TopicNotFoundError,
  ValidationError,
} from '../../../lib/errors';
import { httpErrorAnswerOf } from '../../../lib/http/status';
import { fromKafkaError } from '../../../lib/kafka/errors';

const protocol = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError({ message: `broker says ${type}`, type, code: 0, retriable } as unknown as string);

describe('fromKafkaError', () => {
  it('maps connection failures, also when wrapped by exhausted retries, to 503 Kafka unavailable', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { broker: '127.0.0.1:1' });
    expect(fromKafkaError(refused)).toBeInstanceOf(KafkaUnavailableError);
    const exhausted = new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 3, retryTime: 800 });
    const mapped = fromKafkaError(exhausted);
    expect(mapped).toBeInstanceOf(KafkaUnavailableError);
    expect(httpErrorAnswerOf(mapped).status).toBe(503);
    expect(httpErrorAnswerOf(mapped).errorCode).toBe(50301);
  });

  it('maps request timeouts to 504', () => {
    expect(fromKafkaError(new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'))).toBeInstanceOf(ProduceTimeoutError);
  });

  it('maps protocol errors by their type', () => {
    expect(fromKafkaError(protocol('UNKNOWN_TOPIC_OR_PARTITION', true))).toBeInstanceOf(TopicNotFoundError);
    expect(fromKafkaError(protocol('MESSAGE_TOO_LARGE', false))).toBeInstanceOf(PayloadTooLargeError);
    expect(fromKafkaError(protocol('INVALID_RECORD', false))).toBeInstanceOf(ValidationError);
    expect(fromKafkaError(protocol('OUT_OF_ORDER_SEQUENCE_NUMBER', false))).toBeInstanceOf(RecordsNotAcknowledgedError);
    const bailed = new KafkaJSNonRetriableError(protocol('TOPIC_AUTHORIZATION_FAILED', false));
    // kafkajs' retrier passes the original error as the cause; its typings omit the option.
    Object.assign(bailed, { cause: protocol('TOPIC_AUTHORIZATION_FAILED', false) });
    expect(fromKafkaError(bailed)).toBeInstanceOf(RecordsRejectedError);
  });

  it('falls back on kafkajs retriability for protocol errors without a row', () => {
    const notEnough = fromKafkaError(protocol('NOT_ENOUGH_REPLICAS', true));
    expect(notEnough).toBeInstanceOf(RecordsNotAcknowledgedError);
    expect([httpErrorAnswerOf(notEnough).status, httpErrorAnswerOf(notEnough).errorCode]).toEqual([503, 50003]);
    const policy = fromKafkaError(protocol('POLICY_VIOLATION', false));
    expect(policy).toBeInstanceOf(RecordsRejectedError);
    expect([httpErrorAnswerOf(policy).status, httpErrorAnswerOf(policy).errorCode]).toEqual([500, 50002]);
  });

  it('treats kafkajs "Broker not connected" as unavailable, other retriable errors as unavailable and the rest as internal', () => {
    expect(fromKafkaError(new Error('Broker not connected'))).toBeInstanceOf(KafkaUnavailableError);
    expect(fromKafkaError(new KafkaJSError('Invalid partition metadata'))).toBeInstanceOf(KafkaUnavailableError);
    expect(fromKafkaError(new TypeError('x is undefined'))).toBeInstanceOf(InternalError);
  });
});
