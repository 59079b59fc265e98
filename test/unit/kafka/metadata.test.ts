/** The cluster metadata door: answers cached for METADATA_CACHE_MS, one broker request per burst, a fresh client after a failure. */
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaUnavailableError, TopicNotFoundError } from '../../../lib/errors';
import { createKafkaClusterMetadata, METADATA_CACHE_MS } from '../../../lib/kafka/metadata';
import { silentLogger } from '../../../lib/logger';
import { loadConfig } from '../../../lib/config';
import { FakeClock } from '../../helpers/fake-clock';

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*' }).kafka;

function setup(overrides: Partial<Record<keyof Admin, unknown>> = {}) {
  const clock = new FakeClock();
  const calls: string[] = [];
  let clients = 0;
  const admin = {
    connect: async () => {
      clients += 1;
    },
    disconnect: async () => undefined,
    describeCluster: async () => {
      calls.push('describeCluster');
      return { clusterId: 'abc', controller: 1, brokers: [] };
    },
    listTopics: async () => {
      calls.push('listTopics');
      return ['orders', '__consumer_offsets', 'audit', 'bad name'];
    },
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      calls.push(`fetchTopicMetadata ${topics.join(',')}`);
      if (topics[0] === 'missing') return { topics: [] };
      return {
        topics: [
          {
            name: topics[0],
            partitions: [
              { partitionId: 1, leader: 2, replicas: [2, 1], isr: [2], partitionErrorCode: 0 },
              { partitionId: 0, leader: -1, replicas: [1, 2], isr: [], partitionErrorCode: 0 },
            ],
          },
        ],
      };
    },
    describeConfigs: async () => {
      calls.push('describeConfigs');
      return {
        resources: [
          {
            configEntries: [
              { configName: 'cleanup.policy', configValue: 'compact', isSensitive: false },
              { configName: 'sasl.jaas.config', configValue: 'secret', isSensitive: true },
            ],
          },
        ],
      };
    },
    ...overrides,
  };
  const metadata = createKafkaClusterMetadata(config, { logger: silentLogger, clock, kafka: async () => ({ admin: () => admin as unknown as Admin }) });
  return { metadata, clock, calls, clients: () => clients };
}

const budget = { timeoutMs: 1_000 };

describe('createKafkaClusterMetadata', () => {
  it('reads the cluster id and controller, and answers from the cache until METADATA_CACHE_MS has passed', async () => {
    const { metadata, clock, calls } = setup();
    expect(METADATA_CACHE_MS).toBe(5_000);
    expect(await metadata.cluster(budget)).toEqual({ clusterId: 'abc', controller: 1 });
    clock.nowValueMs += 4_999;
    await metadata.cluster(budget);
    expect(calls).toEqual(['describeCluster']);
    clock.nowValueMs += 1;
    await metadata.cluster(budget);
    expect(calls).toEqual(['describeCluster', 'describeCluster']);
  });

  it('shares one broker request among concurrent reads', async () => {
    const { metadata, calls } = setup();
    await Promise.all([metadata.topicNames(budget), metadata.topicNames(budget), metadata.topicNames(budget)]);
    expect(calls).toEqual(['listTopics']);
  });

  it("lists topic names sorted, without Kafka's internal ones or names Kafka would refuse", async () => {
    const { metadata } = setup();
    expect(await metadata.topicNames(budget)).toEqual(['audit', 'orders']);
  });

  it('describes a topic: partitions in order with leader, replicas and in-sync replicas, and its configs, sensitive values hidden', async () => {
    const { metadata } = setup();
    expect(await metadata.topic('orders', budget)).toEqual({
      name: 'orders',
      partitions: [
        { partition: 0, leader: -1, replicas: [1, 2], isr: [] },
        { partition: 1, leader: 2, replicas: [2, 1], isr: [2] },
      ],
      configs: { 'cleanup.policy': 'compact', 'sasl.jaas.config': null },
    });
  });

  it('answers a missing topic with TopicNotFoundError, and keeps the client', async () => {
    const { metadata, clients } = setup();
    await expect(metadata.topic('missing', budget)).rejects.toThrow(new TopicNotFoundError('topic "missing" does not exist'));
    await metadata.cluster(budget);
    expect(clients()).toBe(1);
  });

  it('drops the client and the cache after a failure: the next read connects afresh and asks the broker again', async () => {
    let fail = true;
    const { metadata, calls, clients } = setup({
      describeCluster: async () => {
        calls.push('describeCluster');
        if (fail) throw Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' });
        return { clusterId: 'abc', controller: null, brokers: [] };
      },
    });
    await metadata.topicNames(budget);
    await expect(metadata.cluster(budget)).rejects.toThrow(new KafkaUnavailableError('Kafka is unavailable; retry later'));
    fail = false;
    expect(await metadata.cluster(budget)).toEqual({ clusterId: 'abc', controller: null });
    await metadata.topicNames(budget);
    expect(calls).toEqual(['listTopics', 'describeCluster', 'describeCluster', 'listTopics']);
    expect(clients()).toBe(2);
  });
});
