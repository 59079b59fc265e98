/**
 * The whole pipeline on one machine, as `npm start` runs it: a Kafka broker (or the one
 * `KAFKA_BROKERS` names), a DynamoDB-compatible store (or `DYNAMODB_ENDPOINT`), topics and
 * tables, the produce function behind an HTTP server, and the consume function fed by the
 * event-source emulator. This is the one place that wires everything together.
 */
import { externalServices, loadConfig, type AppConfig, type ExternalServices } from '../lib/config';
import { createConsumeRuntime } from '../lib/consume/index';
import type { RecordProcessor } from '../lib/consume/processor';
import { createDynamoClient } from '../lib/dynamo/client';
import { ensureTables } from './dynamo/tables';
import { ensureTopics } from './kafka/admin';
import { resolveKafkaClientDeps } from '../lib/kafka/auth';
import { kafkaAccessError } from '../lib/kafka/access';
import { createKafka } from '../lib/kafka/client';
import { createLogger, type Logger } from '../lib/logger';
import { createProduceRuntime } from '../lib/produce/index';
import { MetricName } from '../lib/observability/metrics';
import { systemClock } from '../lib/clock';
import { FailureReasons } from './failure-reasons';
import { startFlowSummary, type FlowCounts } from './flow-summary';
import { createMetricTotals } from './metric-totals';
import { startDynamoStore, type DynamoStore } from './dynamo-store';
import { startEventSourceEmulator, type EventSourceEmulator, type RetryBackoff } from './event-source-emulator';
import { parseEventSourceSettings, readEventSourceSettings, type EventSourceSettings } from './event-source-settings';
import { startHttpServer, type HttpServer } from './http-server';
import { startKafkaBroker, type KafkaBroker } from './kafka-broker';
import { DEFAULT_REGISTRY_PORT, startSchemaRegistry, type SchemaRegistryServer } from './registry';
import { readSchemaRegistrySettings, type EmulatedSchemaRegistry } from './emulator/schema-registry';
import { ConfluentSchemaRegistry } from '../lib/schema/registry-client';
import { Schemas } from '../lib/schema/schemas';
import { isPortOpen, freePort } from './ports';

/** The default ports of `npm start`. */
export const LocalPorts = { kafka: 19092, kafkaController: 19093, dynamo: 8000 } as const;

// The produce function enforces MAX_REQUEST_BYTES exactly; the server only cuts off bodies
// clearly past it, so that the function's own 413 answers every case it can.
const BODY_MARGIN_BYTES = 64 * 1024;

/** Options of {@link startLocalRuntime}; everything has a default suitable for `npm start`. */
export interface LocalRuntimeOptions {
  /** Services to use instead of starting them (default: those named by the environment). */
  external?: ExternalServices;
  /** Environment-style configuration on top of `process.env` (table names, `PORT`, ...). */
  env?: Record<string, string>;
  /** Overrides of `deploy/event-source.json` (tests use unique topics and groups). */
  eventSource?: Partial<EventSourceSettings>;
  /** Batching window in milliseconds instead of the settings' whole seconds. */
  batchingWindowMs?: number;
  retryBackoff?: RetryBackoff;
  /** The consume function's timeout (default that of serverless.yml, 60 s). */
  functionTimeoutMs?: number;
  logger?: Logger;
  /** Replaces the consume function's business step (tests count what it applies). */
  processor?: RecordProcessor;
  /** Logs a `flow` line this often while records move (`npm start`: every 5 s); none by default. */
  flowSummaryEveryMs?: number;
  /** The mapping's schema registry integration; default: deploy/event-source.json's `schemaRegistry` block, if any. */
  schemaRegistry?: EmulatedSchemaRegistry;
}

/** A running local pipeline. */
export interface LocalRuntime {
  config: AppConfig;
  settings: EventSourceSettings;
  httpUrl: string;
  kafkaBrokers: string[];
  dynamoEndpoint: string;
  /** The schema registry's Confluent-compatible base URL (started here, or `SCHEMA_REGISTRY_URL`). */
  schemaRegistryUrl: string;
  emulator: EventSourceEmulator;
  /** Totals since start: records produced, consumed, retried, dead-lettered, filtered out, expired, bisected, redriven, and the offset lag. */
  flow(): FlowCounts;
  /** The line scripts wait for: `ready http=... kafka=... dynamodb=... registry=...`. */
  readyLine: string;
  /** Stops taking requests, lets the emulator finish and commit, disconnects, stops what it started. */
  stop(): Promise<void>;
}

async function startRegistry(logger: Logger): Promise<SchemaRegistryServer> {
  // The usual port when it is free (or already serves a registry); another one otherwise (the ready line says which).
  const taken = await isPortOpen('127.0.0.1', DEFAULT_REGISTRY_PORT);
  if (!taken) return startSchemaRegistry({ port: DEFAULT_REGISTRY_PORT, logger });
  try {
    return await startSchemaRegistry({ port: DEFAULT_REGISTRY_PORT, logger, reuseRunning: true });
  } catch {
    logger.warn(`port ${DEFAULT_REGISTRY_PORT} is taken; the schema registry listens on another port`);
    return startSchemaRegistry({ port: 0, logger });
  }
}

async function startStore(logger: Logger): Promise<DynamoStore> {
  // The default port when it is free; another one otherwise (the ready line says which).
  const port = (await isPortOpen('127.0.0.1', LocalPorts.dynamo)) ? await freePort() : LocalPorts.dynamo;
  if (port !== LocalPorts.dynamo) logger.warn(`port ${LocalPorts.dynamo} is taken; dynalite listens on ${port} instead`);
  const store = await startDynamoStore(port);
  logger.info('dynalite started', { endpoint: store.endpoint });
  return store;
}

/**
 * Starts the pipeline and resolves once it accepts requests and the emulator polls.
 * On a failure half-way, whatever was started is stopped again before the error is rethrown.
 *
 * @throws {KafkaBrokerError} when no broker can be started; {@link ConfigError} for bad configuration.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const logger = options.logger ?? createLogger('info');
  const external = options.external ?? externalServices();
  const settings: EventSourceSettings = parseEventSourceSettings({ ...readEventSourceSettings(), ...options.eventSource });
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => logger.warn('stopping a part of the local runtime failed', { errorMessage: String(error) }));
    }
  };

  try {
    const [brokerResult, storeResult, registryResult] = await Promise.allSettled([
      external.kafkaBrokers === undefined
        ? startKafkaBroker({
            port: LocalPorts.kafka,
            controllerPort: LocalPorts.kafkaController,
            logger,
            reuseRunning: true,
            defaultPartitions: settings.partitions,
          })
        : Promise.resolve(undefined),
      external.dynamoEndpoint === undefined ? startStore(logger) : Promise.resolve(undefined),
      external.schemaRegistryUrl === undefined ? startRegistry(logger) : Promise.resolve(undefined),
    ]);
    const broker = brokerResult.status === 'fulfilled' ? brokerResult.value : undefined;
    const store = storeResult.status === 'fulfilled' ? storeResult.value : undefined;
    const registry = registryResult.status === 'fulfilled' ? registryResult.value : undefined;
    if (broker !== undefined) cleanups.push(() => broker.stop());
    if (store !== undefined) cleanups.push(() => store.stop());
    if (registry !== undefined) cleanups.push(() => registry.stop());
    if (brokerResult.status === 'rejected') throw brokerResult.reason;
    if (storeResult.status === 'rejected') throw storeResult.reason;
    if (registryResult.status === 'rejected') throw registryResult.reason;
    const kafkaBrokers = external.kafkaBrokers ?? (broker as KafkaBroker).brokers;
    const dynamoEndpoint = external.dynamoEndpoint ?? (store as DynamoStore).endpoint;
    const schemaRegistryUrl = external.schemaRegistryUrl ?? (registry as SchemaRegistryServer).url;

    // The consume function's timeout sets its lease's default, as CONSUME_FUNCTION_TIMEOUT_SEC does in Lambda.
    const timeoutEnv =
      options.functionTimeoutMs === undefined ? {} : { CONSUME_FUNCTION_TIMEOUT_SEC: String(Math.max(1, Math.ceil(options.functionTimeoutMs / 1000))) };
    const config = loadConfig({
      ...timeoutEnv,
      ...options.env,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      DYNAMODB_ENDPOINT: dynamoEndpoint,
      SCHEMA_REGISTRY_URL: schemaRegistryUrl,
    });
    const kafka = createKafka(config.kafka, await resolveKafkaClientDeps(config.kafka, logger));
    await ensureTopics(kafka, [
      { topic: settings.topic, numPartitions: settings.partitions },
      { topic: settings.onFailureTopic, numPartitions: settings.partitions },
    ]).catch((error: unknown) => {
      // The first connection: a refused password or certificate is reported naming its setting.
      throw kafkaAccessError(error, config.kafka) ?? error;
    });
    const dynamo = createDynamoClient(config.aws);
    try {
      await ensureTables(dynamo, config.tables);
    } finally {
      dynamo.destroy();
    }

    const produceMetrics = createMetricTotals();
    const produce = createProduceRuntime(config, { logger: childLogger(logger, 'produce'), metrics: produceMetrics });
    cleanups.push(() => produce.close());
    const server: HttpServer = await startHttpServer({
      handler: (event) => produce.handler(event),
      port: config.port,
      maxBodyBytes: config.produce.maxRequestBytes + BODY_MARGIN_BYTES,
      logger,
    }).catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
      throw new Error(`port ${config.port} is already in use; set PORT to another port (0 picks a free one)`, { cause: error });
    });
    cleanups.push(() => server.stop());

    const consumeLogger = childLogger(logger, 'consume');
    const failureReasons = new FailureReasons();
    const consumeMetrics = createMetricTotals();
    const consume = createConsumeRuntime(config, {
      logger: consumeLogger,
      metrics: consumeMetrics,
      onRecordFailed: (failure) => failureReasons.record(failure),
      scope: settings.consumerGroupId,
      ...(options.processor === undefined ? {} : { processor: options.processor }),
    });
    cleanups.push(() => consume.close());
    const emulator = await startEventSourceEmulator({
      config,
      settings,
      handler: (event, context) => consume.handler(event, context),
      logger: childLogger(logger, 'event-source'),
      ...(options.batchingWindowMs === undefined ? {} : { batchingWindowMs: options.batchingWindowMs }),
      ...(options.retryBackoff === undefined ? {} : { retryBackoff: options.retryBackoff }),
      invocationTimeoutMs: options.functionTimeoutMs ?? config.consume.functionTimeoutSec * 1000,
      failureReason: (topic, partition, offset) => failureReasons.take(topic, partition, offset),
      ...emulatedSchemaRegistry(options.schemaRegistry ?? readSchemaRegistrySettings(), config),
    });
    cleanups.push(() => emulator.stop());
    const flow = (): FlowCounts => {
      const { processed, retried, deadLettered, offsetLag, filteredOut, expired, bisected } = emulator.stats();
      return {
        produced: produceMetrics.total(MetricName.RecordsProduced),
        consumed: processed,
        retried,
        deadLettered,
        offsetLag,
        filteredOut,
        expired,
        bisected,
        redriven: consumeMetrics.total(MetricName.RecordsRedriven),
      };
    };
    if (options.flowSummaryEveryMs !== undefined) {
      const summary = startFlowSummary({ read: flow, logger: childLogger(logger, 'flow'), clock: systemClock, everyMs: options.flowSummaryEveryMs });
      cleanups.push(async () => summary.stop());
    }

    let stopped: Promise<void> | undefined;
    return {
      config,
      settings,
      httpUrl: server.url,
      kafkaBrokers,
      dynamoEndpoint,
      schemaRegistryUrl,
      emulator,
      flow,
      readyLine: `ready http=${server.url} kafka=${kafkaBrokers.join(',')} dynamodb=${dynamoEndpoint} registry=${schemaRegistryUrl}`,
      stop() {
        // Order matters: no new requests first; then (in reverse start order) the emulator
        // finishes its batch and commits, the functions disconnect, the store and broker go.
        stopped ??= server.stop().then(stopAll);
        return stopped;
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The emulator's schema registry integration over the pipeline's registry, when the settings ask for one. */
function emulatedSchemaRegistry(
  settings: EmulatedSchemaRegistry | undefined,
  config: AppConfig,
): { schemaRegistry?: { settings: EmulatedSchemaRegistry; decoder: Schemas } } {
  if (settings === undefined || config.schemaRegistry === undefined) return {};
  return { schemaRegistry: { settings, decoder: new Schemas(new ConfluentSchemaRegistry(config.schemaRegistry)) } };
}

/** A logger that adds `component` to every line. */
function childLogger(logger: Logger, component: string): Logger {
  return {
    debug: (message, fields) => logger.debug(message, { component, ...fields }),
    info: (message, fields) => logger.info(message, { component, ...fields }),
    warn: (message, fields) => logger.warn(message, { component, ...fields }),
    error: (message, fields) => logger.error(message, { component, ...fields }),
  };
}
