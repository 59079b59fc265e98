/** The produce bench's baseline sends what the produce handler writes, byte for byte. */
import { describe, expect, it } from 'vitest';
import { handlerMessages, messageIdOnlyMessages, produceEvent } from '../../../bench/produce';
import { makeRecords, produceRequestBody } from '../../../bench/records';
import { loadConfig } from '../../../lib/config';
import { silentLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { TEST_CALLER_KEYS, TEST_KEY_RING } from '../../helpers/caller-keys';
import { fakeProducer } from '../produce/fakes';

const TOPIC = 'bench-orders';

describe('bench baseline messages', () => {
  it('are the messages the produce handler sends for the same records: keys, values and headers, byte for byte', async () => {
    const records = makeRecords(3, 'same');
    const producer = fakeProducer({ send: (count) => ({ partitions: Array(count).fill(0), acks: [{ partition: 0, baseOffset: 0n }] }) });
    const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1' });
    const runtime = createProduceRuntime(config, { logger: silentLogger, producer, callerKeys: TEST_CALLER_KEYS });
    const response = await runtime.handler(produceEvent(TOPIC, produceRequestBody(records)));
    expect(response.statusCode).toBe(200);

    const messages = handlerMessages(records, TOPIC, TEST_KEY_RING);
    expect(messages).toHaveLength(3);
    producer.sentRecords.forEach((sent, index) => {
      const message = messages[index];
      expect(message?.key).toEqual(sent.key);
      expect(message?.value).toEqual(sent.value);
      expect(Object.keys(message?.headers ?? {})).toEqual(['message-id', 'x-caller-id']);
      expect(sent.headers.map((header) => header.name)).toEqual(['message-id', 'x-caller-id']);
      expect(message?.headers?.['message-id']).toEqual(sent.headers[0]?.value);
      expect(message?.headers?.['x-caller-id']).toEqual(sent.headers[1]?.value);
    });
    expect(messages[1]?.key).toEqual(Buffer.from('"same-1"'));
    expect(String(messages[1]?.headers?.['x-caller-id'])).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$/);
  });

  it('of earlier runs carry the message-id header only', () => {
    const [record] = makeRecords(1, 'earlier');
    expect(messageIdOnlyMessages(record === undefined ? [] : [record])).toEqual([
      { key: 'earlier-0', value: record?.valueJson, headers: { 'message-id': record?.messageId } },
    ]);
  });
});
