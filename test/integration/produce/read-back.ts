/** Reads records back from the test broker with a throwaway consumer group, to check produce from outside. */
import type { KafkaMessage } from 'kafkajs';
import { testKafka, uniqueName, waitFor } from '../../helpers/infra';

/** A record as read back from the broker. */
export interface ReadRecord {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** By name, UTF-8; a null header value (length -1 on the wire) stays null. */
  headers: Record<string, string | null | (string | null)[]>;
}

function headersOf(message: KafkaMessage): ReadRecord['headers'] {
  const result: ReadRecord['headers'] = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value === undefined) continue;
    // kafkajs' types leave it out, but its decoder reads a null header value as null.
    const text = (item: Buffer | string | null): string | null => (item === null ? null : item.toString('utf8'));
    result[name] = Array.isArray(value) ? value.map(text) : text(value);
  }
  return result;
}

/** Reads `topic` from the beginning until `count` records arrived; sorted by partition, then offset. */
export async function readBack(topic: string, count: number, timeoutMs = 30_000): Promise<ReadRecord[]> {
  const consumer = testKafka().consumer({ groupId: uniqueName('read-back'), maxWaitTimeInMs: 100 });
  const records: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({ partition, offset: Number(message.offset), key: message.key, value: message.value, headers: headersOf(message) });
      },
    });
    await waitFor(`${count} records on ${topic}`, () => records.length >= count, { timeoutMs });
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
