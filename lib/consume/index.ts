/**
 * The consume capability: what `functions/consume.ts` and the local runtime build once per
 * container and call per event.
 */
import type { MSKEvent, SelfManagedKafkaEvent } from 'aws-lambda';
import { systemClock, type Clock } from '../clock';
import type { AppConfig } from '../config';
import { createDynamoClient } from '../dynamo/client';
import { DynamoMessagesTable } from '../dynamo/messages-table';
import { DynamoIdempotencyStore } from '../idempotency/dynamo-store';
import type { Logger } from '../logger';
import { createLambdaObservability } from '../observability/lambda';
import type { MetricsRecorder } from '../observability/metrics';
import { observabilityOf } from '../observability/observability';
import type { KafkaBatchResponse } from './batch';
import { createBatchHandler, type BatchHandlerOptions, type InvocationContext } from './batch-handler';
import { batchCorrelationId } from './correlation-id';
import type { ConsumeStore } from './partition-worker';
import { createMessagesProcessor } from './messages-processor';
import type { RecordProcessor } from './processor';

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
}

/**
 * Builds the consume runtime: one DynamoDB client, the idempotency store on
 * `IDEMPOTENCY_TABLE`, and the processor (by default the messages table writer). Without a
 * `logger` it logs through Powertools Logger and, in Lambda, publishes the batch's metrics
 * through Powertools Metrics once per invocation.
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
  const handle = createBatchHandler({
    store: options.store ?? new DynamoIdempotencyStore(client, config.tables.idempotency),
    processor,
    clock,
    logger,
    metrics: observability.metrics,
    scope: options.scope ?? config.kafka.clientId,
    leaseMs: config.consume.leaseMs,
    ttlSeconds: config.idempotency.ttlSeconds,
    // Stryker disable ConditionalExpression: an option not given is the same to the handler as one given undefined (it reads `?? default`); that a given one is passed on is pinned in test/unit/consume/runtime.test.ts.
    ...(options.partitionConcurrency === undefined ? {} : { partitionConcurrency: options.partitionConcurrency }),
    ...(options.claimsAhead === undefined ? {} : { claimsAhead: options.claimsAhead }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    ...(options.every === undefined ? {} : { every: options.every }),
    ...(options.onRecordFailed === undefined ? {} : { onRecordFailed: options.onRecordFailed }),
    // Stryker restore ConditionalExpression
  });
  return {
    async handler(event, context) {
      observability.begin(context, batchCorrelationId(event));
      try {
        return await handle(event, context);
      } finally {
        observability.end();
      }
    },
    close: async () => {
      client.destroy();
    },
  };
}
