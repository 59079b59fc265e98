/**
 * Per-test access to the shared broker and store: unique names, configured clients,
 * and `waitFor` instead of sleeps.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig, type AppConfig } from '../../lib/config';
import { ensureTables } from '../../local/dynamo/tables';
import { ensureTopics } from '../../local/kafka/admin';
import { waitUntil } from '../../local/wait-until';
import { TEST_KEY_RING_TEXT } from './caller-keys';

/** A name no other test uses, safe as a topic or table name. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Bootstrap brokers of the shared test broker. */
export function testBrokers(): string[] {
  return inject('kafkaBrokers');
}

/** Endpoint of the shared DynamoDB-compatible store. */
export function testDynamoEndpoint(): string {
  return inject('dynamoEndpoint');
}

/** The Confluent-compatible base URL of the shared schema registry. */
export function testSchemaRegistryUrl(): string {
  return inject('schemaRegistryUrl');
}

/**
 * Configuration pointing at the shared test services, with fresh table names so tests
 * never see each other's items. `overrides` are environment-style values.
 */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    KAFKA_BROKERS: testBrokers().join(','),
    DYNAMODB_ENDPOINT: testDynamoEndpoint(),
    AWS_REGION: 'us-east-1',
    IDEMPOTENCY_TABLE: uniqueName('idempotency'),
    MESSAGES_TABLE: uniqueName('messages'),
    ALLOWED_TOPICS: '*',
    SCHEMA_REGISTRY_URL: testSchemaRegistryUrl(),
    // Known keys, so that a test can stamp or check a caller header itself.
    CALLER_KEY: TEST_KEY_RING_TEXT,
    ...overrides,
  });
}

/** A kafkajs client on the test broker, quiet, for setting up and checking from the outside. */
export function testKafka(): Kafka {
  return new Kafka({ clientId: 'test', brokers: testBrokers(), logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}

/** A DynamoDB client on the test store. */
export function testDynamo(): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    endpoint: testDynamoEndpoint(),
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/** Creates a topic with a unique name and returns that name. */
export async function createTestTopic(prefix = 'topic', numPartitions = 3): Promise<string> {
  const topic = uniqueName(prefix);
  await ensureTopics(testKafka(), [{ topic, numPartitions }]);
  return topic;
}

/** How many records `topic` holds in all, from its partitions' high watermarks. */
export async function topicRecordCount(topic: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, { high }) => sum + Number(high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Creates the tables named in `config`. */
export async function createTestTables(config: AppConfig, client: DynamoDBClient = testDynamo()): Promise<void> {
  await ensureTables(client, config.tables);
}

/**
 * Polls `check` until it returns a value other than `undefined`/`false`, and returns it.
 *
 * @throws Error with `description` when `timeoutMs` passes first (the last error, if any, as cause).
 */
export function waitFor<T>(
  description: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 20_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  return waitUntil(description, check, timeoutMs, intervalMs);
}
