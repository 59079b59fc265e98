import { afterAll, describe, expect, it } from 'vitest';
import type { EachMessagePayload } from 'kafkajs';
import { createTestTopic, testKafka, uniqueName, waitFor } from '../helpers/infra';

describe('test harness: real Kafka broker', () => {
  const kafka = testKafka();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: uniqueName('harness') });

  afterAll(async () => {
    await Promise.all([producer.disconnect(), consumer.disconnect()]);
  });

  it('produces with acks=all and consumes the same records back', async () => {
    const topic = await createTestTopic('harness', 2);
    await producer.connect();
    const [result] = await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'k1', value: 'first', partition: 1, headers: { trace: 'abc' } },
        { key: 'k2', value: 'second', partition: 1 },
      ],
    });
    expect(result).toMatchObject({ topicName: topic, partition: 1, errorCode: 0, baseOffset: '0' });

    const received: EachMessagePayload[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async (payload) => void received.push(payload) });
    await waitFor('two records', () => received.length >= 2);

    expect(
      received.map(({ partition, message }) => ({
        partition,
        offset: message.offset,
        key: message.key?.toString(),
        value: message.value?.toString(),
        trace: message.headers?.trace?.toString(),
      })),
    ).toEqual([
      { partition: 1, offset: '0', key: 'k1', value: 'first', trace: 'abc' },
      { partition: 1, offset: '1', key: 'k2', value: 'second', trace: undefined },
    ]);
  });
  it('creates topics whose every partition takes a write at once, with no retry', async () => {
    // Right after creating a topic a KRaft broker may answer UNKNOWN_TOPIC_OR_PARTITION for a
    // moment; ensureTopics returns only once every partition has a leader.
    const eager = testKafka().producer({ retry: { retries: 0 } });
    await eager.connect();
    try {
      for (let round = 0; round < 10; round += 1) {
        const topic = await createTestTopic('harness-fresh', 3);
        const results = await eager.send({ topic, acks: -1, messages: [0, 1, 2].map((partition) => ({ partition, value: 'x' })) });
        expect(results.map(({ partition, errorCode }) => ({ partition, errorCode })).sort((a, b) => a.partition - b.partition)).toEqual([
          { partition: 0, errorCode: 0 },
          { partition: 1, errorCode: 0 },
          { partition: 2, errorCode: 0 },
        ]);
      }
    } finally {
      await eager.disconnect();
    }
  });
});
