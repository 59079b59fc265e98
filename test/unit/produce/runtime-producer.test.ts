/** createProduceRuntime's default Kafka producer: built with the function's logger, clock and produce timeout. */
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../lib/config';
import type { Logger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { FakeClock } from '../../helpers/fake-clock';
import { fakeProducer } from './fakes';

const built = vi.hoisted(() => ({ options: [] as unknown[] }));

vi.mock('../../../lib/kafka/producer', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../lib/kafka/producer')>();
  return {
    ...actual,
    createKafkaRecordProducer: (_kafka: unknown, options: unknown) => {
      built.options.push(options);
      return fakeProducer({ send: () => ({ partitions: [0], acks: [{ partition: 0, baseOffset: 1n }] }) });
    },
  };
});

describe('createProduceRuntime: the default Kafka producer', () => {
  it('is built with the runtime logger, its clock and PRODUCE_TIMEOUT_MS', async () => {
    const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1', PRODUCE_TIMEOUT_MS: '2500' });
    const lines: string[] = [];
    const logger: Logger = { debug: () => {}, info: () => {}, warn: (message) => lines.push(message), error: () => {} };
    const clock = new FakeClock();
    const runtime = createProduceRuntime(config, { logger, clock });
    await runtime.close();
    expect(built.options).toEqual([{ logger: expect.anything(), clock, timeoutMs: 2500 }]);
    const [options] = built.options as { logger: Logger }[];
    options?.logger.warn('from the producer');
    expect(lines).toEqual(['from the producer']);
  });
});
