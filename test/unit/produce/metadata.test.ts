/** The read routes: Confluent's v2 topic and partition views and the v3 cluster, limited to ALLOWED_TOPICS. */
import { describe, expect, it } from 'vitest';
import { ClusterNotFoundError, PartitionNotFoundError, TopicNotFoundError } from '../../../lib/errors';
import type { ClusterMetadata } from '../../../lib/kafka/metadata';
import { MetadataReads } from '../../../lib/produce/metadata';
import type { HttpRequest } from '../../../lib/produce/route';

const metadata: ClusterMetadata = {
  cluster: async () => ({ clusterId: 'abc', controller: null }),
  topicNames: async () => ['audit', 'orders', 'payments'],
  topic: async (name) => ({
    name,
    configs: { 'cleanup.policy': 'delete' },
    partitions: [
      { partition: 0, leader: 2, replicas: [2, 3], isr: [2, 3] },
      { partition: 1, leader: -1, replicas: [3, 2], isr: [2] },
    ],
  }),
  close: async () => undefined,
};

function reads(allowedTopics: ReadonlySet<string> | '*'): MetadataReads {
  return new MetadataReads({ metadata, settings: { allowedTopics, timeoutMs: 1_000 } });
}

const request = (params: Record<string, string>): HttpRequest => ({
  route: { method: 'GET', path: '/topics/{topic}', operation: 'getTopic', api: 'v2' },
  params,
  contentType: undefined,
  idempotencyKey: undefined,
  body: Buffer.alloc(0),
  authorizer: undefined,
  baseUrl: 'https://api.example.com',
});

const json = (body: string): unknown => JSON.parse(body);

describe('MetadataReads', () => {
  it('lists only the topics of ALLOWED_TOPICS that exist, or every one with *', async () => {
    expect(json((await reads(new Set(['orders', 'gone'])).listTopics()).body)).toEqual(['orders']);
    expect(json((await reads('*').listTopics()).body)).toEqual(['audit', 'orders', 'payments']);
  });

  it('shows a topic with its configs and each replica marked leader and in sync', async () => {
    const answer = await reads('*').getTopic(request({ topic: 'orders' }));
    expect(answer.headers['Content-Type']).toBe('application/vnd.kafka.v2+json');
    expect(json(answer.body)).toEqual({
      name: 'orders',
      configs: { 'cleanup.policy': 'delete' },
      partitions: [
        {
          partition: 0,
          leader: 2,
          replicas: [
            { broker: 2, leader: true, in_sync: true },
            { broker: 3, leader: false, in_sync: true },
          ],
        },
        {
          partition: 1,
          leader: -1,
          replicas: [
            { broker: 3, leader: false, in_sync: false },
            { broker: 2, leader: false, in_sync: true },
          ],
        },
      ],
    });
  });

  it('answers a topic off the allow-list, or not a topic name, 404 as a missing one', async () => {
    await expect(reads(new Set(['orders'])).getTopic(request({ topic: 'audit' }))).rejects.toThrow(new TopicNotFoundError('topic "audit" not found'));
    await expect(reads('*').listPartitions(request({ topic: 'a/b' }))).rejects.toThrow(new TopicNotFoundError('topic "a/b" not found'));
  });

  it('shows one partition, and answers one the topic lacks 404 40402', async () => {
    expect(json((await reads('*').getPartition(request({ topic: 'orders', partition: '1' }))).body)).toMatchObject({ partition: 1, leader: -1 });
    await expect(reads('*').getPartition(request({ topic: 'orders', partition: '2' }))).rejects.toThrow(
      new PartitionNotFoundError('partition 2 does not exist; topic "orders" has 2'),
    );
  });

  it('shows the cluster without a controller link when it has none, and 404 for another id', async () => {
    const answer = await reads('*').getCluster(request({ cluster_id: 'abc' }));
    expect(answer.headers['Content-Type']).toBe('application/json');
    expect(json(answer.body)).not.toHaveProperty('controller');
    expect(json(answer.body)).toMatchObject({ kind: 'KafkaCluster', cluster_id: 'abc', metadata: { self: 'https://api.example.com/v3/clusters/abc' } });
    await expect(reads('*').getCluster(request({ cluster_id: 'xyz' }))).rejects.toThrow(new ClusterNotFoundError('cluster xyz cannot be found'));
  });
});
