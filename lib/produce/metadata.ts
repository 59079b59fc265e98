/**
 * The read routes of the REST Proxy: v2 topic and partition metadata (`GET /topics`,
 * `/topics/{topic}`, `/topics/{topic}/partitions[/{partition}]`) and the v3 cluster
 * (`GET /v3/clusters[/{cluster_id}]`), in Confluent's shapes, from the broker's metadata
 * (cached, see `lib/kafka/metadata.ts`). Only topics in `ALLOWED_TOPICS` are shown: any other
 * is answered 404 as a missing one is, so the reads tell nothing of topics the API does not serve.
 */
import type { AppConfig } from '../config';
import { ClusterNotFoundError, PartitionNotFoundError, TopicNotFoundError } from '../errors';
import { jsonResponse, type HttpResponse } from '../http/json-response';
import type { ClusterDescription, ClusterMetadata, PartitionDescription } from '../kafka/metadata';
import { isTopicName } from '../topic-name';
import type { HttpRequest } from './route';
import { V3_ANSWER_MEDIA_TYPE } from './v3-answer';
import { partitionOfPath } from './v2-request';

/** A partition as Confluent's v2 `GetPartitionResponse` shows it. */
export interface PartitionView {
  partition: number;
  leader: number;
  replicas: { broker: number; leader: boolean; in_sync: boolean }[];
}

/** Confluent's v2 view of a partition: each replica marked leader and in-sync or not. */
export function partitionView(partition: PartitionDescription): PartitionView {
  return {
    partition: partition.partition,
    leader: partition.leader,
    replicas: partition.replicas.map((broker) => ({ broker, leader: broker === partition.leader, in_sync: partition.isr.includes(broker) })),
  };
}

/** Confluent's v3 `ClusterData` for the cluster, with links under `baseUrl`. */
export function clusterView(cluster: ClusterDescription, baseUrl: string): Record<string, unknown> {
  const self = `${baseUrl}/v3/clusters/${cluster.clusterId}`;
  const related = (path: string): { related: string } => ({ related: `${self}${path}` });
  return {
    kind: 'KafkaCluster',
    metadata: { self, resource_name: `crn:///kafka=${cluster.clusterId}` },
    cluster_id: cluster.clusterId,
    ...(cluster.controller === null ? {} : { controller: related(`/brokers/${cluster.controller}`) }),
    acls: related('/acls'),
    brokers: related('/brokers'),
    broker_configs: related('/broker-configs'),
    consumer_groups: related('/consumer-groups'),
    topics: related('/topics'),
    partition_reassignments: related('/topics/-/partitions/-/reassignment'),
  };
}

/** What the read routes need. */
export interface MetadataReadsDeps {
  metadata: ClusterMetadata;
  settings: Pick<AppConfig['produce'], 'allowedTopics' | 'timeoutMs'>;
}

/** The read routes' answers; each expects an admitted request. */
export class MetadataReads {
  constructor(private readonly deps: MetadataReadsDeps) {}

  private get budget(): { timeoutMs: number } {
    return { timeoutMs: this.deps.settings.timeoutMs };
  }

  private served(topic: string): boolean {
    const { allowedTopics } = this.deps.settings;
    return allowedTopics === '*' || allowedTopics.has(topic);
  }

  /** `GET /topics`: the names of the served topics that exist. */
  async listTopics(): Promise<HttpResponse> {
    const names = await this.deps.metadata.topicNames(this.budget);
    return jsonResponse(
      200,
      names.filter((name) => this.served(name)),
    );
  }

  private async topic(name: string): Promise<{ name: string; partitions: PartitionDescription[]; configs: Record<string, string | null> }> {
    if (!isTopicName(name) || !this.served(name)) throw new TopicNotFoundError(`topic "${name}" not found`);
    return this.deps.metadata.topic(name, this.budget);
  }

  /** `GET /topics/{topic}`: `name`, `configs` and `partitions`. */
  async getTopic(request: HttpRequest): Promise<HttpResponse> {
    const topic = await this.topic(request.params.topic as string);
    return jsonResponse(200, { name: topic.name, configs: topic.configs, partitions: topic.partitions.map(partitionView) });
  }

  /** `GET /topics/{topic}/partitions`. */
  async listPartitions(request: HttpRequest): Promise<HttpResponse> {
    const topic = await this.topic(request.params.topic as string);
    return jsonResponse(200, topic.partitions.map(partitionView));
  }

  /** `GET /topics/{topic}/partitions/{partition}`. */
  async getPartition(request: HttpRequest): Promise<HttpResponse> {
    const topic = await this.topic(request.params.topic as string);
    const number = partitionOfPath(request.params.partition as string);
    const partition = topic.partitions.find((entry) => entry.partition === number);
    if (partition === undefined) throw new PartitionNotFoundError(`partition ${number} does not exist; topic "${topic.name}" has ${topic.partitions.length}`);
    return jsonResponse(200, partitionView(partition));
  }

  /** `GET /v3/clusters`: the one cluster the API produces to. */
  async listClusters(request: HttpRequest): Promise<HttpResponse> {
    const cluster = await this.deps.metadata.cluster(this.budget);
    const body = { kind: 'KafkaClusterList', metadata: { self: `${request.baseUrl}/v3/clusters`, next: null }, data: [clusterView(cluster, request.baseUrl)] };
    return jsonResponse(200, body, { 'Content-Type': V3_ANSWER_MEDIA_TYPE });
  }

  /** `GET /v3/clusters/{cluster_id}`. */
  async getCluster(request: HttpRequest): Promise<HttpResponse> {
    const cluster = await this.deps.metadata.cluster(this.budget);
    if (request.params.cluster_id !== cluster.clusterId) throw new ClusterNotFoundError(`cluster ${request.params.cluster_id} cannot be found`);
    return jsonResponse(200, clusterView(cluster, request.baseUrl), { 'Content-Type': V3_ANSWER_MEDIA_TYPE });
  }
}
