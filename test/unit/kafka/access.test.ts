import { describe, expect, it } from 'vitest';
import * as kafkajs from 'kafkajs';
import type { KafkaConfig } from '../../../lib/config';
import { kafkaAccessError, kafkaAccessProblem } from '../../../lib/kafka/access';

// The real kafkajs error classes; its type declarations leave some out or narrow their constructors.
type ErrorClass = new (...args: unknown[]) => Error;
const { KafkaJSConnectionClosedError, KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } =
  kafkajs as unknown as Record<
    'KafkaJSConnectionClosedError' | 'KafkaJSConnectionError' | 'KafkaJSNumberOfRetriesExceeded' | 'KafkaJSProtocolError' | 'KafkaJSSASLAuthenticationError',
    ErrorClass
  >;

/** kafkajs' connection error as its Connection class builds it: the socket error's message and code. */
function socketError(message: string, code: string): Error {
  return new KafkaJSConnectionError(`Connection error: ${message}`, { code });
}

/** What kafkajs throws once its retries ran out on `cause`. */
function exhausted(cause: Error): Error {
  return new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 3, retryTime: 800 });
}

// As seen against the test broker's listeners (test/integration/kafka-auth/refusals.test.ts).
const SCRAM_REFUSED = new KafkaJSSASLAuthenticationError(
  'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
);
const UNTRUSTED_BROKER = exhausted(socketError('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'));
const CLIENT_CERT_REFUSED = exhausted(
  socketError('error:0A000412:SSL routines:ssl3_read_bytes:ssl/tls alert bad certificate:SSL alert number 42', 'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE'),
);
const TLS_TO_PLAINTEXT = exhausted(socketError('Client network socket disconnected before secure TLS connection was established', 'ECONNRESET'));
const PLAINTEXT_TO_TLS = exhausted(new KafkaJSConnectionClosedError('Closed connection', { host: '127.0.0.1', port: 9095 }));
const MECHANISM_REFUSED = new KafkaJSProtocolError({
  message: 'The broker does not support the requested SASL mechanism',
  type: 'UNSUPPORTED_SASL_MECHANISM',
  code: 33,
  retriable: false,
});

describe('kafkaAccessProblem', () => {
  it.each([
    ['a SCRAM refusal (wrong password or unknown user)', SCRAM_REFUSED, true, 'credentials'],
    ['an unsupported SASL mechanism', MECHANISM_REFUSED, true, 'mechanism'],
    ["a broker certificate from an untrusted CA, after kafkajs' retries", UNTRUSTED_BROKER, true, 'server-certificate'],
    ["the broker's bad-certificate alert", CLIENT_CERT_REFUSED, true, 'client-certificate'],
    [
      "TLS 1.3's certificate-required alert",
      socketError('tlsv13 alert certificate required', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'),
      true,
      'client-certificate',
    ],
    ['a TLS handshake cut off by a plaintext listener', TLS_TO_PLAINTEXT, true, 'tls-to-plaintext'],
    ['every plaintext attempt closed unanswered', PLAINTEXT_TO_TLS, false, 'plaintext-to-tls'],
  ])('recognises %s', (_name, error, ssl, problem) => {
    expect(kafkaAccessProblem(error, ssl)).toBe(problem);
  });

  it.each([
    ['a refused connection (broker down)', exhausted(socketError('connect ECONNREFUSED 127.0.0.1:9092', 'ECONNREFUSED')), false],
    ['a connection timeout', exhausted(new KafkaJSConnectionError('Connection timeout')), true],
    // A host name the certificate does not name is KAFKA_BROKERS' business, not the CA's.
    ['a broker certificate for another host name', socketError("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'), true],
    ['one closed connection that was not retried to the end (a broker restarting)', new KafkaJSConnectionClosedError('Closed connection'), false],
    ['closed connections when the client spoke TLS', PLAINTEXT_TO_TLS, true],
    ['a reset connection when the client spoke plaintext', exhausted(socketError('read ECONNRESET', 'ECONNRESET')), false],
    ['a protocol error of a request', new KafkaJSProtocolError({ message: 'x', type: 'NOT_ENOUGH_REPLICAS', code: 19, retriable: true }), true],
    ['something else', new TypeError('x is undefined'), true],
  ])('leaves %s alone', (_name, error, ssl) => {
    expect(kafkaAccessProblem(error, ssl)).toBeUndefined();
  });
});

function config(overrides: Partial<KafkaConfig>): KafkaConfig {
  return { brokers: ['b-1.example:9096'], auth: 'none', ssl: true, clientId: 'test', region: 'eu-west-1', ...overrides };
}

describe('kafkaAccessError', () => {
  it.each([
    [
      'SCRAM from a secret',
      SCRAM_REFUSED,
      config({ auth: 'scram-sha-512', saslSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:s' }),
      "Kafka refused the credentials (wrong password, unknown user or refused token); check KAFKA_SASL_SECRET_ARN (the secret's username and password)",
    ],
    [
      'SCRAM from variables',
      SCRAM_REFUSED,
      config({ auth: 'scram-sha-512', username: 'u', password: 'p' }),
      'Kafka refused the credentials (wrong password, unknown user or refused token); check KAFKA_USERNAME and KAFKA_PASSWORD',
    ],
    [
      'an IAM token',
      SCRAM_REFUSED,
      config({ auth: 'aws-iam' }),
      "Kafka refused the credentials (wrong password, unknown user or refused token); check KAFKA_AUTH (aws-iam: the function role's kafka-cluster:Connect permission)",
    ],
    [
      'no CA configured',
      UNTRUSTED_BROKER,
      config({}),
      "the Kafka broker's TLS certificate is not trusted; check KAFKA_CA_SECRET_ARN (or KAFKA_CA_FILE): the brokers' certificates are not signed by a public CA",
    ],
    ['a CA file', UNTRUSTED_BROKER, config({ caFile: '/opt/ca.pem' }), "the Kafka broker's TLS certificate is not trusted; check KAFKA_CA_FILE"],
    [
      'a CA secret',
      UNTRUSTED_BROKER,
      config({ caSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ca' }),
      "the Kafka broker's TLS certificate is not trusted; check KAFKA_CA_SECRET_ARN",
    ],
    [
      'a client certificate secret',
      CLIENT_CERT_REFUSED,
      config({ auth: 'mtls', clientCertSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:c' }),
      "the Kafka broker refused the client's TLS certificate; check KAFKA_CLIENT_CERT_SECRET_ARN (the secret's certificate must chain to a CA the brokers trust)",
    ],
    [
      'client certificate files',
      CLIENT_CERT_REFUSED,
      config({ auth: 'mtls', clientCertFile: 'c.pem', clientKeyFile: 'c.key' }),
      "the Kafka broker refused the client's TLS certificate; check KAFKA_CLIENT_CERT_FILE and KAFKA_CLIENT_KEY_FILE",
    ],
    [
      'no client certificate at all',
      CLIENT_CERT_REFUSED,
      config({ auth: 'scram-sha-512', username: 'u', password: 'p' }),
      "the Kafka broker refused the client's TLS certificate; check KAFKA_AUTH (the listener requires a client certificate: mtls)",
    ],
    [
      'a mechanism',
      MECHANISM_REFUSED,
      config({ auth: 'aws-iam' }),
      'the Kafka listener does not offer the configured SASL mechanism; check KAFKA_AUTH and KAFKA_BROKERS',
    ],
    [
      'TLS to plaintext',
      TLS_TO_PLAINTEXT,
      config({}),
      'the Kafka listener closed the connection during the TLS handshake: it does not speak TLS; check KAFKA_SSL and KAFKA_BROKERS (the port of a TLS listener)',
    ],
    [
      'plaintext to TLS',
      PLAINTEXT_TO_TLS,
      config({ ssl: false }),
      'the Kafka listener closed a plaintext connection without answering: it expects TLS or SASL; check KAFKA_SSL, KAFKA_AUTH and KAFKA_BROKERS',
    ],
  ])('names the setting to check for %s', (_name, error, kafkaConfig, message) => {
    const access = kafkaAccessError(error, kafkaConfig);
    expect(access?.message).toBe(message);
    expect(access?.cause).toBe(error);
    expect(access?.retriable).toBe(true);
  });

  it('is undefined for a failure that is not about access', () => {
    expect(kafkaAccessError(new Error('Broker not connected'), config({}))).toBeUndefined();
  });
});
