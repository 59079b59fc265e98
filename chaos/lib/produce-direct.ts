/**
 * Writes chaos messages straight to the broker (acks from all replicas), for scenarios
 * about the consuming side: each value carries its id, key and per-key sequence number.
 */
import { outsideKafka } from './observe';

/** A message to write. */
export interface DirectMessage {
  id: string;
  key: string;
  seq: number;
  /** Target partition; the key's hash decides when absent. */
  partition?: number;
  /** Raw value instead of the JSON chaos message (poison records). */
  rawValue?: string;
  /** Record headers, written as given. */
  headers?: Record<string, string | Buffer>;
}

/** Writes messages in order, in batches, and waits for every acknowledgement. */
export async function produceDirect(brokers: string[], topic: string, messages: readonly DirectMessage[], batchSize = 500): Promise<void> {
  const producer = outsideKafka(brokers).producer({ maxInFlightRequests: 1, idempotent: false });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += batchSize) {
      await producer.send({
        topic,
        acks: -1,
        messages: messages.slice(i, i + batchSize).map((message) => ({
          key: message.key,
          value: message.rawValue ?? JSON.stringify({ id: message.id, key: message.key, seq: message.seq }),
          ...(message.partition === undefined ? {} : { partition: message.partition }),
          ...(message.headers === undefined ? {} : { headers: message.headers }),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}
