/**
 * A SCRAM password rotated while the produce function runs: the broker's user gets a new
 * password (Kafka's own kafka-configs tool, the AlterUserScramCredentials API) and the secret
 * is updated. Connections already authenticated keep working; the next new connection is
 * refused with the cached password, reads the secret again once, and succeeds, without a
 * redeploy or a cold start. The event-source emulator's consumer, started after a rotation,
 * does the same.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/logger';
import { createProduceRuntime, type ProduceRuntime } from '../../../lib/produce';
import { ensureKafkaJars } from '../../../local/kafka-broker';
import { createPartitionConsumer } from '../../../local/kafka/consumer';
import { setScramPassword } from '../../../local/kafka-security';
import { produceEvent } from '../../helpers/http-events';
import { testConfig, uniqueName } from '../../helpers/infra';
import { createSecureTestTopic, mockedSecretsPerTest, plaintextListener, scramOverTlsEnv, scramSecret, secretArn } from '../../helpers/secure-kafka';

const mocked = mockedSecretsPerTest();

describe('SCRAM secret rotation', () => {
  it('picks up a password changed on the broker and in the secret after one refused connection', { timeout: 90_000 }, async () => {
    const libs = ensureKafkaJars(createLogger('silent'));
    const user = uniqueName('rotating');
    const [before, after] = [randomBytes(12).toString('hex'), randomBytes(12).toString('hex')];
    setScramPassword(libs, plaintextListener(), user, before);
    const topic = await createSecureTestTopic('rotation');
    const arn = secretArn('AmazonMSK_rotating');
    mocked().secrets.set(arn, scramSecret(user, before));
    const config = testConfig(scramOverTlsEnv(arn));
    const lines: string[] = [];
    const logger = createLogger('debug', (line) => lines.push(line));
    const produce = async (runtime: ProduceRuntime, n: number): Promise<number | undefined> =>
      (await runtime.handler(produceEvent(topic, { records: [{ value: { n } }] }))).statusCode;

    const warm = createProduceRuntime(config, { logger });
    expect(await produce(warm, 1)).toBe(200);
    expect(mocked().reads(arn)).toBe(1);

    setScramPassword(libs, plaintextListener(), user, after);
    mocked().secrets.set(arn, scramSecret(user, after));
    // SCRAM authenticates a connection once, when it opens: the open one goes on.
    expect(await produce(warm, 2)).toBe(200);
    expect(mocked().reads(arn)).toBe(1);
    await warm.close();

    // A new connection in the same container (its secret cache kept), as after an idle disconnect.
    const reconnecting = createProduceRuntime(config, { logger });
    expect(await produce(reconnecting, 3)).toBe(200);
    await reconnecting.close();
    expect(mocked().reads(arn)).toBe(2);
    expect(lines.filter((line) => line.includes('reading the secret again'))).toHaveLength(1);
    const log = lines.join('\n');
    expect(log).not.toContain(before);
    expect(log).not.toContain(after);
  });

  it('starts the emulator consumer after a rotation by reading the secret again once', async () => {
    const libs = ensureKafkaJars(createLogger('silent'));
    const user = uniqueName('rotating-consumer');
    const [before, after] = [randomBytes(12).toString('hex'), randomBytes(12).toString('hex')];
    setScramPassword(libs, plaintextListener(), user, before);
    const topic = await createSecureTestTopic('rotation-consume');
    const arn = secretArn('AmazonMSK_rotating-consumer');
    mocked().secrets.set(arn, scramSecret(user, before));
    const config = testConfig(scramOverTlsEnv(arn));
    const lines: string[] = [];
    const consumer = () =>
      createPartitionConsumer(config.kafka, {
        groupId: uniqueName('rotation-group'),
        topic,
        fromBeginning: true,
        maxWaitTimeMs: 100,
        partitionsConcurrently: 1,
        logger: createLogger('debug', (line) => lines.push(line)),
      });

    const first = consumer();
    await first.start(async () => undefined);
    await first.stop();
    expect(mocked().reads(arn)).toBe(1);

    setScramPassword(libs, plaintextListener(), user, after);
    mocked().secrets.set(arn, scramSecret(user, after));
    const second = consumer();
    await second.start(async () => undefined);
    await second.stop();
    expect(mocked().reads(arn)).toBe(2);
    expect(lines.filter((line) => line.includes('reading the secret again'))).toHaveLength(1);
    expect(lines.join('\n')).not.toContain(after);
  });
});
