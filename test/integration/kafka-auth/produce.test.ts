/**
 * The produce function connecting as it does in Lambda, to a real broker's secure listeners:
 * SCRAM-SHA-512 over TLS with the credentials and a private CA read from Secrets Manager
 * (a mocked SDK client, through the function's own secret reader), mutual TLS with the client
 * certificate from a secret, and what each produced record looks like when read back with the
 * event-source emulator's consumer over the same secure connection.
 */
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../../lib/config';
import { createLogger, type Logger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { createPartitionConsumer, type FetchedRecord } from '../../../local/kafka/consumer';
import { produceEvent } from '../../helpers/http-events';
import { testConfig, uniqueName, waitFor } from '../../helpers/infra';
import {
  caSecret,
  clientCertificateSecret,
  createSecureTestTopic,
  mockedSecretsPerTest,
  saslSslListener,
  scramSecret,
  secretArn,
  sslListener,
  testSecurity,
} from '../../helpers/secure-kafka';

const mocked = mockedSecretsPerTest();

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('debug', (line) => lines.push(line)), lines };
}

/** Produces one JSON record (`valueJson`, as the client writes it) through the produce function. */
async function produceOne(config: AppConfig, topic: string, valueJson: string, logger: Logger): Promise<{ statusCode?: number; body: unknown }> {
  const runtime = createProduceRuntime(config, { logger });
  try {
    const response = await runtime.handler(produceEvent(topic, `{"records":[{"key":"k-1","value":${valueJson}}]}`));
    return { statusCode: response.statusCode, body: JSON.parse(response.body ?? 'null') };
  } finally {
    await runtime.close();
  }
}

/** Reads `count` records of `topic` with the emulator's consumer over `config`'s connection. */
async function consumeOver(config: AppConfig, topic: string, count: number): Promise<FetchedRecord[]> {
  const records: FetchedRecord[] = [];
  const consumer = createPartitionConsumer(config.kafka, {
    groupId: uniqueName('secure-group'),
    topic,
    fromBeginning: true,
    maxWaitTimeMs: 100,
    partitionsConcurrently: 1,
    logger: createLogger('silent'),
  });
  await consumer.start(async (batch, control) => {
    records.push(...batch.records);
    const last = batch.records.at(-1);
    if (last === undefined) return;
    control.advance(BigInt(last.offset) + 1n);
    await control.commit(BigInt(last.offset) + 1n);
  });
  try {
    await waitFor(`${count} records on ${topic}`, () => records.length >= count);
  } finally {
    await consumer.stop();
  }
  return records;
}

describe('produce and the emulator consumer over SASL_SSL (SCRAM-SHA-512), secrets from Secrets Manager', () => {
  it('reads the SCRAM secret and the CA secret once, produces with acks, and the record reads back byte for byte', async () => {
    const topic = await createSecureTestTopic('scram');
    const scram = secretArn('AmazonMSK_scram');
    const ca = secretArn('kafka-root-ca');
    mocked().secrets.set(scram, scramSecret(testSecurity().user, testSecurity().password));
    mocked().secrets.set(ca, caSecret());
    const config = testConfig({
      KAFKA_BROKERS: saslSslListener(),
      KAFKA_AUTH: 'scram-sha-512',
      KAFKA_SSL: 'true',
      KAFKA_SASL_SECRET_ARN: scram,
      KAFKA_CA_SECRET_ARN: ca,
    });
    const { logger, lines } = recordingLogger();

    const answer = await produceOne(config, topic, '{"amount":12.50}', logger);

    expect(answer).toEqual({
      statusCode: 200,
      body: { key_schema_id: null, value_schema_id: null, offsets: [{ partition: 0, offset: 0, error_code: null, error: null }] },
    });
    const [record] = await consumeOver(config, topic, 1);
    expect(record?.key?.toString('utf8')).toBe('"k-1"');
    expect(record?.value?.toString('utf8')).toBe('{"amount":12.50}');
    expect(mocked().reads(scram)).toBe(1);
    expect(mocked().reads(ca)).toBe(1);
    expect(lines.join('\n')).not.toContain(testSecurity().password);
  });
});

describe('produce and the emulator consumer over SSL with client certificates (KAFKA_AUTH=mtls)', () => {
  it('connects with the certificate and key of a client certificate secret and a CA file', async () => {
    const topic = await createSecureTestTopic('mtls');
    const clientCert = secretArn('kafka-client-cert');
    mocked().secrets.set(clientCert, clientCertificateSecret());
    const config = testConfig({
      KAFKA_BROKERS: sslListener(),
      KAFKA_AUTH: 'mtls',
      KAFKA_CLIENT_CERT_SECRET_ARN: clientCert,
      KAFKA_CA_FILE: testSecurity().caPath,
    });
    expect(config.kafka.ssl).toBe(true);
    const { logger, lines } = recordingLogger();

    const answer = await produceOne(config, topic, '["mutual","tls"]', logger);

    expect(answer.statusCode).toBe(200);
    const [record] = await consumeOver(config, topic, 1);
    expect(record?.value?.toString('utf8')).toBe('["mutual","tls"]');
    expect(mocked().reads(clientCert)).toBe(1);
    expect(lines.join('\n')).not.toContain('PRIVATE KEY');
  });

  it('connects with local certificate and key files (KAFKA_CLIENT_CERT_FILE, KAFKA_CLIENT_KEY_FILE)', async () => {
    const topic = await createSecureTestTopic('mtls-files');
    const config = testConfig({
      KAFKA_BROKERS: sslListener(),
      KAFKA_AUTH: 'mtls',
      KAFKA_CLIENT_CERT_FILE: testSecurity().client.certPath,
      KAFKA_CLIENT_KEY_FILE: testSecurity().client.keyPath,
      KAFKA_CA_FILE: testSecurity().caPath,
    });

    expect((await produceOne(config, topic, '1', recordingLogger().logger)).statusCode).toBe(200);
    expect((await consumeOver(config, topic, 1)).map((record) => record.value?.toString('utf8'))).toEqual(['1']);
  });
});
