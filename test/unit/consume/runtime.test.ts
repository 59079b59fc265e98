/**
 * createConsumeRuntime, the wiring of functions/consume.ts and the local runtime: each option
 * reaches the handler it builds.
 */
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { createConsumeRuntime, type ConsumedRecord, type RecordFailure, type RecordProcessor } from '../../../lib/consume';
import { IdempotencyStatus } from '../../../lib/idempotency/types';
import type { Logger } from '../../../lib/logger';
import type { MetricsRecorder } from '../../../lib/observability/metrics';
import { kafkaEvent, recordRange } from '../../helpers/kafka-events';
import { FakeClock, FakeStore } from './fake-store';
import { manualEvery } from './manual-every';

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1', CONSUME_LEASE_MS: '30000' });

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const applies: RecordProcessor = { process: async () => {} };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createConsumeRuntime', () => {
  it('keys records under the given scope, and under the function name by default', async () => {
    for (const [scope, prefix] of [
      ['my-scope', 'consume:my-scope:'],
      [undefined, 'consume:serverless-kafka-local:'],
    ] as const) {
      const store = new FakeStore();
      const runtime = createConsumeRuntime(config, { store, processor: applies, logger: quiet, ...(scope === undefined ? {} : { scope }) });
      await runtime.handler(kafkaEvent([{ offset: 0 }]));
      await runtime.close();
      expect([...store.items.keys()].every((key) => key.startsWith(prefix))).toBe(true);
      expect(store.items.size).toBe(1);
    }
  });

  it('logs through the given logger and counts into the given metrics recorder', async () => {
    const messages: string[] = [];
    const logger: Logger = { ...quiet, info: (message) => messages.push(message) };
    const counts: string[] = [];
    const metrics: MetricsRecorder = { count: (name) => counts.push(name), durationMs: () => {}, flush: () => {} };
    const runtime = createConsumeRuntime(config, { store: new FakeStore(), processor: applies, logger, metrics });
    await runtime.handler(kafkaEvent([{ offset: 0 }]));
    expect(messages).toEqual(['consume batch']);
    expect(counts).toContain('RecordsProcessed');
  });

  it('tells onRecordFailed of each record reported failed', async () => {
    const failures: RecordFailure[] = [];
    const processor: RecordProcessor = {
      process: async (record: ConsumedRecord) => {
        if (record.offset === 1) throw new Error('refused');
      },
    };
    const runtime = createConsumeRuntime(config, { store: new FakeStore(), processor, logger: quiet, onRecordFailed: (failure) => failures.push(failure) });
    await runtime.handler(kafkaEvent(recordRange(0, 0, 2)));
    expect(failures).toEqual([{ topic: 'orders', partition: 0, offset: 1, reason: 'processor failed' }]);
  });

  it('schedules claim renewals with the given scheduler, every third of the lease', async () => {
    const manual = manualEvery();
    const runtime = createConsumeRuntime(config, { store: new FakeStore(), processor: applies, logger: quiet, every: manual.every });
    await runtime.handler(kafkaEvent([{ offset: 0 }]));
    expect(manual.intervalsMs()).toEqual([10_000]);
  });

  it('waits for a held key with the given sleep and clock', async () => {
    const clock = new FakeClock();
    const store = new FakeStore();
    store.items.set('consume:scope:orders-0-0', {
      key: 'consume:scope:orders-0-0',
      status: IdempotencyStatus.InProgress,
      owner: 'another',
      leaseExpiresAtMs: clock.nowMs() + 1_000,
      expiresAtEpochSec: 4_000_000_000,
    });
    const sleptMs: number[] = [];
    const sleep = async (ms: number) => {
      sleptMs.push(ms);
      clock.nowValueMs += ms;
    };
    const runtime = createConsumeRuntime(config, { store, clock, sleep, scope: 'scope', processor: applies, logger: quiet });
    expect(await runtime.handler(kafkaEvent([{ offset: 0 }]), { getRemainingTimeInMillis: () => 60_000 })).toEqual({ batchItemFailures: [] });
    expect(sleptMs.length).toBeGreaterThan(0);
  });

  it('processes at most partitionConcurrency partitions at once', async () => {
    let running = 0;
    let peak = 0;
    const processor: RecordProcessor = {
      async process() {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
      },
    };
    const runtime = createConsumeRuntime(config, { store: new FakeStore(), processor, logger: quiet, partitionConcurrency: 1 });
    await runtime.handler(kafkaEvent([0, 1, 2].flatMap((partition) => recordRange(partition, 0, 1))));
    expect(peak).toBe(1);
  });

  it('issues no more claims ahead of the record in hand than claimsAhead', async () => {
    const store = new FakeStore();
    const claimsAtFirstEffect: number[] = [];
    const processor: RecordProcessor = {
      async process() {
        claimsAtFirstEffect.push(store.requests.claim);
      },
    };
    const runtime = createConsumeRuntime(config, { store, processor, logger: quiet, claimsAhead: 1 });
    await runtime.handler(kafkaEvent(recordRange(0, 0, 40)));
    // The first run's 25 claims, and one ahead of it (by default, 25 ahead: all 40).
    expect(claimsAtFirstEffect[0]).toBe(26);
  });

  it('closes the DynamoDB client it created', async () => {
    const destroy = vi.spyOn(DynamoDBClient.prototype, 'destroy');
    const runtime = createConsumeRuntime(config, { store: new FakeStore(), processor: applies, logger: quiet });
    await runtime.close();
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('writes each message to the messages table by default, expiring after MESSAGES_TTL_DAYS', async () => {
    const dynamo = mockClient(DynamoDBClient);
    try {
      dynamo.on(BatchWriteItemCommand).resolves({});
      const clock = new FakeClock();
      const withTtl = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1', MESSAGES_TTL_DAYS: '2' });
      const runtime = createConsumeRuntime(withTtl, { store: new FakeStore(), clock, logger: quiet });
      expect(await runtime.handler(kafkaEvent([{ offset: 0 }]))).toEqual({ batchItemFailures: [] });
      const writes = dynamo.commandCalls(BatchWriteItemCommand).flatMap((call) => Object.values(call.args[0].input.RequestItems ?? {}).flat());
      expect(writes.map((write) => write.PutRequest?.Item?.expiresAtEpochSec)).toEqual([{ N: String(Math.floor(clock.nowMs() / 1000) + 2 * 86_400) }]);
    } finally {
      dynamo.restore();
    }
  });
});
