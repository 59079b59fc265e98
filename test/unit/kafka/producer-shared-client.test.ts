/**
 * One producer, concurrent sends (the local runtime serves requests concurrently through one
 * client). A send that fails drops the client so that the next call connects afresh; a send
 * that already holds that client must finish on it. kafkajs' disconnect lets requests already
 * queued on a connection finish, but a request made after it began fails ("Closed connection"),
 * which the API answered 503 50301: a request answered 503 for another request's failure. Nor
 * may such a send go out on the dropped client: a failure whose outcome is unknown leaves its
 * producer's sequence numbers in doubt, which is why the client is dropped at all.
 */
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { KafkaConfig } from '../../../lib/config';
import { PayloadTooLargeError } from '../../../lib/errors';
import { createKafkaRecordProducer } from '../../../lib/kafka/producer';
import { silentLogger } from '../../../lib/logger';

const CONFIG: KafkaConfig = { brokers: ['127.0.0.1:9092'], auth: 'none', ssl: false, clientId: 'test', region: 'us-east-1' } as KafkaConfig;

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/**
 * A kafkajs stand-in: one topic of one partition; a message whose value is `too-large` is
 * refused as kafkajs refuses it; the next metadata fetch waits for the test when it holds it; after
 * `disconnect()` began, calls fail with kafkajs' ConnectionClosed error.
 */
function fakeKafka() {
  const clients: { disconnected: boolean; sent: string[] }[] = [];
  let holdMetadata: Deferred | undefined;
  const closed = (): Error => Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError', retriable: true });
  const make = async (): Promise<Pick<Kafka, 'admin' | 'producer'>> => {
    const client = { disconnected: false, sent: [] as string[] };
    clients.push(client);
    return {
      admin: () =>
        ({
          connect: async () => undefined,
          disconnect: async () => {
            client.disconnected = true;
          },
          fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
            const hold = holdMetadata;
            holdMetadata = undefined;
            if (hold !== undefined) await hold.promise;
            if (client.disconnected) throw closed();
            return { topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader: 0 }] })) };
          },
        }) as unknown as ReturnType<Kafka['admin']>,
      producer: () =>
        ({
          connect: async () => undefined,
          disconnect: async () => {
            client.disconnected = true;
          },
          sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: { value: Buffer }[] }[] }) => {
            if (client.disconnected) throw closed();
            const [{ topic, messages }] = topicMessages as [{ topic: string; messages: { value: Buffer }[] }];
            client.sent.push(...messages.map((message) => message.value.toString()));
            if (messages.some((message) => message.value.toString() === 'too-large')) {
              throw Object.assign(new Error('The request included a message larger than the max message size the server will accept'), {
                name: 'KafkaJSProtocolError',
                type: 'MESSAGE_TOO_LARGE',
                retriable: false,
              });
            }
            return [{ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' }];
          },
        }) as unknown as ReturnType<Kafka['producer']>,
    };
  };
  return {
    make,
    clients,
    holdMetadata: () => {
      holdMetadata = deferred();
      return holdMetadata;
    },
  };
}

const record = (value: string) => ({ key: null, value: Buffer.from(value), headers: [] });

describe('createKafkaRecordProducer, concurrent sends on one client', () => {
  it('gives a send that took the client before another send failed and dropped it a fresh client, never the dropped one', async () => {
    const kafka = fakeKafka();
    // Metadata trusted for no time: every send fetches it, the window in which a send holds the client before sending.
    const producer = createKafkaRecordProducer(CONFIG, {
      logger: silentLogger,
      clock: { nowMs: () => Date.now() },
      timeoutMs: 5_000,
      metadataTtlMs: 0,
      kafka: kafka.make,
    });
    await producer.send('events', [record('warm')], { timeoutMs: 5_000 });

    const held = kafka.holdMetadata();
    const inFlight = producer.send('events', [record('mine')], { timeoutMs: 5_000 });
    // Let the first send take the client and wait in its metadata fetch.
    await new Promise((resolve) => setImmediate(resolve));
    const failing = producer.send('events', [record('too-large')], { timeoutMs: 5_000 });
    await expect(failing).rejects.toBeInstanceOf(PayloadTooLargeError);
    held.resolve();
    await expect(inFlight).resolves.toEqual({ partitions: [0], acks: [{ partition: 0, baseOffset: 0n }] });

    // Whatever state the failure left the dropped producer in, nothing more went out on it; it
    // was disconnected once the held send let go of it, and the next client took the record.
    expect(kafka.clients.map((client) => client.sent)).toEqual([['warm', 'too-large'], ['mine']]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(kafka.clients.map((client) => client.disconnected)).toEqual([true, false]);
    await producer.send('events', [record('next')], { timeoutMs: 5_000 });
    expect(kafka.clients.map((client) => client.sent)).toEqual([
      ['warm', 'too-large'],
      ['mine', 'next'],
    ]);
    await producer.close();
    expect(kafka.clients.map((client) => client.disconnected)).toEqual([true, true]);
  });

  it('disconnects at close, and a closed producer connects again on the next call', async () => {
    const kafka = fakeKafka();
    const producer = createKafkaRecordProducer(CONFIG, { logger: silentLogger, clock: { nowMs: () => Date.now() }, timeoutMs: 5_000, kafka: kafka.make });
    await producer.send('events', [record('warm')], { timeoutMs: 5_000 });
    await producer.close();
    expect(kafka.clients.map((client) => client.disconnected)).toEqual([true]);
    await expect(producer.send('events', [record('again')], { timeoutMs: 5_000 })).resolves.toMatchObject({ partitions: [0] });
  });
});
