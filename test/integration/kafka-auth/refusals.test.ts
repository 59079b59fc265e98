/**
 * What a user sees when the connection settings are wrong, against the real broker's secure
 * and plaintext listeners: a wrong password, an unknown user, an untrusted broker or client
 * certificate, TLS to a plaintext port and plaintext to a TLS port. Each gives one error that
 * names the setting to check, in the log, on the first request (not the 504 of a budget run
 * out); produce answers 503 with a fixed message; the emulator's consumer refuses to start with
 * the same error; and no password or key appears in any log line or answer.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../lib/config';
import { KafkaAccessError } from '../../../lib/errors';
import { createLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { createPartitionConsumer } from '../../../local/kafka/consumer';
import { createCertificateAuthority, issueCertificate, type CertificateFiles } from '../../../local/kafka-security';
import { produceEvent } from '../../helpers/http-events';
import { testConfig, uniqueName } from '../../helpers/infra';
import {
  clientCertificateSecret,
  createSecureTestTopic,
  mockedSecretsPerTest,
  plaintextListener,
  saslSslListener,
  scramOverTlsEnv,
  scramSecret,
  secretArn,
  sslListener,
  testSecurity,
} from '../../helpers/secure-kafka';

const WRONG_PASSWORD = 'wrong-Passw0rd-never-logged';

const mocked = mockedSecretsPerTest();

// A client certificate from a CA the broker does not trust.
let strangerDir: string;
let stranger: CertificateFiles;
beforeAll(() => {
  strangerDir = mkdtempSync(join(tmpdir(), 'stranger-ca-'));
  stranger = issueCertificate(strangerDir, createCertificateAuthority(strangerDir, 'stranger-ca'), 'stranger-client', 'client');
});
afterAll(() => {
  rmSync(strangerDir, { recursive: true, force: true });
});

interface Refusal {
  statusCode?: number;
  body: unknown;
  /** Every log line of the produce function, at every level. */
  log: string;
}

/** One produce request with `env` on top of the test configuration, answered within a 20 s budget. */
async function produceWith(env: Record<string, string>): Promise<Refusal & { config: AppConfig }> {
  const topic = await createSecureTestTopic('refused');
  const config = testConfig({ PRODUCE_TIMEOUT_MS: '20000', ...env });
  const lines: string[] = [];
  const runtime = createProduceRuntime(config, { logger: createLogger('debug', (line) => lines.push(line)) });
  try {
    const response = await runtime.handler(produceEvent(topic, { records: [{ value: { n: 1 } }] }));
    return { statusCode: response.statusCode, body: JSON.parse(response.body ?? 'null'), log: lines.join('\n'), config };
  } finally {
    await runtime.close();
  }
}

/** The error the event-source emulator's consumer refuses to start with under `config`. */
async function consumerRefusal(config: AppConfig): Promise<unknown> {
  const consumer = createPartitionConsumer(config.kafka, {
    groupId: uniqueName('refused-group'),
    topic: await createSecureTestTopic('refused-consume'),
    fromBeginning: true,
    maxWaitTimeMs: 100,
    partitionsConcurrently: 1,
    logger: createLogger('silent'),
  });
  return consumer
    .start(async () => undefined)
    .then(
      async () => {
        await consumer.stop();
        return 'started';
      },
      (error: unknown) => error,
    );
}

/** The fixed answer of every refusal: Kafka unavailable, no setting, host or library text. */
const FIXED_503 = { statusCode: 503, body: { error_code: 50301, message: 'Kafka is unavailable; retry later' } };

function expectRefused(refusal: Refusal, setting: string, secretsNeverLogged: string[]): void {
  expect({ statusCode: refusal.statusCode, body: refusal.body }).toEqual(FIXED_503);
  expect(refusal.log).toContain(`check ${setting}`);
  for (const secret of secretsNeverLogged) expect(refusal.log).not.toContain(secret);
}

const privateKeyBody = (path: string): string => readFileSync(path, 'utf8').split('\n')[1] as string;

describe('SCRAM refused: wrong password or unknown user', () => {
  it('answers 503 after reading the secret once more, and logs the error naming KAFKA_SASL_SECRET_ARN without the password', async () => {
    const arn = secretArn('AmazonMSK_wrong');
    mocked().secrets.set(arn, scramSecret(testSecurity().user, WRONG_PASSWORD));
    const refusal = await produceWith(scramOverTlsEnv(arn));
    expectRefused(refusal, "KAFKA_SASL_SECRET_ARN (the secret's username and password)", [WRONG_PASSWORD, testSecurity().password]);
    expect(refusal.log).toContain('Kafka refused the credentials (wrong password, unknown user or refused token)');
    // The cold start's read and one more after the refusal, then the clear failure.
    expect(mocked().reads(arn)).toBe(2);
  });

  it('refuses an unknown user the same way, and a second request at once without reading the secret again', async () => {
    const arn = secretArn('AmazonMSK_unknown');
    mocked().secrets.set(arn, scramSecret('nobody-here', WRONG_PASSWORD));
    const refusal = await produceWith(scramOverTlsEnv(arn));
    expectRefused(refusal, "KAFKA_SASL_SECRET_ARN (the secret's username and password)", [WRONG_PASSWORD]);
    // A second request at once neither reads the secret again (once every 10 s) nor waits longer.
    const again = await produceWith(scramOverTlsEnv(arn));
    expectRefused(again, "KAFKA_SASL_SECRET_ARN (the secret's username and password)", [WRONG_PASSWORD]);
    expect(mocked().reads(arn)).toBe(2);
  });

  it('names KAFKA_USERNAME and KAFKA_PASSWORD when those gave the credentials, and the emulator consumer does not start', async () => {
    const env = {
      KAFKA_BROKERS: saslSslListener(),
      KAFKA_AUTH: 'scram-sha-512',
      KAFKA_SSL: 'true',
      KAFKA_USERNAME: testSecurity().user,
      KAFKA_PASSWORD: WRONG_PASSWORD,
      KAFKA_CA_FILE: testSecurity().caPath,
    };
    const refusal = await produceWith(env);
    expectRefused(refusal, 'KAFKA_USERNAME and KAFKA_PASSWORD', [WRONG_PASSWORD]);
    const error = await consumerRefusal(refusal.config);
    expect(error).toBeInstanceOf(KafkaAccessError);
    expect((error as KafkaAccessError).message).toBe(
      'Kafka refused the credentials (wrong password, unknown user or refused token); check KAFKA_USERNAME and KAFKA_PASSWORD',
    );
  });
});

describe('a SASL mechanism the listener does not offer', () => {
  it('names KAFKA_AUTH when kafkajs asks a SCRAM listener for OAUTHBEARER (aws-iam, as MSK IAM)', async () => {
    const refusal = await produceWith({ KAFKA_BROKERS: saslSslListener(), KAFKA_AUTH: 'aws-iam', KAFKA_CA_FILE: testSecurity().caPath });
    expectRefused(refusal, 'KAFKA_AUTH and KAFKA_BROKERS', []);
    expect(refusal.log).toContain('the Kafka listener does not offer the configured SASL mechanism');
  });
});

describe('certificates refused', () => {
  it("names KAFKA_CA_SECRET_ARN when the broker's certificate is not signed by a trusted CA", async () => {
    const arn = secretArn('AmazonMSK_good');
    mocked().secrets.set(arn, scramSecret(testSecurity().user, testSecurity().password));
    const refusal = await produceWith({ KAFKA_BROKERS: saslSslListener(), KAFKA_AUTH: 'scram-sha-512', KAFKA_SSL: 'true', KAFKA_SASL_SECRET_ARN: arn });
    expectRefused(refusal, "KAFKA_CA_SECRET_ARN (or KAFKA_CA_FILE): the brokers' certificates are not signed by a public CA", [testSecurity().password]);
    expect(refusal.log).toContain("the Kafka broker's TLS certificate is not trusted");
    const error = await consumerRefusal(refusal.config);
    expect((error as KafkaAccessError).problem).toBe('server-certificate');
  });

  it('names KAFKA_CLIENT_CERT_SECRET_ARN when the broker does not trust the client certificate, without logging its key', async () => {
    const arn = secretArn('kafka-client-stranger');
    mocked().secrets.set(arn, clientCertificateSecret(stranger));
    const refusal = await produceWith({
      KAFKA_BROKERS: sslListener(),
      KAFKA_AUTH: 'mtls',
      KAFKA_CLIENT_CERT_SECRET_ARN: arn,
      KAFKA_CA_FILE: testSecurity().caPath,
    });
    expectRefused(refusal, "KAFKA_CLIENT_CERT_SECRET_ARN (the secret's certificate must chain to a CA the brokers trust)", [
      'PRIVATE KEY',
      privateKeyBody(stranger.keyPath),
    ]);
    expect(refusal.log).toContain("the Kafka broker refused the client's TLS certificate");
    // Read at cold start and once more after the refusal, as a rotated certificate would be.
    expect(mocked().reads(arn)).toBe(2);
  });

  it('names KAFKA_AUTH when a client without a certificate meets the listener that requires one', async () => {
    const refusal = await produceWith({ KAFKA_BROKERS: sslListener(), KAFKA_SSL: 'true', KAFKA_CA_FILE: testSecurity().caPath });
    expectRefused(refusal, 'KAFKA_AUTH (the listener requires a client certificate: mtls)', []);
  });
});

describe('TLS on one side only', () => {
  it('names KAFKA_SSL when a TLS client meets the plaintext listener', async () => {
    const refusal = await produceWith({ KAFKA_BROKERS: plaintextListener(), KAFKA_SSL: 'true', KAFKA_CA_FILE: testSecurity().caPath });
    expectRefused(refusal, 'KAFKA_SSL and KAFKA_BROKERS (the port of a TLS listener)', []);
    expect(refusal.log).toContain('the Kafka listener closed the connection during the TLS handshake: it does not speak TLS');
  });

  it('names KAFKA_SSL when a plaintext client meets the TLS listener, and the emulator consumer does not start', async () => {
    const refusal = await produceWith({ KAFKA_BROKERS: sslListener() });
    expectRefused(refusal, 'KAFKA_SSL, KAFKA_AUTH and KAFKA_BROKERS', []);
    expect(refusal.log).toContain('the Kafka listener closed a plaintext connection without answering: it expects TLS or SASL');
    const error = await consumerRefusal(refusal.config);
    expect((error as KafkaAccessError).problem).toBe('plaintext-to-tls');
  });
});
