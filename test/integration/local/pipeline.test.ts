/**
 * The whole local pipeline, end to end on the real broker and store: HTTP in, the produce
 * function, Kafka, the event-source emulator, the consume function, the sink table.
 * The business step is the real one, wrapped to count what it is asked to do and applies.
 */
import { readFailureMessage } from '../../../local/emulator/failure-record';
import { afterEach, describe, expect, it } from 'vitest';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { systemClock } from '../../../lib/clock';
import { createMessagesProcessor } from '../../../lib/consume/messages-processor';
import type { RecordProcessor } from '../../../lib/consume/processor';
import { DynamoMessagesTable } from '../../../lib/dynamo/messages-table';
import { inspectTopic } from '../../../local/inspect';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../../local/runtime';
import { silentLogger } from '../../../lib/logger';
import { createProduceRuntime } from '../../../lib/produce';
import { digestInHeader } from '../../helpers/caller-keys';
import { asCaller, b64, iamAuthorizer, produceEvent } from '../../helpers/http-events';
import { readBack } from '../produce/read-back';
import { testConfig, testBrokers, testDynamo, testDynamoEndpoint, testKafka, testSchemaRegistryUrl, uniqueName, waitFor } from '../../helpers/infra';

const runtimes: LocalRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop()));
});

/** One test's world: unique topics, group and tables, and counts of the business step. */
interface World {
  topic: string;
  onFailureTopic: string;
  groupId: string;
  tables: { idempotency: string; messages: string };
  /** Calls of the business step per message id, and how many of them succeeded. */
  calls: Map<string, number>;
  applied: Map<string, number>;
  /**
   * Makes the business step wait, once `count` messages were applied, until `release()`;
   * `reached` resolves when the first call waits. Lets a test stop the runtime mid-batch.
   */
  holdAfter(count: number): { reached: Promise<void>; release(): void };
  start(overrides?: Partial<LocalRuntimeOptions>): Promise<LocalRuntime>;
}

function world(eventSource: { maximumRetryAttempts?: number; batchSize?: number } = {}): World {
  const tables = { idempotency: uniqueName('idempotency'), messages: uniqueName('messages') };
  const calls = new Map<string, number>();
  const applied = new Map<string, number>();
  let hold: { count: number; gate: Promise<void>; reached: () => void } | undefined;
  const real = createMessagesProcessor(new DynamoMessagesTable(testDynamo(), tables.messages), systemClock);
  const counting: RecordProcessor = {
    async process(record, context) {
      calls.set(context.messageId, (calls.get(context.messageId) ?? 0) + 1);
      if (hold !== undefined && applied.size >= hold.count) {
        hold.reached();
        await hold.gate;
      }
      await real.process(record, context);
      applied.set(context.messageId, (applied.get(context.messageId) ?? 0) + 1);
    },
  };
  const self: World = {
    topic: uniqueName('events'),
    onFailureTopic: uniqueName('events-dlq'),
    groupId: uniqueName('consume-function'),
    tables,
    calls,
    applied,
    holdAfter(count) {
      let release: () => void = () => undefined;
      let reached: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const reachedPromise = new Promise<void>((resolve) => {
        reached = resolve;
      });
      hold = { count, gate, reached };
      return {
        reached: reachedPromise,
        release: () => {
          hold = undefined;
          release();
        },
      };
    },
    async start(overrides = {}) {
      const runtime = await startLocalRuntime({
        external: { kafkaBrokers: testBrokers(), dynamoEndpoint: testDynamoEndpoint(), schemaRegistryUrl: testSchemaRegistryUrl() },
        env: { IDEMPOTENCY_TABLE: tables.idempotency, MESSAGES_TABLE: tables.messages, PORT: '0', ALLOWED_TOPICS: '*' },
        eventSource: { topic: self.topic, onFailureTopic: self.onFailureTopic, consumerGroupId: self.groupId, ...eventSource },
        batchingWindowMs: 20,
        retryBackoff: { initialMs: 20, maxMs: 100 },
        logger: silentLogger,
        processor: counting,
        ...overrides,
      });
      runtimes.push(runtime);
      return runtime;
    },
  };
  return self;
}

interface SinkItem {
  messageId: string;
  callerId?: string;
  topic: string;
  partition: number;
  offset: number;
  key?: string;
  value: { key?: string; seq?: number; n?: number };
  processedAt: string;
}

async function scanSink(table: string): Promise<SinkItem[]> {
  const client = testDynamo();
  const items: SinkItem[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }));
    for (const item of page.Items ?? []) items.push(unmarshall(item) as SinkItem);
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

async function post(runtime: LocalRuntime, topic: string, records: unknown[]): Promise<void> {
  const response = await fetch(`${runtime.httpUrl}/topics/${topic}`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
    body: JSON.stringify({ records }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  await response.arrayBuffer();
}

/**
 * Posts `perKey` messages for each of `keys` keys, in `workers` concurrent streams; each
 * stream owns its keys and sends them in order, one request at a time.
 */
async function postKeyed(runtime: LocalRuntime, topic: string, options: { keys: number; perKey: number; workers: number; firstSeq?: number }): Promise<void> {
  const firstSeq = options.firstSeq ?? 0;
  await Promise.all(
    Array.from({ length: options.workers }, async (_, worker) => {
      const keys = Array.from({ length: options.keys }, (__, index) => `key-${String(index).padStart(2, '0')}`).filter(
        (__, index) => index % options.workers === worker,
      );
      for (let seq = firstSeq; seq < firstSeq + options.perKey; seq += 1) {
        await post(
          runtime,
          topic,
          keys.map((key) => ({ key, value: { key, seq } })),
        );
      }
    }),
  );
}

async function committed(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (entry?.partitions ?? []).map(({ partition, offset }) => ({ partition, offset })).sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** Checks that, for every key, sequence order equals offset order and processing order. */
function expectPerKeyOrder(items: SinkItem[]): void {
  const byKey = new Map<string, SinkItem[]>();
  for (const item of items) byKey.set(item.value.key as string, [...(byKey.get(item.value.key as string) ?? []), item]);
  for (const [key, list] of byKey) {
    const bySeq = [...list].sort((a, b) => (a.value.seq as number) - (b.value.seq as number));
    expect(new Set(bySeq.map((item) => item.partition)).size, `${key} stays on one partition`).toBe(1);
    for (let index = 1; index < bySeq.length; index += 1) {
      const before = bySeq[index - 1] as SinkItem;
      const after = bySeq[index] as SinkItem;
      expect(after.offset, `${key} seq ${after.value.seq} comes after seq ${before.value.seq} in the log`).toBeGreaterThan(before.offset);
      expect(Date.parse(after.processedAt), `${key} seq ${after.value.seq} is processed after seq ${before.value.seq}`).toBeGreaterThanOrEqual(
        Date.parse(before.processedAt),
      );
    }
  }
}

describe('local pipeline', () => {
  it('takes 1,000 messages over HTTP across keys and partitions into the sink exactly once each, in order per key', { timeout: 120_000 }, async () => {
    const w = world();
    const runtime = await w.start();

    await postKeyed(runtime, w.topic, { keys: 20, perKey: 50, workers: 10 });
    const items = await waitFor(
      '1,000 sink items',
      async () => {
        const found = await scanSink(w.tables.messages);
        return found.length >= 1_000 ? found : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    // The last sink write is visible a moment before its processor call returns and is counted.
    await waitFor('the last processor calls to return', () => w.applied.size >= 1_000, { timeoutMs: 10_000 });

    expect(items).toHaveLength(1_000);
    expect(new Set(items.map((item) => `${item.value.key}/${item.value.seq}`)).size).toBe(1_000);
    expect(new Set(items.map((item) => item.partition))).toEqual(new Set([0, 1, 2]));
    expect([...w.applied.values()].every((count) => count === 1)).toBe(true);
    expect(w.applied.size).toBe(1_000);
    expectPerKeyOrder(items);
  });

  it('retries a non-JSON record the configured number of times, puts it on the dead-letter topic, and processes everything else', async () => {
    const w = world({ maximumRetryAttempts: 2 });
    await w.start();
    const producer = testKafka().producer();
    await producer.connect();
    // As a foreign client would: straight to the topic, not through the HTTP API.
    await producer.send({
      topic: w.topic,
      acks: -1,
      messages: [
        { partition: 1, value: '{"n":1}', headers: { 'message-id': 'before' } },
        { partition: 1, key: 'poison-key', value: 'this is not JSON', headers: { 'message-id': 'poison' } },
        { partition: 1, value: '{"n":2}', headers: { 'message-id': 'after' } },
        { partition: 0, value: '{"n":3}', headers: { 'message-id': 'other-0' } },
        { partition: 2, value: '{"n":4}', headers: { 'message-id': 'other-2' } },
      ],
    });
    await producer.disconnect();

    const dead = await readOne(w.onFailureTopic);
    const items = await waitFor('4 sink items', async () => {
      const found = await scanSink(w.tables.messages);
      return found.length >= 4 ? found : undefined;
    });

    expect(items.map((item) => item.value.n).sort()).toEqual([1, 2, 3, 4]);
    // The first attempt and 2 retries.
    expect(w.calls.get('poison')).toBe(3);
    expect(w.applied.get('poison')).toBeUndefined();
    expect(dead).toMatchObject({
      key: 'poison-key',
      value: 'this is not JSON',
      headers: { 'message-id': 'poison' },
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
      source: { topic: w.topic, partition: 1, offset: 1 },
    });
    // The processor's own failure, as the consume function reported it.
    expect(dead.reason).toBe('processor failed');
    await waitFor('partition 1 committed past the poison record and the one after it', async () => (await committed(w.groupId, w.topic))[1]?.offset === '3');
  });

  it('processes records with non-ASCII and binary header bytes (sent signed, as AWS does), dead-lettering none', async () => {
    const w = world({ maximumRetryAttempts: 1 });
    const runtime = await w.start();
    await produceStraight(w.topic, [
      { partition: 0, value: '{"n":1}', headers: { 'message-id': 'commande-été-42', 'test-header': 'hello-ë' } },
      { partition: 1, value: '{"n":2}', headers: { 'message-id': 'Überweisung-ß-€', trace: Buffer.from([0x00, 0xff, 0x80, 0x7f]) } },
    ]);
    const items = await waitFor('2 sink items', async () => {
      const found = await scanSink(w.tables.messages);
      return found.length >= 2 ? found : undefined;
    });
    expect(items.map((item) => [item.messageId, item.value.n]).sort()).toEqual([
      ['commande-été-42', 1],
      ['Überweisung-ß-€', 2],
    ]);
    await waitFor('both committed', async () => {
      const offsets = await committed(w.groupId, w.topic);
      return offsets.find(({ partition }) => partition === 0)?.offset === '1' && offsets.find(({ partition }) => partition === 1)?.offset === '1';
    });
    expect(runtime.emulator.stats().deadLettered).toBe(0);
  });

  it('dead-letters a record that reuses a message id with another payload, with the reason, after its retries', async () => {
    const w = world({ maximumRetryAttempts: 2 });
    const runtime = await w.start();
    await produceStraight(w.topic, [{ partition: 0, key: 'k', value: '{"amount":5}', headers: { 'message-id': 'pay-1' } }]);
    await waitFor('the first payment in the sink', async () => (await scanSink(w.tables.messages)).length >= 1);
    await produceStraight(w.topic, [
      { partition: 0, key: 'k', value: '{"amount":500}', headers: { 'message-id': 'pay-1' } },
      { partition: 0, key: 'k', value: '{"amount":5}', headers: { 'message-id': 'pay-1' } },
      { partition: 0, value: '{"n":9}', headers: { 'message-id': 'after' } },
    ]);

    const dead = await readOne(w.onFailureTopic);
    expect(dead).toMatchObject({
      key: 'k',
      value: '{"amount":500}',
      headers: { 'message-id': 'pay-1' },
      reason: 'message id reused with a different payload',
      condition: 'RetryAttemptsExhausted',
      // The first attempt and 2 retries.
      approximateInvokeCount: 3,
      source: { partition: 0, offset: 1 },
    });
    const items = await waitFor('the record after it in the sink', async () => {
      const found = await scanSink(w.tables.messages);
      return found.length >= 2 ? found : undefined;
    });
    expect(items.map((item) => [item.messageId, item.offset]).sort()).toEqual([
      ['after', 3],
      ['pay-1', 0],
    ]);
    expect(w.applied.get('pay-1')).toBe(1);
    await waitFor('partition 0 committed past all four', async () => (await committed(w.groupId, w.topic))[0]?.offset === '4');
    expect(runtime.emulator.stats().deadLettered).toBe(1);
  });

  it('attributes no record written straight to the topic to the caller whose header it forges or copies', async () => {
    const w = world();
    const runtime = await w.start();
    const produce = createProduceRuntime(runtime.config, { logger: silentLogger });
    try {
      // The victim produces through the function, which stamps her caller header.
      const body = { records: [{ partition: 0, value: { from: 'alice' }, headers: [{ name: 'message-id', value: b64('order-1') }] }] };
      const response = await produce.handler(asCaller(produceEvent(w.topic, body), iamAuthorizer('arn:aws:iam::123456789012:user/alice', 'AIDAEXAMPLEALICE')));
      expect(response.statusCode, response.body).toBe(200);
    } finally {
      await produce.close();
    }
    // Anyone who can read and write the topic sees her header, and writes records of their own with it.
    const [victims] = await readBack(w.topic, 1);
    const aliceHeader = String(victims?.headers['x-caller-id']);
    // printf 'iam:AIDAEXAMPLEALICE' | sha256sum
    const alice = 'sha256:52bb9314aaed7ee64c42819cede4206be40e8de4baff18b4e4c0c730c4115196';
    expect(digestInHeader(aliceHeader)).toBe(alice);
    await produceStraight(w.topic, [
      // Her digest alone, as the header was before it carried a MAC.
      { partition: 1, value: '{"from":"mallory-1"}', headers: { 'message-id': 'order-9', 'x-caller-id': alice } },
      // Her whole header, copied onto another record.
      { partition: 2, value: '{"from":"mallory-2"}', headers: { 'message-id': 'order-2', 'x-caller-id': aliceHeader } },
      // Her header and her message id on another payload: to replace her message, or to have it refused as a reused id.
      { partition: 0, value: '{"from":"mallory-3"}', headers: { 'message-id': 'order-1', 'x-caller-id': aliceHeader } },
    ]);
    const items = await waitFor('4 sink items', async () => {
      const found = await scanSink(w.tables.messages);
      return found.length >= 4 ? found : undefined;
    });
    expect(items.map((item) => [item.messageId, item.callerId, (item.value as { from?: string }).from]).sort()).toEqual([
      // Only her own record is hers, and hers is untouched; every other one keeps its bare message id.
      ['caller:c2hhMjU2OjUyYmI5MzE0YWFlZDdlZTY0YzQyODE5Y2VkZTQyMDZiZTQwZThkZTRiYWZmMThiNGU0YzBjNzMwYzQxMTUxOTY:order-1', alice, 'alice'],
      ['order-1', undefined, 'mallory-3'],
      ['order-2', undefined, 'mallory-2'],
      ['order-9', undefined, 'mallory-1'],
    ]);
    expect(runtime.emulator.stats().deadLettered).toBe(0);
  });

  it("keeps two authenticated callers' messages with one message-id, sent through the produce function, as two sink items", async () => {
    const w = world();
    const runtime = await w.start();
    const produce = createProduceRuntime(runtime.config, { logger: silentLogger });
    try {
      for (const [arn, userId, from] of [
        ['arn:aws:sts::111122223333:assumed-role/alice/session', 'AROAEXAMPLEALICE:session', 'alice'],
        ['arn:aws:sts::444455556666:assumed-role/bob/session', 'AROAEXAMPLEBOB:session', 'bob'],
      ] as const) {
        const body = { records: [{ value: { from }, headers: [{ name: 'message-id', value: b64('order-7') }] }] };
        const response = await produce.handler(asCaller(produceEvent(w.topic, body), iamAuthorizer(arn, userId)));
        expect(response.statusCode, response.body).toBe(200);
      }
    } finally {
      await produce.close();
    }
    const items = await waitFor('2 sink items', async () => {
      const found = await scanSink(w.tables.messages);
      return found.length >= 2 ? found : undefined;
    });
    // Each caller is the SHA-256 digest of "iam:<role id>"; the sink's key carries it in base64url.
    expect(items.map((item) => [item.messageId, item.callerId, (item.value as { from?: string }).from]).sort()).toEqual([
      [
        'caller:c2hhMjU2Ojc2NzIyYjU2MTA5YzE4NzA3MjFjOTNjMGQ4MTRiYWI0NmM1ZjM2ZmQ0MDhlZjc3ZGQ4ZTM5YmY5NDllMTI2NWY:order-7',
        'sha256:76722b56109c1870721c93c0d814bab46c5f36fd408ef77dd8e39bf949e1265f',
        'alice',
      ],
      [
        'caller:c2hhMjU2OmFiZTgwYTY4NWQ2N2Y5ZGU2MzY0M2M1N2FhZThmNmMyYzQwNGRmMTAxMzYxZDE3MDBiY2MyZWZiOWI5OTMzNDM:order-7',
        'sha256:abe80a685d67f9de63643c57aae8f6c2c404df101361d1700bcc2efb9b993343',
        'bob',
      ],
    ]);
  });

  it('loses nothing and applies nothing twice when the runtime is restarted mid-stream', { timeout: 120_000 }, async () => {
    const w = world({ batchSize: 10 });
    const hold = w.holdAfter(40);
    const first = await w.start();
    await postKeyed(first, w.topic, { keys: 6, perKey: 25, workers: 3 });
    await hold.reached;
    // Stop while an invocation is in the middle of its batch; it may finish, then nothing more.
    const stopping = first.stop();
    hold.release();
    await stopping;
    const appliedBeforeRestart = w.applied.size;

    const second = await w.start();
    await postKeyed(second, w.topic, { keys: 6, perKey: 25, workers: 3, firstSeq: 25 });
    const items = await waitFor(
      '300 sink items',
      async () => {
        const found = await scanSink(w.tables.messages);
        return found.length >= 300 ? found : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    expect(appliedBeforeRestart).toBeGreaterThanOrEqual(40);
    expect(appliedBeforeRestart).toBeLessThan(150);
    expect(items).toHaveLength(300);
    expect(w.applied.size).toBe(300);
    expect([...w.applied.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expectPerKeyOrder(items);
  });

  it("lets inspect print the topic without changing the consume group's committed offsets", async () => {
    const w = world();
    const runtime = await w.start();
    await post(runtime, w.topic, [
      { key: 'a', value: { n: 1 } },
      { key: 'b', value: { n: 2 } },
      { key: 'c', value: { n: 3 } },
    ]);
    await waitFor('3 sink items', async () => (await scanSink(w.tables.messages)).length >= 3);
    const before = await waitFor('all 3 committed', async () => {
      const offsets = await committed(w.groupId, w.topic);
      const total = offsets.reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
      return total === 3 ? offsets : undefined;
    });

    const lines: string[] = [];
    const printed = await inspectTopic({
      config: testConfig(),
      topic: w.topic,
      fromBeginning: true,
      idleMs: 20_000,
      write: (line) => lines.push(line),
      logger: silentLogger,
    });

    expect(printed).toBe(3);
    expect(lines.map((line) => (JSON.parse(line) as { decoded: { value: { n: number } } }).decoded.value.n).sort()).toEqual([1, 2, 3]);
    expect(await committed(w.groupId, w.topic)).toEqual(before);
    // The pipeline still owns its partitions: a new message is processed.
    await post(runtime, w.topic, [{ key: 'd', value: { n: 4 } }]);
    await waitFor('the 4th sink item', async () => (await scanSink(w.tables.messages)).length >= 4);
  });
});

/** Writes records as a foreign client would: straight to the topic, not through the HTTP API. */
async function produceStraight(
  topic: string,
  messages: { partition: number; key?: string; value: string; headers: Record<string, string | Buffer> }[],
): Promise<void> {
  const producer = testKafka().producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** A failure record of the on-failure topic, read back: its key, the failed record's value and headers, and what the document says. */
interface DeadLetter {
  key: string | null;
  value: string;
  headers: Record<string, string>;
  reason: string | undefined;
  condition: string;
  approximateInvokeCount: number;
  source: { topic: string; partition: number; offset: number } | undefined;
}

async function readOne(topic: string): Promise<DeadLetter> {
  const consumer = testKafka().consumer({ groupId: uniqueName('dlq-reader'), maxWaitTimeInMs: 100 });
  let found: DeadLetter | undefined;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.entries(message.headers ?? {}).map(([name, value]) => ({ name, value: Buffer.from(value as Buffer) }));
      const { document, reason, record } = readFailureMessage(message.value, headers);
      found ??= {
        key: message.key?.toString('utf8') ?? null,
        value: record?.value?.toString('utf8') ?? '',
        headers: Object.fromEntries((record?.headers ?? []).map(({ name, value }) => [name, value?.toString('utf8') ?? 'null'])),
        reason,
        condition: document.requestContext.condition,
        approximateInvokeCount: document.requestContext.approximateInvokeCount,
        source: record === undefined ? undefined : { topic: record.topic, partition: record.partition, offset: record.offset },
      };
    },
  });
  try {
    return await waitFor(`a record on ${topic}`, () => found);
  } finally {
    await consumer.disconnect();
  }
}
