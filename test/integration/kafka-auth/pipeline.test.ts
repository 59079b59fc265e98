/**
 * The whole local pipeline (`npm start`'s runtime) on the broker's secure listeners: HTTP in,
 * the produce function, Kafka over SASL_SSL or mutual TLS, the event-source emulator's consumer
 * and dead-letter producer over the same connection, the consume function, the sink table.
 * With wrong credentials it does not start, and says which setting to check.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaAccessError } from '../../../lib/errors';
import { silentLogger } from '../../../lib/logger';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime';
import { testDynamo, testDynamoEndpoint, uniqueName, waitFor } from '../../helpers/infra';
import { saslSslListener, sslListener, testSecurity } from '../../helpers/secure-kafka';

const runtimes: LocalRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop()));
});

function start(brokers: string, env: Record<string, string>): Promise<LocalRuntime> {
  const topic = uniqueName('secure-events');
  return startLocalRuntime({
    external: { kafkaBrokers: [brokers], dynamoEndpoint: testDynamoEndpoint() },
    env: { IDEMPOTENCY_TABLE: uniqueName('idempotency'), MESSAGES_TABLE: uniqueName('messages'), PORT: '0', ALLOWED_TOPICS: '*', ...env },
    eventSource: { topic, onFailureTopic: `${topic}-dlq`, consumerGroupId: uniqueName('secure-group') },
    batchingWindowMs: 20,
    logger: silentLogger,
  });
}

/** Posts one message with a known message id and waits for its item in the sink. */
async function roundTrip(runtime: LocalRuntime, messageId: string): Promise<unknown> {
  const response = await fetch(`${runtime.httpUrl}/topics/${runtime.settings.topic}`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
    body: JSON.stringify({ records: [{ value: { over: messageId }, headers: [{ name: 'message-id', value: Buffer.from(messageId).toString('base64') }] }] }),
  });
  expect(response.status).toBe(200);
  return waitFor('the sink item', async () => {
    const { Items } = await testDynamo().send(new ScanCommand({ TableName: runtime.config.tables.messages }));
    return Items?.find((item) => item.messageId?.S?.endsWith(`:${messageId}`))?.value;
  });
}

describe('the local pipeline on the secure listeners', () => {
  it('runs end to end over SASL_SSL with SCRAM-SHA-512 (KAFKA_USERNAME/KAFKA_PASSWORD and KAFKA_CA_FILE, as npm start takes them)', async () => {
    const runtime = await start(saslSslListener(), {
      KAFKA_AUTH: 'scram-sha-512',
      KAFKA_SSL: 'true',
      KAFKA_USERNAME: testSecurity().user,
      KAFKA_PASSWORD: testSecurity().password,
      KAFKA_CA_FILE: testSecurity().caPath,
    });
    runtimes.push(runtime);
    expect(runtime.readyLine).toContain(`kafka=${saslSslListener()} `);
    expect(await roundTrip(runtime, 'secure-sasl-1')).toEqual({ M: { over: { S: 'secure-sasl-1' } } });
  });

  it('runs end to end over SSL with a client certificate (KAFKA_AUTH=mtls)', async () => {
    const runtime = await start(sslListener(), {
      KAFKA_AUTH: 'mtls',
      KAFKA_CLIENT_CERT_FILE: testSecurity().client.certPath,
      KAFKA_CLIENT_KEY_FILE: testSecurity().client.keyPath,
      KAFKA_CA_FILE: testSecurity().caPath,
    });
    runtimes.push(runtime);
    expect(await roundTrip(runtime, 'secure-mtls-1')).toEqual({ M: { over: { S: 'secure-mtls-1' } } });
  });

  it('does not start with a wrong password, naming the settings to check', async () => {
    const error = await start(saslSslListener(), {
      KAFKA_AUTH: 'scram-sha-512',
      KAFKA_SSL: 'true',
      KAFKA_USERNAME: testSecurity().user,
      KAFKA_PASSWORD: 'not-the-password',
      KAFKA_CA_FILE: testSecurity().caPath,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KafkaAccessError);
    expect((error as Error).message).toBe(
      'Kafka refused the credentials (wrong password, unknown user or refused token); check KAFKA_USERNAME and KAFKA_PASSWORD',
    );
  });
});
