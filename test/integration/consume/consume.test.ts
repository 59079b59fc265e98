import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../../lib/clock';
import type { AppConfig } from '../../../lib/config';
import { createConsumeRuntime, type ConsumeRuntime, type KafkaBatchResponse } from '../../../lib/consume';
import { createMessagesProcessor } from '../../../lib/consume/messages-processor';
import { DynamoMessagesTable } from '../../../lib/dynamo/messages-table';
import { silentLogger } from '../../../lib/logger';
import { stampedCallerHeader } from '../../helpers/caller-keys';
import { createTestTables, testConfig, testDynamo, waitFor } from '../../helpers/infra';
import { failed, kafkaEvent, recordRange } from '../../helpers/kafka-events';
import { CountingProcessor, CountingTable, messageIds, scanAll } from './store-helpers';

const dynamo = testDynamo();
const DYING_CONSUMER = fileURLToPath(new URL('./fixtures/dying-consumer.ts', import.meta.url));

describe('consume function against the store', () => {
  let config: AppConfig;
  let processor: CountingProcessor;
  const runtimes: ConsumeRuntime[] = [];

  beforeEach(async () => {
    config = testConfig({ CONSUME_LEASE_MS: '30000' });
    await createTestTables(config, dynamo);
    processor = new CountingProcessor(createMessagesProcessor(new DynamoMessagesTable(dynamo, config.tables.messages), systemClock));
    return async () => {
      await Promise.all(runtimes.splice(0).map((runtime) => runtime.close()));
    };
  });

  /** A new runtime, as in a new container, sharing the test's processor. */
  function runtime(clock: Clock = systemClock): ConsumeRuntime {
    const created = createConsumeRuntime(config, { logger: silentLogger, clock, processor, scope: 'consume-test' });
    runtimes.push(created);
    return created;
  }

  it('writes each JSON value once with its position, and applies nothing when the same batch comes again', async () => {
    const event = kafkaEvent([
      { partition: 0, offset: 7, key: 'customer-1', value: { total: 12.5, lines: [{ sku: 'a', qty: 2 }], note: '' }, headers: { 'message-id': 'order-1' } },
      ...recordRange(1, 0, 3),
    ]);
    const consume = runtime();
    expect(await consume.handler(event)).toEqual({ batchItemFailures: [] });
    expect(await consume.handler(event)).toEqual({ batchItemFailures: [] });
    expect(await runtime().handler(event)).toEqual({ batchItemFailures: [] });

    expect(processor.total()).toBe(4);
    const items = await scanAll(dynamo, config.tables.messages);
    expect(items.map((item) => item.messageId).sort()).toEqual(['order-1', 'orders-1-0', 'orders-1-1', 'orders-1-2']);
    const order = items.find((item) => item.messageId === 'order-1');
    expect(order).toMatchObject({
      messageId: 'order-1',
      topic: 'orders',
      partition: 0,
      offset: 7,
      key: 'customer-1',
      value: { total: 12.5, lines: [{ sku: 'a', qty: 2 }], note: '' },
    });
    expect(Date.parse(String(order?.processedAt))).toBeGreaterThan(Date.parse('2026-01-01T00:00:00Z'));
    const claims = await scanAll(dynamo, config.tables.idempotency);
    expect(claims.map((claim) => [claim.id, claim.status]).sort()).toEqual([
      ['consume:consume-test:order-1', 'COMPLETED'],
      ['consume:consume-test:orders-1-0', 'COMPLETED'],
      ['consume:consume-test:orders-1-1', 'COMPLETED'],
      ['consume:consume-test:orders-1-2', 'COMPLETED'],
    ]);
    expect(claims.every((claim) => typeof claim.expiresAtEpochSec === 'number' && claim.expiresAtEpochSec > Date.now() / 1000)).toBe(true);
  });

  it('commits the first two records of a partition failing at its third and all of the other; the retry completes it', async () => {
    const a = recordRange(0, 100, 5);
    const b = recordRange(1, 200, 4);
    processor.failOnce.add('orders-0-102');
    const consume = runtime();
    expect(await consume.handler(kafkaEvent([...a, ...b]))).toEqual({
      batchItemFailures: [failed('orders-0', 102), failed('orders-0', 103), failed('orders-0', 104)],
    });
    expect(await messageIds(dynamo, config.tables.messages)).toEqual([
      'orders-0-100',
      'orders-0-101',
      'orders-1-200',
      'orders-1-201',
      'orders-1-202',
      'orders-1-203',
    ]);
    // The failed record's claim was abandoned (kept with its lease ended: the retry takes it
    // over at once and knows an effect may have run); the claims after it were released.
    const inProgress = (await scanAll(dynamo, config.tables.idempotency)).filter((claim) => claim.status !== 'COMPLETED');
    expect(inProgress).toMatchObject([{ id: 'consume:consume-test:orders-0-102', status: 'IN_PROGRESS', leaseExpiresAtMs: 0 }]);

    // What the event source sends next: partition A from the failed offset.
    expect(await consume.handler(kafkaEvent(a.slice(2)))).toEqual({ batchItemFailures: [] });
    expect(processor.applied.get('orders-0-100')).toBe(1);
    expect(processor.applied.get('orders-0-101')).toBe(1);
    expect(processor.total()).toBe(9);
    expect((await messageIds(dynamo, config.tables.messages)).length).toBe(9);
  });

  it('fails a value that is not JSON every time, keeping the partition at it', async () => {
    const consume = runtime();
    const event = kafkaEvent([
      { offset: 0, value: { ok: 1 } },
      { offset: 1, rawValue: 'not json' },
      { offset: 2, value: { ok: 2 } },
    ]);
    const expected: KafkaBatchResponse = { batchItemFailures: [failed('orders-0', 1), failed('orders-0', 2)] };
    expect(await consume.handler(event)).toEqual(expected);
    expect(
      await consume.handler(
        kafkaEvent([
          { offset: 1, rawValue: 'not json' },
          { offset: 2, value: { ok: 2 } },
        ]),
      ),
    ).toEqual(expected);
    expect(await messageIds(dynamo, config.tables.messages)).toEqual(['orders-0-0']);
  });

  it('reports the records a live invocation holds as failures in the other, and applies each once', async () => {
    const event = kafkaEvent([...recordRange(0, 0, 3), ...recordRange(1, 0, 3), ...recordRange(2, 0, 3)]);
    // The first invocation holds every partition's first record mid-effect.
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const entered = new Set<number>();
    processor.before = async (record) => {
      entered.add(record.partition);
      await gate;
    };
    const first = runtime().handler(event);
    await waitFor('the first invocation to hold all three partitions', () => entered.size === 3);

    const second = await runtime().handler(event);
    expect(second.batchItemFailures).toHaveLength(9);
    open();
    expect(await first).toEqual({ batchItemFailures: [] });
    expect(processor.total()).toBe(9);
    expect([...processor.applied.values()].every((count) => count === 1)).toBe(true);
  });

  it('never applies a record twice or reports one done that is not when two invocations race', async () => {
    const records = [...recordRange(0, 0, 20), ...recordRange(1, 0, 20)];
    const event = kafkaEvent(records);
    const answers = await Promise.all([runtime().handler(event), runtime().handler(event)]);
    expect([...processor.applied.values()].every((count) => count === 1)).toBe(true);
    const written = new Set(await messageIds(dynamo, config.tables.messages));
    for (const answer of answers) {
      const reported = new Set(answer.batchItemFailures.map(({ itemIdentifier }) => `${itemIdentifier.partition}-${itemIdentifier.offset}`));
      const claimedDone = records.map((r) => `orders-${r.partition}-${r.offset}`).filter((id) => !reported.has(id));
      expect(claimedDone.filter((id) => !written.has(id))).toEqual([]);
    }
    // The event source retries what either reported; afterwards everything is done exactly once.
    expect(await runtime().handler(event)).toEqual({ batchItemFailures: [] });
    expect(processor.applied.size).toBe(40);
    expect([...processor.applied.values()].every((count) => count === 1)).toBe(true);
    expect((await messageIds(dynamo, config.tables.messages)).length).toBe(40);
  });

  it('processes a record exactly once after an invocation died between its effect and its completion', async () => {
    const table = new CountingTable(new DynamoMessagesTable(dynamo, config.tables.messages));
    processor = new CountingProcessor(createMessagesProcessor(table, systemClock));
    const event = kafkaEvent(recordRange(0, 0, 3));
    // The first invocation writes offset 1's message and then never returns, as if killed:
    // offset 0 is done but its completion was still waiting for the end of the partition.
    processor.after = async (record) => {
      if (record.offset === 1) await new Promise<never>(() => {});
    };
    void runtime().handler(event);
    await waitFor('the dying invocation to write offset 1', async () => (await messageIds(dynamo, config.tables.messages)).includes('orders-0-1'));
    processor.after = async () => {};

    // While its lease lives, another invocation must not touch its claims.
    expect(await runtime().handler(event)).toEqual({ batchItemFailures: [failed('orders-0', 0), failed('orders-0', 1), failed('orders-0', 2)] });

    const afterLease: Clock = { nowMs: () => Date.now() + config.consume.leaseMs + 1_000 };
    expect(await runtime(afterLease).handler(event)).toEqual({ batchItemFailures: [] });
    expect(await messageIds(dynamo, config.tables.messages)).toEqual(['orders-0-0', 'orders-0-1', 'orders-0-2']);
    // Offsets 0 and 1 reached the effect twice; the conditional put wrote each once.
    expect(Object.fromEntries(processor.applied)).toEqual({ 'orders-0-0': 2, 'orders-0-1': 2, 'orders-0-2': 1 });
    expect(Object.fromEntries(table.written)).toEqual({ 'orders-0-0': 1, 'orders-0-1': 1, 'orders-0-2': 1 });
    const claims = await scanAll(dynamo, config.tables.idempotency);
    expect(claims.map((claim) => claim.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  });

  /** Runs the event in a child process that writes (`crashAfter`: an offset, or `run`) and is then killed; resolves once it is dead. */
  async function dieAfterWriting(event: unknown, crashAfter: string): Promise<void> {
    // One process (no tsx wrapper), so that SIGKILL kills the invocation itself.
    const child = spawn(process.execPath, ['--import', 'tsx', DYING_CONSUMER, JSON.stringify(event), crashAfter], {
      env: {
        ...process.env,
        KAFKA_BROKERS: config.kafka.brokers.join(','),
        DYNAMODB_ENDPOINT: config.aws.dynamoEndpoint,
        IDEMPOTENCY_TABLE: config.tables.idempotency,
        MESSAGES_TABLE: config.tables.messages,
        CONSUME_LEASE_MS: String(config.consume.leaseMs),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_, signal) => resolve(signal)));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    try {
      await waitFor(`the child to write ${crashAfter}`, () => output.includes(`effect-written ${crashAfter}`), { timeoutMs: 30_000 });
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
  }

  it('recovers exactly once after the process running an invocation is killed between effect and completion', async () => {
    const event = kafkaEvent(recordRange(0, 0, 3));
    await dieAfterWriting(event, '1');

    const table = new CountingTable(new DynamoMessagesTable(dynamo, config.tables.messages));
    processor = new CountingProcessor(createMessagesProcessor(table, systemClock));
    expect(await runtime().handler(event)).toEqual({ batchItemFailures: [failed('orders-0', 0), failed('orders-0', 1), failed('orders-0', 2)] });
    const afterLease: Clock = { nowMs: () => Date.now() + config.consume.leaseMs + 1_000 };
    expect(await runtime(afterLease).handler(event)).toEqual({ batchItemFailures: [] });
    expect(await messageIds(dynamo, config.tables.messages)).toEqual(['orders-0-0', 'orders-0-1', 'orders-0-2']);
    // The dead process wrote offsets 0 and 1; after it only offset 2 needed writing.
    expect(Object.fromEntries(table.written)).toEqual({ 'orders-0-2': 1 });
  });

  it('writes no message twice after the process is killed between a batched run write and its completions', async () => {
    const event = kafkaEvent(recordRange(0, 0, 3));
    await dieAfterWriting(event, 'run');
    expect(await messageIds(dynamo, config.tables.messages)).toEqual(['orders-0-0', 'orders-0-1', 'orders-0-2']);

    // The redelivery takes the dead claims over; each claim returns the dead owner's item, so
    // the processor is told an earlier attempt may have written: it writes only if absent.
    const table = new CountingTable(new DynamoMessagesTable(dynamo, config.tables.messages));
    const contexts: boolean[] = [];
    processor = new CountingProcessor(createMessagesProcessor(table, systemClock));
    processor.before = async (_record, context) => {
      contexts.push(context.earlierAttempt);
    };
    const afterLease: Clock = { nowMs: () => Date.now() + config.consume.leaseMs + 1_000 };
    expect(await runtime(afterLease).handler(event)).toEqual({ batchItemFailures: [] });
    expect(contexts).toEqual([true, true, true]);
    expect(Object.fromEntries(table.written)).toEqual({});
    const claims = await scanAll(dynamo, config.tables.idempotency);
    expect(claims.map((claim) => claim.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  });

  it('fails a value too large for an item, and stores a message whose id is too long for a key under its hash', async () => {
    const event = kafkaEvent([
      { partition: 0, offset: 0, value: { blob: 'x'.repeat(450_000) } },
      { partition: 1, offset: 0, value: { ok: true }, headers: { 'message-id': 'm'.repeat(2_000) } },
    ]);
    expect(await runtime().handler(event)).toEqual({ batchItemFailures: [failed('orders-0', 0)] });
    const ids = await messageIds(dynamo, config.tables.messages);
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^sha256:/);
  });

  it('fails a record whose message id was completed with another payload, and skips one with the same payload', async () => {
    expect(await runtime().handler(kafkaEvent([{ offset: 1, key: 'k', value: { amount: 5 }, headers: { 'message-id': 'pay-1' } }]))).toEqual({
      batchItemFailures: [],
    });
    expect(await runtime().handler(kafkaEvent([{ offset: 2, key: 'k', value: { amount: 500 }, headers: { 'message-id': 'pay-1' } }]))).toEqual({
      batchItemFailures: [failed('orders-0', 2)],
    });
    expect(await runtime().handler(kafkaEvent([{ offset: 3, key: 'k', value: { amount: 5 }, headers: { 'message-id': 'pay-1' } }]))).toEqual({
      batchItemFailures: [],
    });
    expect(await scanAll(dynamo, config.tables.messages)).toMatchObject([{ messageId: 'pay-1', offset: 1, value: { amount: 5 } }]);
    expect(processor.total()).toBe(1);
  });

  it("keeps two callers' records with one message id as two items, each with its caller; a forged caller header attributes nothing", async () => {
    // printf 'iam:AIDAEXAMPLEALICE' | sha256sum, and the same for bob; each in base64url in the identity.
    const alice = 'sha256:52bb9314aaed7ee64c42819cede4206be40e8de4baff18b4e4c0c730c4115196';
    const bob = 'sha256:b17aa054d85fe96b972016d8e18ea988ef47dc23e369223603c2326d16ab9e69';
    const header = (caller: string, from: string) => stampedCallerHeader(caller, { topic: 'orders', messageId: 'same', value: JSON.stringify({ from }) });
    const event = kafkaEvent([
      { offset: 1, value: { from: 'alice' }, headers: { 'message-id': 'same', 'x-caller-id': header(alice, 'alice') } },
      { offset: 2, value: { from: 'bob' }, headers: { 'message-id': 'same', 'x-caller-id': header(bob, 'bob') } },
      { offset: 3, value: { from: 'direct' }, headers: { 'message-id': 'same' } },
      // Bob's digest stamped by someone else (a writer to the topic without the key): not bob's.
      { offset: 4, value: { from: 'mallory' }, headers: { 'message-id': 'other', 'x-caller-id': bob } },
    ]);
    expect(await runtime().handler(event)).toEqual({ batchItemFailures: [] });
    const items = await scanAll(dynamo, config.tables.messages);
    expect(
      items.map(({ messageId, callerId, value }) => ({ messageId, callerId, value })).sort((a, b) => (String(a.messageId) < String(b.messageId) ? -1 : 1)),
    ).toEqual([
      {
        messageId: 'caller:c2hhMjU2OjUyYmI5MzE0YWFlZDdlZTY0YzQyODE5Y2VkZTQyMDZiZTQwZThkZTRiYWZmMThiNGU0YzBjNzMwYzQxMTUxOTY:same',
        callerId: alice,
        value: { from: 'alice' },
      },
      {
        messageId: 'caller:c2hhMjU2OmIxN2FhMDU0ZDg1ZmU5NmI5NzIwMTZkOGUxOGVhOTg4ZWY0N2RjMjNlMzY5MjIzNjAzYzIzMjZkMTZhYjllNjk:same',
        callerId: bob,
        value: { from: 'bob' },
      },
      { messageId: 'other', callerId: undefined, value: { from: 'mallory' } },
      { messageId: 'same', callerId: undefined, value: { from: 'direct' } },
    ]);
  });

  it('fails, rather than completes, a record whose lease ran out mid-effect and which another invocation took over', async () => {
    const event = kafkaEvent([{ offset: 0, value: { n: 0 }, headers: { 'message-id': 'slow' } }]);
    let releaseSlow: () => void = () => {};
    const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
    let slowStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    processor.before = async () => {
      processor.before = async () => {};
      slowStarted();
      await slowGate;
    };
    // The slow invocation's effect outlasts its lease: its clock moves past it while it waits.
    let slowElapsedMs = 0;
    const slowClock: Clock = { nowMs: () => Date.now() + slowElapsedMs };
    const slow = runtime(slowClock).handler(event);
    await started;
    // Its lease has run out for a redelivery, which takes the record over.
    const afterLease: Clock = { nowMs: () => Date.now() + config.consume.leaseMs + 1_000 };
    expect(await runtime(afterLease).handler(event)).toEqual({ batchItemFailures: [] });
    slowElapsedMs = config.consume.leaseMs + 1_000;
    releaseSlow();
    expect(await slow).toEqual({ batchItemFailures: [failed('orders-0', 0)] });
    const [claim] = await scanAll(dynamo, config.tables.idempotency);
    expect(claim).toMatchObject({ id: 'consume:consume-test:slow', status: 'COMPLETED' });
    expect(await messageIds(dynamo, config.tables.messages)).toEqual(['slow']);
  });

  it('decodes a self-managed Kafka event like an MSK one', async () => {
    const event = kafkaEvent([{ offset: 3, key: 'k', value: { source: 'self-managed' } }], { eventSource: 'SelfManagedKafka' });
    expect(await runtime().handler(event)).toEqual({ batchItemFailures: [] });
    expect(await scanAll(dynamo, config.tables.messages)).toMatchObject([{ messageId: 'orders-0-3', key: 'k', value: { source: 'self-managed' } }]);
  });
});
