/** Reading chosen records by partition and offset against the real broker (local/kafka/record-reader.ts). */
import type { IHeaders } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../lib/logger';
import { positionKey, readRecordsAt } from '../../../local/kafka/record-reader';
import { createTestTopic, testConfig, testKafka } from '../../helpers/infra';

describe('readRecordsAt', () => {
  it('reads the records at the wanted offsets as stored, null header values included, and answers without those that are not there', {
    timeout: 30_000,
  }, async () => {
    const topic = await createTestTopic('record-reader', 2);
    const producer = testKafka().producer();
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: [
          { partition: 0, value: 'p0-0' },
          // kafkajs' types leave null out; its encoder writes it as Kafka's null header value.
          { partition: 0, value: 'p0-1', headers: { h: [Buffer.from('a'), null] } as unknown as IHeaders },
          { partition: 0, value: 'p0-2' },
          { partition: 1, value: 'p1-0' },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    // A timeout longer than the test's: the answer must come from reading, not from giving up.
    const found = await readRecordsAt(
      testConfig().kafka,
      topic,
      [
        { partition: 0, offset: 1 },
        { partition: 0, offset: 2 },
        { partition: 1, offset: 5 },
      ],
      { logger: silentLogger, timeoutMs: 60_000 },
    );
    expect([...found.keys()].sort()).toEqual([positionKey(0, 1), positionKey(0, 2)]);
    expect(found.get('0/1')?.value?.toString()).toBe('p0-1');
    expect(found.get('0/1')?.headers).toStrictEqual([
      { name: 'h', value: Buffer.from('a') },
      { name: 'h', value: null },
    ]);
    expect(found.get('0/2')?.value?.toString()).toBe('p0-2');
  });
});
