/**
 * The producer after Kafka refused its connection (`lib/kafka/access.ts`): one more client,
 * within the same budget, when the refused secret may be read anew; never more than one; none
 * when no secret can mend the refusal. A kafkajs stand-in refuses SCRAM logins the way kafkajs
 * reports them, until it is told the password changed.
 */
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { KafkaConfig } from '../../../lib/config';
import { KafkaAccessError } from '../../../lib/errors';
import { createKafkaRecordProducer } from '../../../lib/kafka/producer';
import { silentLogger } from '../../../lib/logger';

const SCRAM: KafkaConfig = {
  brokers: ['b-1.example:9096'],
  auth: 'scram-sha-512',
  ssl: true,
  saslSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_p-AbCdEf',
  clientId: 'test',
  region: 'us-east-1',
};

/** kafkajs' error for a refused SCRAM login (a non-retriable KafkaJSSASLAuthenticationError). */
function refused(): Error {
  return Object.assign(new Error('SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials'), {
    name: 'KafkaJSSASLAuthenticationError',
    retriable: false,
  });
}

/** Clients whose connect is refused while `refusing` holds; counts the clients made. */
function refusingKafka(refusing: (client: number) => boolean) {
  let clients = 0;
  const make = async (): Promise<Pick<Kafka, 'admin' | 'producer'>> => {
    clients += 1;
    const client = clients;
    const connect = async (): Promise<void> => {
      if (refusing(client)) throw refused();
    };
    return {
      admin: () =>
        ({
          connect,
          disconnect: async () => undefined,
          fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
            topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader: 0 }] })),
          }),
        }) as unknown as ReturnType<Kafka['admin']>,
      producer: () =>
        ({
          connect,
          disconnect: async () => undefined,
          sendBatch: async () => [{ topicName: 'orders', partition: 0, errorCode: 0, baseOffset: '7' }],
        }) as unknown as ReturnType<Kafka['producer']>,
    };
  };
  return { make, clients: () => clients };
}

const RECORD = { key: null, value: Buffer.from('1'), headers: [] };

function producer(kafka: ReturnType<typeof refusingKafka>, rereads: string[], reread: boolean) {
  return createKafkaRecordProducer(SCRAM, {
    logger: silentLogger,
    clock: { nowMs: () => 0 },
    timeoutMs: 5_000,
    kafka: kafka.make,
    rereadSecret: (_config, problem) => {
      rereads.push(problem);
      return reread;
    },
  });
}

describe('the producer after a refused login', () => {
  it('connects once more when the secret is read anew, and sends on that client', async () => {
    const kafka = refusingKafka((client) => client === 1);
    const rereads: string[] = [];
    const outcome = await producer(kafka, rereads, true).send('orders', [RECORD], { timeoutMs: 5_000 });
    expect(outcome).toEqual({ partitions: [0], acks: [{ partition: 0, baseOffset: 7n }] });
    expect(rereads).toEqual(['credentials']);
    expect(kafka.clients()).toBe(2);
  });

  it('fails with the refusal, naming the secret, when the second client is refused too: no third', async () => {
    const kafka = refusingKafka(() => true);
    const rereads: string[] = [];
    const error = await producer(kafka, rereads, true)
      .send('orders', [RECORD], { timeoutMs: 5_000 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KafkaAccessError);
    expect((error as KafkaAccessError).setting).toBe("KAFKA_SASL_SECRET_ARN (the secret's username and password)");
    expect(rereads).toEqual(['credentials']);
    expect(kafka.clients()).toBe(2);
  });

  it('does not connect again when the secret was read again too recently', async () => {
    const kafka = refusingKafka(() => true);
    const rereads: string[] = [];
    await expect(producer(kafka, rereads, false).send('orders', [RECORD], { timeoutMs: 5_000 })).rejects.toBeInstanceOf(KafkaAccessError);
    expect(rereads).toEqual(['credentials']);
    expect(kafka.clients()).toBe(1);
  });
});
