import { Kafka, logLevel, type Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { directProducer } from '../../../chaos/lib/produce-direct';
import { createTestTopic, topicRecordCount, testBrokers, testKafka, waitFor } from '../../helpers/infra';

/** A producer that tries once, to find out whether the broker still takes writes to a topic. */
function probeProducer(): Producer {
  return new Kafka({ clientId: 'probe', brokers: testBrokers(), logLevel: logLevel.NOTHING, retry: { retries: 0 } }).producer();
}

/**
 * Deletes `topic` and waits until the broker refuses writes to it, as seen by a producer that
 * learned its partitions before (`probe`); the broker then answers UNKNOWN_TOPIC_OR_PARTITION,
 * a retriable error, for that part of a request.
 */
async function deleteUnderneath(topic: string, probe: Producer): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
  await waitFor(`writes to ${topic} refused`, () =>
    probe.send({ topic, acks: -1, messages: [{ value: 'probe' }] }).then(
      () => false,
      () => true,
    ),
  );
}

describe('the chaos producer', () => {
  // kafkajs sends one request per broker and, when the broker refuses one partition of it,
  // sends the whole request again: the partitions it had accepted are written again, unless
  // the producer is idempotent and the broker drops the repeated batches. Right after a topic
  // is created under load, a partition whose leader is not ready yet refuses the same way.
  it('writes each message once when the broker refuses another part of the same request', async () => {
    const accepted = await createTestTopic('direct-accepted', 1);
    const refused = await createTestTopic('direct-refused', 1);
    const producer = directProducer(testBrokers());
    const probe = probeProducer();
    await Promise.all([producer.connect(), probe.connect()]);
    try {
      // Both producers learn both topics' partitions; then one topic goes away behind their backs.
      const first = { acks: -1, topicMessages: [accepted, refused].map((topic) => ({ topic, messages: [{ value: 'first' }] })) };
      await Promise.all([producer.sendBatch(first), probe.sendBatch(first)]);
      await deleteUnderneath(refused, probe);
      const sent = producer.sendBatch({
        acks: -1,
        topicMessages: [
          { topic: accepted, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] },
          { topic: refused, messages: [{ value: 'x' }] },
        ],
      });
      await expect(sent).rejects.toThrow();
    } finally {
      await Promise.all([producer.disconnect(), probe.disconnect()]);
    }
    // Two first messages (one from each producer) and a, b, c once each.
    expect(await topicRecordCount(accepted)).toBe(5);
  });
});
