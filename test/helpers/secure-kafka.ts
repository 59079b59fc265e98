/**
 * The test broker's secure listeners (SASL_SSL with SCRAM-SHA-512, SSL with client
 * certificates), secrets in the shapes Secrets Manager holds them, and a mocked Secrets Manager
 * client serving them: the functions read them through their own code, the SDK call included.
 */
import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeEach, inject } from 'vitest';
import { ensureTopics } from '../../local/kafka/admin';
import { uniqueName } from './infra';

/** The secure listeners and their throwaway credentials (see `local/kafka-security.ts`). */
export function testSecurity(): ReturnType<typeof inject<'kafkaSecurity'>> {
  return inject('kafkaSecurity');
}

/** `host:port` of the SASL_SSL listener. */
export function saslSslListener(): string {
  return `127.0.0.1:${testSecurity().saslSslPort}`;
}

/** `host:port` of the SSL listener (client certificates required). */
export function sslListener(): string {
  return `127.0.0.1:${testSecurity().sslPort}`;
}

/** `host:port` of the same broker's plaintext listener. */
export function plaintextListener(): string {
  return testSecurity().plaintextBrokers.join(',');
}

/** A Secrets Manager ARN no other test uses (the functions cache secrets by ARN). */
export function secretArn(name: string): string {
  return `arn:aws:secretsmanager:us-east-1:123456789012:secret:${uniqueName(name)}-AbCdEf`;
}

/** The SCRAM secret, as MSK's `AmazonMSK_` secrets hold it. */
export function scramSecret(username: string, password: string): string {
  return JSON.stringify({ username, password });
}

/** The CA secret, as Lambda's `SERVER_ROOT_CA_CERTIFICATE` secrets hold it. */
export function caSecret(caPath = testSecurity().caPath): string {
  return JSON.stringify({ certificate: readFileSync(caPath, 'utf8') });
}

/** The client certificate secret, as Lambda's `CLIENT_CERTIFICATE_TLS_AUTH` secrets hold it. */
export function clientCertificateSecret(files = testSecurity().client): string {
  return JSON.stringify({ certificate: readFileSync(files.certPath, 'utf8'), privateKey: readFileSync(files.keyPath, 'utf8') });
}

/** A mocked Secrets Manager that serves `secrets` (ARN to string) and counts the reads of each. */
export interface MockedSecrets {
  secrets: Map<string, string>;
  reads(arn: string): number;
  restore(): void;
}

/** Mocks every SecretsManagerClient of the process (aws-sdk-client-mock) until `restore()`. */
export function mockSecretsManager(initial: Record<string, string> = {}): MockedSecrets {
  const secrets = new Map(Object.entries(initial));
  const mock = mockClient(SecretsManagerClient);
  mock.on(GetSecretValueCommand).callsFake((input: { SecretId?: string }) => {
    const value = input.SecretId === undefined ? undefined : secrets.get(input.SecretId);
    if (value === undefined) throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} });
    return { ARN: input.SecretId, Name: 'test', SecretString: value };
  });
  return {
    secrets,
    reads: (arn) => mock.commandCalls(GetSecretValueCommand).filter((call) => call.args[0].input.SecretId === arn).length,
    restore: () => mock.restore(),
  };
}

/** A fresh mocked Secrets Manager for each test of the calling file: call at the top of the file, read it in a test. */
export function mockedSecretsPerTest(): () => MockedSecrets {
  let current: MockedSecrets | undefined;
  beforeEach(() => {
    current = mockSecretsManager();
  });
  afterEach(() => {
    current?.restore();
  });
  return () => {
    if (current === undefined) throw new Error('mockedSecretsPerTest() is read inside a test only');
    return current;
  };
}

/** The environment of SCRAM-SHA-512 over the SASL_SSL listener with the test CA, credentials from secret `arn`. */
export function scramOverTlsEnv(arn: string): Record<string, string> {
  return { KAFKA_BROKERS: saslSslListener(), KAFKA_AUTH: 'scram-sha-512', KAFKA_SSL: 'true', KAFKA_SASL_SECRET_ARN: arn, KAFKA_CA_FILE: testSecurity().caPath };
}

/** A kafkajs client on the secure broker's plaintext listener, to set up and check from outside. */
export function plaintextKafka(): Kafka {
  return new Kafka({ clientId: 'test', brokers: testSecurity().plaintextBrokers, logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}

/** Creates a topic with a unique name on the secure broker and returns the name. */
export async function createSecureTestTopic(prefix = 'secure', numPartitions = 1): Promise<string> {
  const topic = uniqueName(prefix);
  await ensureTopics(plaintextKafka(), [{ topic, numPartitions }]);
  return topic;
}
