/**
 * The produce runtime: everything `functions/produce.ts` needs, built once per container.
 * Clients are created here and connect on first use.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AppConfig } from '../config';
import { systemClock, type Clock } from '../clock';
import { errorResponse } from '../http/error-response';
import { toLambdaResult } from '../http/json-response';
import type { IdempotencyStore } from '../idempotency/types';
import { createKafkaRecordProducer, type RecordProducer } from '../kafka/producer';
import { createLogger, withFields, type Logger } from '../logger';
import { ProduceIdempotency } from './idempotency';
import { readProduceRequest, requestIdOf } from './route';
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
  const producer = options.producer ?? createKafkaRecordProducer(config.kafka, { logger, clock, timeoutMs: config.produce.timeoutMs });
  const dynamoStore = options.store === undefined ? lazyDynamoStore(config) : undefined;
  const store = options.store ?? (dynamoStore as LazyDynamoStore).store;
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
      const requestLogger = withFields(logger, { requestId: requestIdOf(event) });
      try {
        return toLambdaResult(await service.produce(readProduceRequest(event), requestLogger));
      } catch (error) {
        return toLambdaResult(errorResponse(error, requestLogger));
      }
    },
    async close() {
      await producer.close();
      await dynamoStore?.close();
    },
  };
}

interface LazyDynamoStore {
  store: IdempotencyStore;
  close(): Promise<void>;
}

/**
 * The DynamoDB idempotency store, loaded on the first request that carries an
 * Idempotency-Key. The AWS SDK is about 40% of the produce bundle and only that kind of
 * request needs it, so keeping it out of the cold start makes every other cold start faster.
 */
function lazyDynamoStore(config: AppConfig): LazyDynamoStore {
  let loaded: Promise<{ store: IdempotencyStore; destroy(): void }> | undefined;
  const load = (): Promise<{ store: IdempotencyStore; destroy(): void }> => {
    loaded ??= Promise.all([import('../dynamo/client'), import('../idempotency/dynamo-store')]).then(([{ createDynamoClient }, { DynamoIdempotencyStore }]) => {
      const client = createDynamoClient(config.aws);
      return { store: new DynamoIdempotencyStore(client, config.tables.idempotency), destroy: () => client.destroy() };
    });
    // A failed load (it should not happen: the chunk ships in the bundle) is tried again next time.
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
  return {
    store: {
      claim: async (claim, nowMs) => (await load()).store.claim(claim, nowMs),
      getMany: async (keys, nowMs) => (await load()).store.getMany(keys, nowMs),
      completeMany: async (completions) => (await load()).store.completeMany(completions),
      releaseMany: async (keys, owner) => (await load()).store.releaseMany(keys, owner),
    },
    async close() {
      if (loaded !== undefined) (await loaded.catch(() => undefined))?.destroy();
    },
  };
}
