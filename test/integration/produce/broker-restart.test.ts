import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTopics } from '../../../local/kafka/admin';
import { startKafkaBroker, type KafkaBroker } from '../../../local/kafka-broker';
import { freePort } from '../../../local/ports';
import { silentLogger } from '../../../lib/logger';
import { createProduceRuntime, type ProduceRuntime } from '../../../lib/produce';
import { createTestTables, testConfig } from '../../helpers/infra';
import { produceEvent } from '../../helpers/http-events';
import { heldToOpenApi } from '../../helpers/openapi';

describe('produce while its broker stops and comes back', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'produce-restart-'));
  let ports: { port: number; controllerPort: number };
  let broker: KafkaBroker | undefined;
  let runtime: ProduceRuntime;
  const topic = 'restart';

  const start = async (): Promise<KafkaBroker> => startKafkaBroker({ ...ports, logger: silentLogger, dataDir, defaultPartitions: 1 });

  beforeAll(async () => {
    ports = { port: await freePort(), controllerPort: await freePort() };
    broker = await start();
    await ensureTopics(new Kafka({ clientId: 'test', brokers: broker.brokers, logLevel: logLevel.NOTHING }), [{ topic, numPartitions: 1 }]);
    const config = testConfig({ KAFKA_BROKERS: broker.brokers.join(','), PRODUCE_TIMEOUT_MS: '2000' });
    await createTestTables(config);
    runtime = heldToOpenApi(createProduceRuntime(config, { logger: silentLogger }));
  });
  afterAll(async () => {
    await runtime?.close();
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 or 504 (never 200) while the broker is down, and 200 through the same runtime once it is back', async () => {
    const before = await runtime.handler(produceEvent(topic, { records: [{ value: 'before' }] }));
    expect(before.statusCode).toBe(200);
    expect(JSON.parse(before.body as string).offsets).toEqual([{ partition: 0, offset: 0, error_code: null, error: null }]);

    await broker?.stop();
    broker = undefined;
    const down = await runtime.handler(produceEvent(topic, { records: [{ value: 'while down' }] }));
    expect([503, 504]).toContain(down.statusCode);
    expect(JSON.parse(down.body as string)).toMatchObject({ error_code: down.statusCode === 503 ? 50301 : 50401 });

    broker = await start();
    const after = await runtime.handler(produceEvent(topic, { records: [{ value: 'after' }] }));
    expect(after.statusCode).toBe(200);
    expect(JSON.parse(after.body as string).offsets).toEqual([{ partition: 0, offset: 1, error_code: null, error: null }]);
  });
});
