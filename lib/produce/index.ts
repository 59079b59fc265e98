/**
 * The produce runtime: everything `functions/produce.ts` needs, built once per container.
 * Clients are created here and connect on first use.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AppConfig } from '../config';
import { systemClock, type Clock } from '../clock';
import { createDynamoClient } from '../dynamo/client';
import { errorResponse } from '../http/error-response';
import { toLambdaResult } from '../http/json-response';
import { DynamoIdempotencyStore } from '../idempotency/dynamo-store';
import type { IdempotencyStore } from '../idempotency/types';
import { createKafkaRecordProducer, type RecordProducer } from '../kafka/producer';
import { createLogger, type Logger } from '../logger';
import { ProduceIdempotency } from './idempotency';
import { readProduceRequest } from './route';
import { ProduceService } from './service';

/** The produce function's handler and its teardown. */
export interface ProduceRuntime {
  /** Handles an API Gateway HTTP API (payload v2) or Function URL event. Never throws. */
  handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2>;
  /** Disconnects the producer and the store client. */
  close(): Promise<void>;
}

/** Optional collaborators; defaults are the real ones. */
export interface ProduceRuntimeOptions {
  logger?: Logger;
  clock?: Clock;
  /** Replaces the Kafka producer (tests of the HTTP layer). */
  producer?: RecordProducer;
  /** Replaces the DynamoDB idempotency store. */
  store?: IdempotencyStore;
}

/**
 * Builds the produce runtime from configuration. Nothing connects until the first request.
 */
export function createProduceRuntime(config: AppConfig, options: ProduceRuntimeOptions = {}): ProduceRuntime {
  const logger = options.logger ?? createLogger('info', undefined, { component: 'produce' });
  const clock = options.clock ?? systemClock;
  const producer =
    options.producer ?? createKafkaRecordProducer(config.kafka, { logger, clock, timeoutMs: config.produce.timeoutMs });
  const dynamo = options.store === undefined ? createDynamoClient(config.aws) : undefined;
  const store = options.store ?? new DynamoIdempotencyStore(dynamo as NonNullable<typeof dynamo>, config.tables.idempotency);
  const service = new ProduceService({
    settings: config.produce,
    producer,
    idempotency: new ProduceIdempotency({
      store,
      clock,
      ttlSeconds: config.idempotency.ttlSeconds,
      leaseMs: config.idempotency.leaseMs,
      newOwner: randomUUID,
    }),
    clock,
    logger,
    newMessageId: randomUUID,
  });

  return {
    async handler(event) {
      try {
        return toLambdaResult(await service.produce(readProduceRequest(event)));
      } catch (error) {
        return toLambdaResult(errorResponse(error, logger));
      }
    },
    async close() {
      await producer.close();
      dynamo?.destroy();
    },
  };
}
