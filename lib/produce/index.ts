/**
 * The produce runtime: everything `functions/produce.ts` needs, built once per container.
 * Clients are created here and connect on first use.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createCallerKeySource, type CallerKeySource } from '../caller-mac/key-source';
import type { AppConfig } from '../config';
import { systemClock, type Clock } from '../clock';
import { errorResponse } from '../http/error-response';
import { KAFKA_V3_MEDIA_TYPE, toLambdaResult, type HttpResponse } from '../http/json-response';
import type { ClusterMetadata } from '../kafka/metadata';
import { createKafkaRecordProducer, type RecordProducer } from '../kafka/producer';
import { outcomeClassOf } from '../http/outcome-class';
import { withFields, type Logger } from '../logger';
import { createLambdaObservability } from '../observability/lambda';
import { MetricName, type MetricsRecorder } from '../observability/metrics';
import { observabilityOf } from '../observability/observability';
import { ProduceIdempotency, type ProduceKeyStore } from './idempotency';
import { RateLimiter, type RequestCounter } from './rate-limit';
import type { MoreOperations } from './more-operations';
import { lazyOperation, type OperationHandler, type Operations } from './operations';
import { Operation, readHttpRequest, requestIdOf, type ApiVersion } from './route';
import type { SchemaRegistry } from '../schema/registry-client';
import type { Schemas } from '../schema/schemas';
import { ProduceService } from './service';
import { readV2PartitionRequest, readV2TopicRequest, type SchemasLoader } from './v2-request';

/** The produce function's handler and its teardown. */
export interface ProduceRuntime {
  /** Handles an API Gateway HTTP API (payload v2) or Function URL event. Never throws. */
  handler(event: APIGatewayProxyEventV2, context?: Partial<Context>): Promise<APIGatewayProxyStructuredResultV2>;
  /** Disconnects the producer and the store client. */
  close(): Promise<void>;
}

/** Optional collaborators; defaults are the real ones. */
export interface ProduceRuntimeOptions {
  /** Replaces Powertools Logger (local tooling, tests). */
  logger?: Logger;
  /** Where a given `logger`'s runtime records metrics; none by default. */
  metrics?: MetricsRecorder;
  clock?: Clock;
  /** Replaces the Kafka producer (tests of the HTTP layer). */
  producer?: RecordProducer;
  /** Replaces the broker metadata of the read routes and the v3 cluster id. */
  metadata?: ClusterMetadata;
  /** Replaces the DynamoDB idempotency store. */
  store?: ProduceKeyStore;
  /** Replaces the caller MAC keys `config.callerKeys` names (tests of a Lambda configuration). */
  callerKeys?: CallerKeySource;
  /** Replaces the DynamoDB counter of the per-caller rate limit. */
  requestCounter?: RequestCounter;
  /** Replaces the schema registry `config.schemaRegistry` names (tests count its requests). */
  schemaRegistry?: SchemaRegistry;
}

/**
 * Builds the produce runtime from configuration. Nothing connects until the first request.
 * Without a `logger` it logs through Powertools Logger, with API Gateway's request id as the
 * correlation id, and in Lambda publishes each request's metrics through Powertools Metrics.
 */
export function createProduceRuntime(config: AppConfig, options: ProduceRuntimeOptions = {}): ProduceRuntime {
  const observability =
    options.logger === undefined ? createLambdaObservability(config.observability, config.inLambda) : observabilityOf(options.logger, options.metrics);
  const { logger, metrics } = observability;
  const clock = options.clock ?? systemClock;
  const producer = options.producer ?? createKafkaRecordProducer(config.kafka, { logger, clock, timeoutMs: config.produce.timeoutMs });
  const dynamo = lazyDynamo(config);
  const store = options.store ?? dynamo.store;
  const schemas = lazySchemas(config, options.schemaRegistry);
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
    metrics,
    newMessageId: randomUUID,
    callerKeys: options.callerKeys ?? createCallerKeySource(config.callerKeys),
    rateLimiter: new RateLimiter({ counter: options.requestCounter ?? dynamo.counter, clock, perSecond: config.produce.rateLimitPerSec, metrics }),
  });
  let more: MoreOperations | undefined;
  const loadMore = async (): Promise<MoreOperations> => {
    const { createMoreOperations } = await import('./more-operations');
    more ??= createMoreOperations({ config, service, clock, logger, metadata: options.metadata, schemas });
    return more;
  };
  const operations = createOperations(config, service, loadMore, schemas);

  return {
    async handler(event, context) {
      const requestId = requestIdOf(event);
      observability.begin(context, requestId);
      // A logger of the caller's own (local runtime, tests) carries no correlation id: each line names the request.
      const requestLogger = options.logger === undefined ? logger : withFields(logger, { requestId });
      try {
        const response = await answer(operations, event, requestLogger);
        metrics.count(MetricName.Requests, 1, { name: 'outcome', value: outcomeClassOf(response.statusCode) });
        return toLambdaResult(response);
      } finally {
        observability.end();
      }
    },
    async close() {
      await Promise.all([producer.close(), more?.metadata.close()]);
      await dynamo.close();
    },
  };
}

/**
 * Each operation of the route table (`route.ts`): v2 produce reads its request into a produce
 * command for the one service; the others are loaded on their first request (`more-operations.ts`).
 */
function createOperations(config: AppConfig, service: ProduceService, loadMore: () => Promise<MoreOperations>, schemas: SchemasLoader | undefined): Operations {
  const limits = config.produce;
  const later = (pick: (loaded: MoreOperations) => OperationHandler): OperationHandler => lazyOperation(loadMore, pick);
  return {
    [Operation.ProduceToTopic]: (request, logger) => service.produce(readV2TopicRequest(request, limits, schemas), logger),
    [Operation.ProduceToPartition]: (request, logger) => service.produce(readV2PartitionRequest(request, limits, schemas), logger),
    [Operation.ProduceRecords]: later((more) => more.produceRecords),
    [Operation.ProduceRecordsBatch]: later((more) => more.produceRecordsBatch),
    [Operation.ListTopics]: later((more) => more.listTopics),
    [Operation.GetTopic]: later((more) => more.getTopic),
    [Operation.ListPartitions]: later((more) => more.listPartitions),
    [Operation.GetPartition]: later((more) => more.getPartition),
    [Operation.ListClusters]: later((more) => more.listClusters),
    [Operation.GetCluster]: later((more) => more.getCluster),
  };
}

/** The response to one event: its operation's, or the error's (it never throws). */
async function answer(operations: Operations, event: APIGatewayProxyEventV2, logger: Logger): Promise<HttpResponse> {
  // The version of the path, for an answer refused before its route is known (a method the path does not serve).
  let api: ApiVersion = (event.rawPath ?? '').startsWith('/v3/') ? 'v3' : 'v2';
  try {
    const request = readHttpRequest(event);
    api = request.route.api;
    return await operations[request.route.operation](request, logger);
  } catch (error) {
    const response = errorResponse(error, logger);
    // The v3 API answers its errors in its own media type.
    if (api === 'v3') response.headers['Content-Type'] = KAFKA_V3_MEDIA_TYPE;
    return response;
  }
}

interface LazyDynamo {
  store: ProduceKeyStore;
  counter: RequestCounter;
  close(): Promise<void>;
}

interface LoadedDynamo {
  store: ProduceKeyStore;
  counter: RequestCounter;
  destroy(): void;
}

/**
 * The DynamoDB idempotency store and rate-limit counter, loaded on the first request that
 * needs one: one carrying an Idempotency-Key, or any request while the rate limit is on. The
 * AWS SDK is about 40% of the produce bundle, so keeping it out of the cold start makes every
 * cold start faster (and, with the limit off, spares requests without a key the SDK altogether).
 */
function lazyDynamo(config: AppConfig): LazyDynamo {
  let loaded: Promise<LoadedDynamo> | undefined;
  const load = (): Promise<LoadedDynamo> => {
    loaded ??= Promise.all([import('../dynamo/client'), import('../idempotency/dynamo-store'), import('../dynamo/request-counter')]).then(
      ([{ createDynamoClient }, { DynamoIdempotencyStore }, { DynamoRequestCounter }]) => {
        const client = createDynamoClient(config.aws);
        return {
          store: new DynamoIdempotencyStore(client, config.tables.idempotency),
          counter: new DynamoRequestCounter(client, config.tables.idempotency),
          destroy: () => client.destroy(),
        };
      },
    );
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
      abandonMany: async (claims) => (await load()).store.abandonMany(claims),
    },
    counter: {
      take: async (key, limit, expiresAtEpochSec) => (await load()).counter.take(key, limit, expiresAtEpochSec),
    },
    async close() {
      if (loaded !== undefined) (await loaded.catch(() => undefined))?.destroy();
    },
  };
}

/**
 * The schema'd formats over `registry` (tests) or the one `config.schemaRegistry` names, loaded
 * with the first request in one of them, as the format libraries are: a container that only
 * serves json and binary never loads them. Undefined without a registry.
 */
function lazySchemas(config: AppConfig, registry: SchemaRegistry | undefined): SchemasLoader | undefined {
  const { schemaRegistry } = config;
  if (registry === undefined && schemaRegistry === undefined) return undefined;
  let loaded: Promise<Schemas> | undefined;
  return () => {
    loaded ??= Promise.all([import('../schema/schemas'), import('../schema/registry-client')]).then(
      ([{ Schemas }, { ConfluentSchemaRegistry }]) =>
        new Schemas(registry ?? new ConfluentSchemaRegistry(schemaRegistry as NonNullable<typeof schemaRegistry>)),
    );
    // A failed load (it should not happen: the chunk ships in the bundle) is tried again next time.
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
}
