/**
 * The broker and store a bench run measures against: the ones named by `KAFKA_BROKERS` /
 * `DYNAMODB_ENDPOINT`, or a broker and a dynalite the bench starts itself on free ports.
 * The store runs in a child process behind a request-counting proxy, and every DynamoDB
 * client of the run goes through that proxy.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig, externalServices, type AppConfig } from '../lib/config';
import { startKafkaBroker, type KafkaBroker } from '../local/kafka-broker';
import { freePort } from '../local/ports';
import type { Logger } from '../lib/logger';
import { startCountedStore, type CountedStore } from './store-client';

/** Services of one bench run. */
export interface BenchServices {
  kafkaBrokers: string[];
  /** Counts every request sent to `store.endpoint`. */
  store: CountedStore;
  kafkaStarted: boolean;
  dynamoStarted: boolean;
  stop(): Promise<void>;
}

/** Starts (or reuses) the broker and store and puts the counting proxy in front of the store. */
export async function startBenchServices(logger: Logger): Promise<BenchServices> {
  const external = externalServices();
  let broker: KafkaBroker | undefined;
  let store: CountedStore | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all([store?.stop(), broker?.stop()]);
  };
  try {
    const kafkaBrokers =
      external.kafkaBrokers ??
      (broker = await startKafkaBroker({ port: await freePort(), controllerPort: await freePort(), logger, defaultPartitions: 4 })).brokers;
    store = await startCountedStore(external.dynamoEndpoint);
    return {
      kafkaBrokers,
      store,
      kafkaStarted: broker !== undefined,
      dynamoStarted: store.started,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A name no earlier run used, safe as a topic or table name. */
export function benchName(prefix: string): string {
  return `bench-${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Configuration for one measured subject: the run's broker, the counting proxy as the
 * DynamoDB endpoint, and fresh tables of its own.
 */
export function benchConfig(services: BenchServices, overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    KAFKA_BROKERS: services.kafkaBrokers.join(','),
    DYNAMODB_ENDPOINT: services.store.endpoint,
    AWS_REGION: 'us-east-1',
    IDEMPOTENCY_TABLE: benchName('idempotency'),
    MESSAGES_TABLE: benchName('messages'),
    ALLOWED_TOPICS: '*',
    ...overrides,
  });
}

/**
 * The environment of `npm start`'s pipeline in a bench run: the run's broker and store, the
 * tables of `config`, every topic allowed, and a free port for its HTTP server.
 */
export async function pipelineEnv(services: BenchServices, config: AppConfig): Promise<Record<string, string>> {
  return {
    KAFKA_BROKERS: services.kafkaBrokers.join(','),
    DYNAMODB_ENDPOINT: services.store.endpoint,
    IDEMPOTENCY_TABLE: config.tables.idempotency,
    MESSAGES_TABLE: config.tables.messages,
    ALLOWED_TOPICS: '*',
    PORT: String(await freePort()),
  };
}
