/**
 * One scenario's world: its own broker and store (restartable), the event source settings
 * the deployed mapping uses, fresh table names, and a way to start the pipeline process
 * against them. Every scenario gets a new one, so no scenario sees another's records.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig, type AppConfig } from '../../lib/config';
import { createDynamoClient } from '../../lib/dynamo/client';
import { ensureTables } from '../../local/dynamo/tables';
import { ensureTopics } from '../../local/kafka/admin';
import type { Logger } from '../../lib/logger';
import type { SinkItem } from './accounting';
import { chaosMessage, outsideDynamo, outsideKafka, scanTable } from './observe';
import { startSinkCounter, type SinkCounter } from './sink-counter';
import { startRestartableBroker, startRestartableStore, type RestartableBroker, type RestartableStore } from './services';
import { startPipeline, type PipelineProcess } from './supervisor';

/** The scenarios' topic's `max.message.bytes`. */
export const TOPIC_MAX_MESSAGE_BYTES = 512 * 1024;

/** The event source mapping's settings, shared with serverless.yml and the local emulator. */
export interface EventSourceSettings {
  topic: string;
  partitions: number;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  startingPosition: string;
  consumerGroupId: string;
  maximumRetryAttempts: number;
  onFailureTopic: string;
}

/** Reads `deploy/event-source.json`. */
export function readEventSourceSettings(): EventSourceSettings {
  const file = fileURLToPath(new URL('../../deploy/event-source.json', import.meta.url));
  return JSON.parse(readFileSync(file, 'utf8')) as EventSourceSettings;
}

/** A scenario's world. */
export interface ChaosEnvironment {
  /** A short unique id; message ids and keys start with it. */
  runId: string;
  logger: Logger;
  /** Undefined when the scenario asked for no broker. */
  broker?: RestartableBroker;
  store: RestartableStore;
  settings: EventSourceSettings;
  tables: { idempotency: string; messages: string };
  /** A DynamoDB client for checks from the outside (straight to the store). */
  dynamo: DynamoDBClient;
  /** Counts accepted sink writes; the code under test reaches the store through it. */
  sinkCounter: SinkCounter;
  /**
   * The sink's effects as chaos message ids: each sink item's id, repeated once per write
   * of that item the store accepted.
   */
  sinkEffects(): Promise<string[]>;
  /** The sink's items carrying a chaos message, each with the writes of it the store accepted. */
  sinkItems(): Promise<SinkItem[]>;
  /** The output of every pipeline started here (killed ones too), oldest first. */
  pipelineOutput(): string;
  /** Configuration for in-process runtimes pointing at this world (environment-style overrides on top). */
  config(overrides?: Record<string, string>): AppConfig;
  /** Environment for the pipeline process. */
  pipelineEnv(overrides?: Record<string, string>): Record<string, string>;
  /** Starts the pipeline process (HTTP produce, event-source emulator, consume) against this world, with `npm start` arguments. */
  startPipeline(overrides?: Record<string, string>, args?: readonly string[]): Promise<PipelineProcess>;
  /** Stops every pipeline started here, then the broker and the store, and removes their data. */
  close(): Promise<void>;
}

/** A scanned sink item as the checks see it; a write the proxy has not counted yet (in flight) still counts once. */
function sinkItemOf(id: string, item: Record<string, unknown>, writes: number): SinkItem {
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  const fields = {
    callerId: text(item.callerId),
    topic: text(item.topic),
    partition: number(item.partition),
    offset: number(item.offset),
    processedAt: text(item.processedAt),
  };
  const present = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  return { id, messageId: String(item.messageId), ...present, writes: Math.max(1, writes) };
}

/** Options for {@link createEnvironment}. */
export interface EnvironmentOptions {
  logger: Logger;
  /** Start a broker and create the event source's topics (default true). */
  broker?: boolean;
  /** Runs another script than `npm start`'s as the pipeline (for trying the harness itself). */
  pipelineScript?: string;
  /**
   * The pipeline (and in-process runtimes) connect over the broker's SASL_SSL listener with
   * SCRAM-SHA-512 and its CA, as `npm start` does with those settings; checks from the outside
   * keep the plaintext listener.
   */
  secure?: boolean;
}

/** Creates a scenario's world; the caller must `close()` it. */
export async function createEnvironment(options: EnvironmentOptions): Promise<ChaosEnvironment> {
  const runId = `c${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const settings = readEventSourceSettings();
  const store = await startRestartableStore();
  const tables = { idempotency: `chaos-idempotency-${runId}`, messages: `chaos-messages-${runId}` };
  const sinkCounter = await startSinkCounter(store.endpoint, tables.messages);
  let broker: RestartableBroker | undefined;
  const pipelines: PipelineProcess[] = [];
  const dynamo = outsideDynamo(store.endpoint);
  const close = async (): Promise<void> => {
    await Promise.all(pipelines.map((pipeline) => pipeline.stop(5_000)));
    dynamo.destroy();
    await Promise.all([broker?.close(), sinkCounter.close().then(() => store.close())]);
  };
  try {
    await ensureTables(createDynamoClient({ region: 'us-east-1', dynamoEndpoint: store.endpoint }), tables);
    if (options.broker !== false) {
      broker = await startRestartableBroker(options.logger, { secure: options.secure === true });
      await ensureTopics(outsideKafka(broker.brokers), [
        // Half of MAX_REQUEST_BYTES (1 MiB): garbage-input's records over the topic's limit,
        // which the broker refuses (413), must still fit in a request. Each refusal drops the
        // produce function's Kafka client while other requests hold it, which those must survive.
        { topic: settings.topic, numPartitions: settings.partitions, configEntries: [{ name: 'max.message.bytes', value: String(TOPIC_MAX_MESSAGE_BYTES) }] },
        { topic: settings.onFailureTopic, numPartitions: settings.partitions },
      ]);
    }
  } catch (error) {
    await close();
    throw error;
  }
  // One caller key for every process of the world: a pipeline killed and started again must
  // verify the caller headers its predecessor stamped, or a redelivered record would lose its
  // caller, change identity and be applied a second time.
  const callerKey = JSON.stringify({ current: 'chaos', keys: { chaos: randomBytes(32).toString('base64') } });
  const security = broker?.security;
  const kafkaEnv: Record<string, string> =
    security === undefined
      ? broker === undefined
        ? {}
        : { KAFKA_BROKERS: broker.brokers.join(',') }
      : {
          KAFKA_BROKERS: `127.0.0.1:${security.saslSslPort}`,
          KAFKA_AUTH: 'scram-sha-512',
          KAFKA_SSL: 'true',
          KAFKA_USERNAME: security.user,
          KAFKA_PASSWORD: security.password,
          KAFKA_CA_FILE: security.caPath,
        };
  const baseEnv = (): Record<string, string> => ({
    ...kafkaEnv,
    DYNAMODB_ENDPOINT: sinkCounter.endpoint,
    AWS_REGION: 'us-east-1',
    IDEMPOTENCY_TABLE: tables.idempotency,
    MESSAGES_TABLE: tables.messages,
    ALLOWED_TOPICS: '*',
    CALLER_KEY: callerKey,
  });
  const sinkItems = async (): Promise<SinkItem[]> => {
    const writes = sinkCounter.writes();
    const items: SinkItem[] = [];
    for (const item of await scanTable(dynamo, tables.messages)) {
      const id = chaosMessage(item.value)?.id;
      if (id === undefined) continue;
      items.push(sinkItemOf(id, item, writes.get(String(item.messageId)) ?? 1));
    }
    return items;
  };
  return {
    runId,
    logger: options.logger,
    ...(broker === undefined ? {} : { broker }),
    store,
    settings,
    tables,
    dynamo,
    sinkCounter,
    sinkItems,
    async sinkEffects() {
      return (await sinkItems()).flatMap((item) => Array.from({ length: item.writes }, () => item.id));
    },
    pipelineOutput: () => pipelines.map((pipeline) => pipeline.output()).join('\n'),
    config: (overrides = {}) => loadConfig({ ...baseEnv(), ...overrides }),
    pipelineEnv: (overrides = {}) => ({ ...baseEnv(), ...overrides }),
    async startPipeline(overrides = {}, args = []) {
      const pipeline = await startPipeline({
        // Port 0: the server takes a free port as it listens and names it in its ready line. A port
        // found free here and bound later in the child could be taken in between by another test.
        env: { ...baseEnv(), PORT: '0', ...overrides },
        args,
        ...(options.pipelineScript === undefined ? {} : { script: options.pipelineScript }),
      });
      pipelines.push(pipeline);
      return pipeline;
    },
    close,
  };
}
