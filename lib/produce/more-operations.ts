/**
 * The operations beyond v2 produce: the v3 records routes and the metadata reads (v2 topics and
 * partitions, v3 clusters), with the broker metadata they read. Loaded by the runtime on the first
 * request to one of them (see `operations.ts`).
 */
import type { AppConfig } from '../config';
import type { Clock } from '../clock';
import type { HttpResponse } from '../http/json-response';
import { createKafkaClusterMetadata, type ClusterMetadata } from '../kafka/metadata';
import type { Logger } from '../logger';
import { MetadataReads } from './metadata';
import type { OperationHandler } from './operations';
import type { HttpRequest } from './route';
import type { ProduceService } from './service';
import type { SchemasLoader } from './v2-request';
import { readV3BatchRequest, readV3RecordsRequest, type V3ReadContext } from './v3-request';

/** What the operations beyond v2 produce need from the runtime. */
export interface MoreOperationsDeps {
  config: AppConfig;
  service: ProduceService;
  clock: Clock;
  logger: Logger;
  /** Replaces the broker metadata (tests); created from `config.kafka` otherwise. */
  metadata?: ClusterMetadata;
  /** The schema'd formats over the configured registry; undefined when none is configured. */
  schemas?: SchemasLoader;
}

/** The operations beyond v2 produce, and the metadata client to close with the runtime. */
export interface MoreOperations {
  produceRecords: OperationHandler;
  produceRecordsBatch: OperationHandler;
  listTopics: OperationHandler;
  getTopic: OperationHandler;
  listPartitions: OperationHandler;
  getPartition: OperationHandler;
  listClusters: OperationHandler;
  getCluster: OperationHandler;
  metadata: ClusterMetadata;
}

/**
 * Builds them. A read route is admitted as a produce request is (caller, allow-list, rate)
 * and answered from the broker's metadata; a v3 produce route reads its request into a produce
 * command for the one service.
 */
export function createMoreOperations(deps: MoreOperationsDeps): MoreOperations {
  const { config, service, clock, logger } = deps;
  const metadata = deps.metadata ?? createKafkaClusterMetadata(config.kafka, { logger, clock });
  const reads = new MetadataReads({ metadata, settings: config.produce });
  const v3: V3ReadContext = {
    limits: config.produce,
    clusterId: async () => (await metadata.cluster({ timeoutMs: config.produce.timeoutMs })).clusterId,
    nowMs: () => clock.nowMs(),
    schemas: deps.schemas,
  };
  const read =
    (answer: (request: HttpRequest) => Promise<HttpResponse>): OperationHandler =>
    async (request, requestLogger) => {
      await service.admit(request, request.params.topic, requestLogger);
      return answer(request);
    };
  return {
    produceRecords: (request, requestLogger) => service.produce(readV3RecordsRequest(request, v3), requestLogger),
    produceRecordsBatch: (request, requestLogger) => service.produce(readV3BatchRequest(request, v3), requestLogger),
    listTopics: read(() => reads.listTopics()),
    getTopic: read((request) => reads.getTopic(request)),
    listPartitions: read((request) => reads.listPartitions(request)),
    getPartition: read((request) => reads.getPartition(request)),
    listClusters: read((request) => reads.listClusters(request)),
    getCluster: read((request) => reads.getCluster(request)),
    metadata,
  };
}
