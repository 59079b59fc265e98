/**
 * Against the broker: a send the broker refuses (a record over the topic's max.message.bytes)
 * drops the producer's client while other sends hold it. Metadata is trusted for no time here,
 * so that every send holds the client through a metadata round trip before it sends: the
 * window in which an immediate disconnect failed it with "Closed connection" (503 50301).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaRecordProducer, type RecordProducer } from '../../../lib/kafka/producer';
import { silentLogger } from '../../../lib/logger';
import { systemClock } from '../../../lib/clock';
import { PayloadTooLargeError } from '../../../lib/errors';
import { testConfig, testKafka, uniqueName } from '../../helpers/infra';

describe('a send refused by the broker, beside sends holding the same client', () => {
  let producer: RecordProducer;
  let topic: string;

  beforeAll(async () => {
    producer = createKafkaRecordProducer(testConfig().kafka, { logger: silentLogger, clock: systemClock, timeoutMs: 10_000, metadataTtlMs: 0 });
    topic = uniqueName('produce-shared-client');
    const admin = testKafka().admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }],
      });
    } finally {
      await admin.disconnect();
    }
  });
  afterAll(async () => {
    await producer.close();
  });

  it('acknowledges every other send', async () => {
    const record = (value: string) => ({ key: null, value: Buffer.from(value), headers: [] });
    const failures: string[] = [];
    for (let round = 0; round < 20; round += 1) {
      const tooLarge = producer.send(topic, [record('x'.repeat(5_000))], { timeoutMs: 10_000 });
      // Sends made a little later, some while the refused one is on its way: they take the same
      // client and are in their metadata round trip when the refusal drops it.
      const others = Array.from({ length: 4 }, (_, index) =>
        new Promise<void>((resolve) => setTimeout(resolve, index)).then(() => producer.send(topic, [record(`r${round}-${index}`)], { timeoutMs: 10_000 })),
      );
      await expect(tooLarge).rejects.toBeInstanceOf(PayloadTooLargeError);
      for (const outcome of await Promise.allSettled(others)) {
        if (outcome.status === 'rejected') failures.push(`round ${round}: ${String(outcome.reason)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
