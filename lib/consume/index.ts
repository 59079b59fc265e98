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
import { createLogger, type Logger } from '../logger';
import type { KafkaBatchResponse } from './batch';
import { createBatchHandler, type BatchHandlerOptions, type InvocationContext } from './batch-handler';
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
  logger?: Logger;
  clock?: Clock;
  /** The business step; defaults to writing JSON values to `MESSAGES_TABLE`. */
  processor?: RecordProcessor;
  /** Prefix of idempotency keys; defaults to the function's name (`config.kafka.clientId`). */
  scope?: string;
}

/**
 * Builds the consume runtime: one DynamoDB client, the idempotency store on
 * `IDEMPOTENCY_TABLE`, and the processor (by default the messages table writer).
 */
export function createConsumeRuntime(config: AppConfig, options: ConsumeRuntimeOptions = {}): ConsumeRuntime {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger('info', undefined, { component: 'consume' });
  const client = createDynamoClient(config.aws);
  const processor = options.processor ?? createMessagesProcessor(new DynamoMessagesTable(client, config.tables.messages), clock);
  const handle = createBatchHandler({
    store: new DynamoIdempotencyStore(client, config.tables.idempotency),
    processor,
    clock,
    logger,
    scope: options.scope ?? config.kafka.clientId,
    leaseMs: config.consume.leaseMs,
    ttlSeconds: config.idempotency.ttlSeconds,
    ...(options.partitionConcurrency === undefined ? {} : { partitionConcurrency: options.partitionConcurrency }),
    ...(options.claimsAhead === undefined ? {} : { claimsAhead: options.claimsAhead }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    ...(options.every === undefined ? {} : { every: options.every }),
    ...(options.onRecordFailed === undefined ? {} : { onRecordFailed: options.onRecordFailed }),
  });
  return {
    handler: (event, context) => handle(event, context),
    close: async () => {
      client.destroy();
    },
  };
}
