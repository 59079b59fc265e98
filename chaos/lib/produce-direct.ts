/**
 * Writes chaos messages straight to the broker (acks from all replicas), for scenarios
 * about the consuming side: each value carries its id, key and per-key sequence number.
 */
import type { Producer } from 'kafkajs';
import { outsideKafka } from './observe';

/**
 * The producer the scenarios write with: idempotent, so that each message is on the topic
 * once. kafkajs sends one request per broker and, when the broker refuses one partition of
 * it (right after a topic is created under load, a partition whose leader is not ready yet
 * answers NOT_LEADER_OR_FOLLOWER), sends the whole request again; without idempotence the
 * partitions the broker had accepted are written twice, and each copy, having no
 * `message-id` header, is a message of its own for the consumer. With it, the broker drops
 * the repeated batches (same producer id and sequence numbers).
 * https://kafka.apache.org/documentation/#producerconfigs_enable.idempotence
 */
export function directProducer(brokers: string[]): Producer {
  return outsideKafka(brokers).producer({ maxInFlightRequests: 1, idempotent: true });
}

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
  const producer = directProducer(brokers);
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
