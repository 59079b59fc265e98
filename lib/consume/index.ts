/**
 * The consume capability: what `functions/consume.ts` and the local runtime build once per
 * container and call per event.
 */
import type { MSKEvent, SelfManagedKafkaEvent } from 'aws-lambda';
import { createCallerKeySource, type CallerKeySource } from '../caller-mac/key-source';
import { systemClock, type Clock } from '../clock';
import type { AppConfig } from '../config';
import { createDynamoClient } from '../dynamo/client';
import { DynamoMessagesTable } from '../dynamo/messages-table';
import { DynamoIdempotencyStore } from '../idempotency/dynamo-store';
import { errorFields, type Logger } from '../logger';
import { createLambdaObservability } from '../observability/lambda';
import type { MetricsRecorder } from '../observability/metrics';
import { observabilityOf } from '../observability/observability';
import type { KafkaBatchResponse } from './batch';
import { createBatchHandler, type BatchHandler, type BatchHandlerOptions, type InvocationContext } from './batch-handler';
import { createCallerCheck } from './caller-check';
import { batchCorrelationId } from './correlation-id';
import type { ConsumeStore } from './partition-worker';
import { createMessagesProcessor } from './messages-processor';
import type { RecordProcessor } from './processor';
import { ConfluentSchemaRegistry, type SchemaRegistry } from '../schema/registry-client';
import { createGlueSchemaSource } from '../schema/glue-registry';
import { Schemas } from '../schema/schemas';

export type { KafkaBatchResponse, BatchItemFailure } from './batch';
export type { InvocationContext } from './batch-handler';
export type { RecordFailure } from './partition-worker';
export type { ConsumedRecord, RecordHeader, SchemaMetadata } from './event';
export type { ProcessContext, RecordProcessor } from './processor';

/** The events a Kafka event source mapping sends (`"aws:kafka"` and `"SelfManagedKafka"`). */
export type KafkaEvent = MSKEvent | SelfManagedKafkaEvent;

/** The consume function, ready to take events. */
export interface ConsumeRuntime {
  /**
   * Processes one event and answers with the partial batch response.
   *
   * @throws {MalformedEventError} when the event cannot be trusted to name its records.
   * @throws {KeyUnavailableError} when the caller keys cannot be read yet; nothing was processed.
   */
  handler(event: KafkaEvent, context?: InvocationContext): Promise<KafkaBatchResponse>;
  /** Releases the DynamoDB client's connections. */
  close(): Promise<void>;
}

/** Options of {@link createConsumeRuntime}. */
export interface ConsumeRuntimeOptions extends BatchHandlerOptions {
  /** Replaces Powertools Logger (local tooling, tests). */
  logger?: Logger;
  /** Where a given `logger`'s runtime records metrics; none by default. */
  metrics?: MetricsRecorder;
  clock?: Clock;
  /** The business step; defaults to writing JSON values to `MESSAGES_TABLE`. */
  processor?: RecordProcessor;
  /** Replaces the DynamoDB idempotency store (unit tests). */
  store?: ConsumeStore;
  /** Prefix of idempotency keys; defaults to the function's name (`config.kafka.clientId`). */
  scope?: string;
  /** Replaces the caller MAC keys `config.callerKeys` names (tests of a Lambda configuration). */
  callerKeys?: CallerKeySource;
  /** Replaces the schema registry `config.schemaRegistry` names (tests count its requests). */
  schemaRegistry?: SchemaRegistry;
}

/**
 * Builds the consume runtime: one DynamoDB client, the idempotency store on
 * `IDEMPOTENCY_TABLE`, the processor (by default the messages table writer), and the caller
 * MAC keys, read on the first event. Without a `logger` it logs through Powertools Logger and,
 * in Lambda, publishes the batch's metrics through Powertools Metrics once per invocation.
 */
export function createConsumeRuntime(config: AppConfig, options: ConsumeRuntimeOptions = {}): ConsumeRuntime {
  const clock = options.clock ?? systemClock;
  const observability =
    options.logger === undefined ? createLambdaObservability(config.observability, config.inLambda) : observabilityOf(options.logger, options.metrics);
  const { logger } = observability;
  const client = createDynamoClient(config.aws);
  const processor =
    options.processor ??
    createMessagesProcessor(new DynamoMessagesTable(client, config.tables.messages), clock, { ttlSeconds: config.consume.messagesTtlSeconds });
  const callerKeys = options.callerKeys ?? createCallerKeySource(config.callerKeys);
  const store = options.store ?? new DynamoIdempotencyStore(client, config.tables.idempotency);
  // Schema'd records are decoded with the configured registry; without one they keep their bytes only.
  const registry = options.schemaRegistry ?? (config.schemaRegistry === undefined ? undefined : new ConfluentSchemaRegistry(config.schemaRegistry));
  // Without a registry of either kind records keep their bytes only; Glue is asked on the first record framed for it.
  const glue = config.glueSchemaRegistry === undefined ? undefined : createGlueSchemaSource(config.glueSchemaRegistry.region);
  const decoder = registry === undefined && glue === undefined ? undefined : new Schemas(registry, glue);
  let handle: BatchHandler | undefined;
  // The caller keys are read on the first event, once per container; the handler needs them
  // to tell records' callers, so no record is processed before they are there.
  const batchHandler = async (): Promise<BatchHandler> => {
    const ring = await callerKeys.keys();
    handle ??= createBatchHandler({
      store,
      processor,
      clock,
      logger,
      metrics: observability.metrics,
      scope: options.scope ?? config.kafka.clientId,
      leaseMs: config.consume.leaseMs,
      ttlSeconds: config.idempotency.ttlSeconds,
      checkCaller: createCallerCheck(ring, observability.metrics),
      ...(decoder === undefined ? {} : { decoder }),
      // Stryker disable ConditionalExpression: an option not given is the same to the handler as one given undefined (it reads `?? default`); that a given one is passed on is pinned in test/unit/consume/runtime.test.ts.
      ...(options.partitionConcurrency === undefined ? {} : { partitionConcurrency: options.partitionConcurrency }),
      ...(options.claimsAhead === undefined ? {} : { claimsAhead: options.claimsAhead }),
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
      ...(options.every === undefined ? {} : { every: options.every }),
      ...(options.onRecordFailed === undefined ? {} : { onRecordFailed: options.onRecordFailed }),
      // Stryker restore ConditionalExpression
    });
    return handle;
  };
  return {
    async handler(event, context) {
      observability.begin(context, batchCorrelationId(event));
      try {
        let ready: BatchHandler;
        try {
          ready = await batchHandler();
        } catch (error) {
          // Lambda delivers the whole batch again: nothing was processed.
          logger.error('caller keys unavailable, nothing processed', errorFields(error));
          throw error;
        }
        return await ready(event, context);
      } finally {
        observability.end();
      }
    },
    close: async () => {
      client.destroy();
    },
  };
}
