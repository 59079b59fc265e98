/** The produce service with a fake producer, the in-memory store and a hand-moved clock. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config';
import {
  IdempotencyKeyMismatchError,
  KafkaUnavailableError,
  PartitionNotFoundError,
  ProduceTimeoutError,
  SchemaRegistryUnavailableError,
} from '../../../lib/errors';
import type { RecordProducer, SendOutcome } from '../../../lib/kafka/producer';
import { silentLogger } from '../../../lib/logger';
import type { MetricsRecorder } from '../../../lib/observability/metrics';
import { ProduceIdempotency } from '../../../lib/produce/idempotency';
import type { RecordSlot } from '../../../lib/produce/command';
import { ProduceService } from '../../../lib/produce/service';
import { readV2TopicRequest } from '../../../lib/produce/v2-request';
import { readV3RecordsRequest } from '../../../lib/produce/v3-request';
import type { SchemaRegistry } from '../../../lib/schema/registry-client';
import { Schemas } from '../../../lib/schema/schemas';
import { FakeClock } from '../../helpers/fake-clock';
import { memoryRegistry } from '../../helpers/memory-registry';
import { TEST_CALLER_KEYS } from '../../helpers/caller-keys';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store';

const settings = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', PRODUCE_TIMEOUT_MS: '5000' }).produce;

/** A service whose producer answers `partitions()` partitions and `sendOutcome`, after moving the clock by `partitionMs` and `sendMs`. */
function setup(
  producer: Partial<RecordProducer> & { partitions?: () => number; partitionMs?: number; sendMs?: number; sendOutcome?: (records: number) => SendOutcome },
  produceSettings = settings,
) {
  const clock = new FakeClock();
  const store = new MemoryIdempotencyStore();
  const partitionCalls: { timeoutMs: number; refresh?: boolean }[] = [];
  const sendCalls: { records: number; timeoutMs: number }[] = [];
  const counts: [string, number][] = [];
  const durations: [string, number][] = [];
  const metrics: MetricsRecorder = {
    count: (name, value) => counts.push([name, value]),
    durationMs: (name, ms) => durations.push([name, ms]),
    flush: () => {},
  };
  const service = new ProduceService({
    settings: produceSettings,
    clock,
    logger: silentLogger,
    metrics,
    newMessageId: () => 'fresh',
    callerKeys: TEST_CALLER_KEYS,
    rateLimiter: { check: async () => undefined },
    idempotency: new ProduceIdempotency({ store, clock, ttlSeconds: 86_400, leaseMs: 30_000, newOwner: () => 'owner' }),
    producer: {
      partitionCount: async (_topic, options) => {
        partitionCalls.push(options);
        clock.nowValueMs += producer.partitionMs ?? 0;
        return producer.partitions?.() ?? 1;
      },
      send: async (_topic, records, options) => {
        sendCalls.push({ records: records.length, timeoutMs: options.timeoutMs });
        clock.nowValueMs += producer.sendMs ?? 0;
        return producer.sendOutcome?.(records.length) ?? { partitions: records.map(() => 0), acks: [{ partition: 0, baseOffset: 10n }] };
      },
      close: async () => undefined,
      ...producer,
    },
  });
  const command = (records: unknown[], idempotencyKey?: string) =>
    readV2TopicRequest(
      {
        route: { method: 'POST', path: '/topics/{topic}', operation: 'produceToTopic', api: 'v2' },
        params: { topic: 'orders' },
        contentType: 'application/json',
        idempotencyKey,
        body: Buffer.from(JSON.stringify({ records })),
        authorizer: undefined,
        baseUrl: 'https://api.example.com',
      },
      settings,
    );
  const produce = (records: unknown[], idempotencyKey?: string) => service.produce(command(records, idempotencyKey));
  const produceV3 = (body: string, options: { idempotencyKey?: string; schemas?: Schemas } = {}) =>
    service.produce(
      readV3RecordsRequest(
        {
          route: { method: 'POST', path: '/v3/clusters/{cluster_id}/topics/{topic_name}/records', operation: 'produceRecords', api: 'v3' },
          params: { cluster_id: 'c-1', topic_name: 'orders' },
          contentType: 'application/json',
          idempotencyKey: options.idempotencyKey,
          body: Buffer.from(body),
          authorizer: undefined,
          baseUrl: 'https://api.example.com',
        },
        {
          limits: settings,
          clusterId: async () => 'c-1',
          nowMs: () => clock.nowMs(),
          ...(options.schemas === undefined ? {} : { schemas: async () => options.schemas as Schemas }),
        },
      ),
    );
  return { store, clock, service, command, produce, produceV3, partitionCalls, sendCalls, counts, durations };
}

describe('ProduceService', () => {
  it('asks for the partition count within the timeout, and refreshes it only for a partition past the cached count', async () => {
    const counts = [2, 2, 3];
    const parts = setup({ partitions: () => counts.shift() ?? 3 });
    expect((await parts.produce([{ value: 1, partition: 1 }])).statusCode).toBe(200);
    expect(parts.partitionCalls).toEqual([{ timeoutMs: 5_000 }]);
    expect((await parts.produce([{ value: 1 }, { value: 1, partition: 2 }])).statusCode).toBe(200);
    expect(parts.partitionCalls).toEqual([{ timeoutMs: 5_000 }, { timeoutMs: 5_000 }, { timeoutMs: 5_000, refresh: true }]);
  });

  it('asks for no partition count when no record names a partition', async () => {
    const parts = setup({});
    expect((await parts.produce([{ value: 1 }, { value: 2 }])).statusCode).toBe(200);
    expect(parts.partitionCalls).toEqual([]);
  });

  it('answers 404 naming the first record whose partition the topic does not have, even after a refresh', async () => {
    const { produce } = setup({ partitionCount: async () => 3 });
    await expect(
      produce([
        { value: 1, partition: 0 },
        { value: 1, partition: 3 },
        { value: 1, partition: 9 },
      ]),
    ).rejects.toThrow(new PartitionNotFoundError('records[1].partition: partition 3 does not exist; topic "orders" has 3'));
  });

  it('on v3, checks the named partitions once, and the send gets what that check left of the one budget', async () => {
    const slow = setup({ partitionMs: 1_500 });
    const answer = await slow.produceV3('{"partition_id": 0, "value": {"type": "STRING", "data": "x"}}');
    expect(answer.statusCode).toBe(200);
    expect(slow.partitionCalls).toEqual([{ timeoutMs: 5_000 }]);
    expect(slow.sendCalls).toEqual([{ records: 1, timeoutMs: 3_500 }]);
  });

  it('gives the producer what is left of the timeout, and answers 504 once none is left', async () => {
    // An explicit partition makes the service look the partition count up first.
    const slow = setup({ partitionMs: 1_500 });
    await slow.produce([{ value: 1, partition: 0 }]);
    expect(slow.sendCalls).toEqual([{ records: 1, timeoutMs: 3_500 }]);

    const late = setup({ partitionMs: 5_000 });
    await expect(late.produce([{ value: 1, partition: 0 }])).rejects.toThrow(new ProduceTimeoutError('no acknowledgement within 5000 ms'));
    expect(late.sendCalls).toEqual([]);
  });

  it('starts the one budget before the schema registry: the send gets what the encoding left of it', async () => {
    const parts = setup({});
    const slowRegistry = {
      ...parts.command([{ value: 1 }], 'key-1'),
      encode: async (slots: RecordSlot[]) => {
        parts.clock.nowValueMs += 4_000;
        return slots;
      },
    };
    expect((await parts.service.produce(slowRegistry)).statusCode).toBe(200);
    expect(parts.sendCalls).toEqual([{ records: 1, timeoutMs: 1_000 }]);
  });

  it("starts the budget before the claim, so the claim's lease, counted from the claim, outlasts it", async () => {
    const parts = setup({});
    const claim = parts.store.claim.bind(parts.store);
    parts.store.claim = async (...args) => {
      parts.clock.nowValueMs += 2_000;
      return claim(...args);
    };
    expect((await parts.produce([{ value: 1 }], 'key-1')).statusCode).toBe(200);
    expect(parts.sendCalls).toEqual([{ records: 1, timeoutMs: 3_000 }]);
  });

  it('ends a registry call with the budget: 503 as when the registry is away, nothing sent, the key given up', async () => {
    const parts = setup({}, loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', PRODUCE_TIMEOUT_MS: '100' }).produce);
    const hangingRegistry = {
      ...parts.command([{ value: 1 }], 'key-1'),
      // A registry that never answers: its calls would outlast the key's lease.
      encode: (slots: RecordSlot[]) => new Promise<RecordSlot[]>(() => slots),
    };
    await expect(parts.service.produce(hangingRegistry)).rejects.toThrow(SchemaRegistryUnavailableError);
    expect(parts.sendCalls).toEqual([]);
    // Given up (its lease ended), so the client's retry takes the key at once.
    expect([...parts.store.items.values()]).toEqual([expect.objectContaining({ status: 'IN_PROGRESS', leaseExpiresAtMs: 0 })]);
  });

  it('on v3, asks the registry nothing before the claim: a key used for another body is refused without a registry call', async () => {
    const parts = setup({});
    expect((await parts.produceV3('{"value": {"type": "STRING", "data": "x"}}', { idempotencyKey: 'key-1' })).statusCode).toBe(200);
    const registry = memoryRegistry();
    registry.put(1, 'AVRO', '"string"', 'orders-value');
    await expect(parts.produceV3('{"value": {"schema_id": 1, "data": "x"}}', { idempotencyKey: 'key-1', schemas: new Schemas(registry) })).rejects.toThrow(
      IdempotencyKeyMismatchError,
    );
    expect(registry.calls).toEqual([]);
    expect(parts.sendCalls).toHaveLength(1);
  });

  it('on v3, ends a registry that does not answer with the one budget: 503, nothing sent, the key given up', async () => {
    const parts = setup({}, loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', PRODUCE_TIMEOUT_MS: '100' }).produce);
    // A registry that never answers any question.
    const registry = Object.fromEntries(Object.keys(memoryRegistry()).map((name) => [name, () => new Promise(() => undefined)])) as unknown as SchemaRegistry;
    await expect(parts.produceV3('{"value": {"schema_id": 1, "data": "x"}}', { idempotencyKey: 'key-1', schemas: new Schemas(registry) })).rejects.toThrow(
      SchemaRegistryUnavailableError,
    );
    expect(parts.sendCalls).toEqual([]);
    expect([...parts.store.items.values()]).toEqual([expect.objectContaining({ status: 'IN_PROGRESS', leaseExpiresAtMs: 0 })]);
  });

  it('on v3, asks the registry nothing more once the budget is spent: the records after the one in hand are not encoded', async () => {
    const parts = setup({}, loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', PRODUCE_TIMEOUT_MS: '100' }).produce);
    const inner = memoryRegistry();
    inner.put(1, 'AVRO', '"string"', 'orders-value');
    inner.put(2, 'AVRO', '"int"', 'orders-value');
    // Every answer waits until the gate opens, after the request was answered.
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const registry = {
      ...inner,
      versionUnderSubject: async (subject: string, id: number) => {
        await gate;
        return inner.versionUnderSubject(subject, id);
      },
    } as SchemaRegistry;
    await expect(
      parts.produceV3('{"value": {"schema_id": 1, "data": "x"}} {"value": {"schema_id": 2, "data": 5}}', {
        idempotencyKey: 'key-1',
        schemas: new Schemas(registry),
      }),
    ).rejects.toThrow(SchemaRegistryUnavailableError);
    open();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The first record's schema was asked for; the second record's never is.
    expect(inner.calls).toEqual(['under orders-value 1', 'version under orders-value 1']);
    expect(parts.sendCalls).toEqual([]);
  });

  it('counts only the records acknowledged, and how long the acknowledgement took', async () => {
    const parts = setup({ partitions: () => 2, sendMs: 40, sendOutcome: () => ({ partitions: [0, 1, 0], acks: [{ partition: 0, baseOffset: 7n }] }) });
    expect((await parts.produce([{ value: 1 }, { value: 2 }, { value: 3 }])).statusCode).toBe(503);
    expect(parts.counts).toEqual([['RecordsProduced', 2]]);
    expect(parts.durations).toEqual([['AckWait', 40]]);
  });

  it('sends every request without an Idempotency-Key, never replaying one', async () => {
    const { produce, sendCalls, store } = setup({});
    await produce([{ value: 1 }]);
    await produce([{ value: 1 }]);
    expect(sendCalls).toHaveLength(2);
    expect(store.items.size).toBe(0);
  });

  it('gives the key up and rethrows when sending fails, also when giving it up fails', async () => {
    const unavailable = new KafkaUnavailableError('broker down');
    const parts = setup({
      send: async () => {
        throw unavailable;
      },
    });
    await expect(parts.produce([{ value: 1 }], 'key-1')).rejects.toBe(unavailable);
    expect([...parts.store.items.values()]).toEqual([expect.objectContaining({ status: 'IN_PROGRESS', leaseExpiresAtMs: 0 })]);

    const failing = setup({
      send: async () => {
        throw unavailable;
      },
    });
    failing.store.abandonMany = async () => {
      throw new Error('store down');
    };
    await expect(failing.produce([{ value: 1 }], 'key-1')).rejects.toBe(unavailable);
  });
});
