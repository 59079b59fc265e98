/**
 * What the door to kafkajs hands kafkajs for each KAFKA_AUTH: the Kafka constructor is
 * replaced by a recorder, so the configuration it receives is checked as given.
 */
import { describe, expect, it, vi } from 'vitest';

const constructed = vi.hoisted(() => [] as Record<string, unknown>[]);
vi.mock('kafkajs', async (original) => {
  const actual = await original<typeof import('kafkajs')>();
  class RecordingKafka {
    constructor(config: Record<string, unknown>) {
      constructed.push(config);
    }
  }
  return { ...actual, Kafka: RecordingKafka };
});

const { createKafka } = await import('../../../lib/kafka/client');
const { createKafkaClientDepsResolver } = await import('../../../lib/kafka/auth');
const { silentLogger } = await import('../../../lib/logger');

const base = { brokers: ['b-1.example:9098'], clientId: 'produce', region: 'eu-west-1' };

describe('createKafka hands kafkajs', () => {
  it('the OAUTHBEARER mechanism with the provider of signed MSK IAM tokens, over TLS, for aws-iam', async () => {
    const config = { ...base, auth: 'aws-iam', ssl: true } as const;
    const providers = {
      readSecret: async () => '{}',
      signIamToken: async () => ({ token: 'signed-token', expiresAtMs: Date.now() + 900_000 }),
    };
    const deps = await createKafkaClientDepsResolver(providers)(config, silentLogger);
    createKafka(config, deps);
    const given = constructed.at(-1) as { ssl: unknown; sasl: { mechanism: string; oauthBearerProvider: () => Promise<{ value: string }> } };
    expect(given.ssl).toBe(true);
    expect(given.sasl.mechanism).toBe('oauthbearer');
    expect(await given.sasl.oauthBearerProvider()).toEqual({ value: 'signed-token' });
  });

  it('SCRAM-SHA-512 with the credentials, and the TLS material, for scram-sha-512 with a private CA', () => {
    const config = { ...base, auth: 'scram-sha-512', ssl: true, username: 'u', password: 'p' } as const;
    createKafka(config, { logger: silentLogger, tls: { ca: ['-----BEGIN CERTIFICATE-----'] } });
    expect(constructed.at(-1)).toMatchObject({
      ssl: { ca: ['-----BEGIN CERTIFICATE-----'] },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
  });

  it('no SASL and the client certificate as TLS options for mtls', () => {
    const config = { ...base, auth: 'mtls', ssl: true, clientCertFile: 'c.pem', clientKeyFile: 'c.key' } as const;
    createKafka(config, { logger: silentLogger, tls: { cert: 'CERT', key: 'KEY' } });
    const given = constructed.at(-1) as Record<string, unknown>;
    expect(given.sasl).toBeUndefined();
    expect(given.ssl).toEqual({ cert: 'CERT', key: 'KEY' });
  });

  it('refuses mtls without a resolved client certificate, naming the setting', () => {
    const config = { ...base, auth: 'mtls', ssl: true, clientCertSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:c' } as const;
    expect(() => createKafka(config, { logger: silentLogger })).toThrow(/^KAFKA_CLIENT_CERT_SECRET_ARN: /);
  });

  it('plaintext without SASL for none, TLS material or not', () => {
    createKafka({ ...base, auth: 'none', ssl: false }, { logger: silentLogger, tls: { ca: ['x'] } });
    expect(constructed.at(-1)).toMatchObject({ ssl: false });
    expect((constructed.at(-1) as Record<string, unknown>).sasl).toBeUndefined();
  });
});
