/**
 * The redrive, end to end on the real broker and store: records dead-lettered by a processor
 * that fails, the processor fixed, a dry run, an interrupted redrive and its resumption,
 * and every record in the sink exactly once.
 */
import type { IHeaders } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { systemClock } from '../../../lib/clock';
import { createMessagesProcessor } from '../../../lib/consume/messages-processor';
import type { RecordProcessor } from '../../../lib/consume/processor';
import { DynamoMessagesTable } from '../../../lib/dynamo/messages-table';
import { silentLogger } from '../../../lib/logger';
import { headerEntries } from '../../../local/kafka/consumer';
import { createTransactionalWriter } from '../../../local/kafka/transactional-writer';
import { createOffsetReader } from '../../../local/kafka/offsets';
import { redrive, redriveGroupId, type RedriveOptions } from '../../../local/redrive';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime';
import { testBrokers, testDynamo, testDynamoEndpoint, testKafka, uniqueName, waitFor } from '../../helpers/infra';

const runtimes: LocalRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop()));
});

/** A pipeline whose business step fails records with `"bad": true` until fixed, counting what it applies. */
async function brokenPipeline() {
  const names = { topic: uniqueName('events'), onFailureTopic: uniqueName('events-dlq'), groupId: uniqueName('consume-function') };
  const tables = { idempotency: uniqueName('idempotency'), messages: uniqueName('messages') };
  const applied = new Map<string, number>();
  let broken = true;
  const real = createMessagesProcessor(new DynamoMessagesTable(testDynamo(), tables.messages), systemClock);
  const processor: RecordProcessor = {
    async process(record, context) {
      if (broken && record.value?.toString('utf8').includes('"bad":true') === true) throw new Error('processor failed');
      await real.process(record, context);
      applied.set(context.messageId, (applied.get(context.messageId) ?? 0) + 1);
    },
  };
  const runtime = await startLocalRuntime({
    external: { kafkaBrokers: testBrokers(), dynamoEndpoint: testDynamoEndpoint() },
    env: { IDEMPOTENCY_TABLE: tables.idempotency, MESSAGES_TABLE: tables.messages, PORT: '0', ALLOWED_TOPICS: '*' },
    eventSource: { topic: names.topic, onFailureTopic: names.onFailureTopic, consumerGroupId: names.groupId, maximumRetryAttempts: 0 },
    batchingWindowMs: 20,
    retryBackoff: { initialMs: 20, maxMs: 100 },
    logger: silentLogger,
    processor,
  });
  runtimes.push(runtime);
  return {
    ...names,
    tables,
    applied,
    runtime,
    fix: () => {
      broken = false;
    },
  };
}

async function sinkIds(table: string): Promise<string[]> {
  const page = await testDynamo().send(new ScanCommand({ TableName: table }));
  return (page.Items ?? []).map((item) => item.messageId?.S ?? '');
}

/** Records on `topic` carrying a `redriven-from` header, read committed (as the emulator reads): their message ids and headers. */
async function redrivenOn(topic: string, expected: number): Promise<{ ids: string[]; headers: Map<string, [string, string | null][]> }> {
  const consumer = testKafka().consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  const found: string[] = [];
  const headers = new Map<string, [string, string | null][]>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.headers?.['redriven-from'] === undefined) return;
      const id = String(message.headers['message-id']);
      found.push(id);
      headers.set(
        id,
        headerEntries(message.headers).map(({ name, value }) => [name, value === null ? null : value.toString('utf8')]),
      );
    },
  });
  try {
    await waitFor(`${expected} redriven records on ${topic}`, () => found.length >= expected);
    // Nothing more arrives after a moment: no record was written twice.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { ids: found.sort(), headers };
  } finally {
    await consumer.disconnect();
  }
}

describe('npm run redrive (local/redrive.ts)', () => {
  it('dead-lettered records, the processor fixed, redriven after an interruption: every record in the sink exactly once', { timeout: 90_000 }, async () => {
    const w = await brokenPipeline();
    const producer = testKafka().producer();
    await producer.connect();
    const ids = Array.from({ length: 12 }, (_, index) => `m-${index}`);
    const bad = new Set(['m-1', 'm-4', 'm-5', 'm-8', 'm-11']);
    try {
      await producer.send({
        topic: w.topic,
        acks: -1,
        messages: ids.map((id, index) => ({
          key: `k-${index % 4}`,
          value: JSON.stringify({ n: index, bad: bad.has(id) }),
          // One dead-lettered record has a null header value (kafkajs' types leave null out; its encoder writes it).
          headers: (id === 'm-4' ? { 'message-id': id, trace: [Buffer.from('t-4'), null] } : { 'message-id': id }) as IHeaders,
        })),
      });
    } finally {
      await producer.disconnect();
    }
    await waitFor(
      '7 good records in the sink and 5 dead-lettered',
      async () => (await sinkIds(w.tables.messages)).length === 7 && w.runtime.emulator.stats().deadLettered === 5,
    );
    w.fix();

    const base: RedriveOptions = {
      config: w.runtime.config,
      logger: silentLogger,
      onFailureTopic: w.onFailureTopic,
      groupId: redriveGroupId(w.groupId, {}),
      apply: false,
      filters: {},
    };
    // The dry run: counts, the reason, oldest and newest; it writes and commits nothing.
    const dry = await redrive(base);
    // The failure record holds m-4's null header value as {} in its place, as the event did: its name is gone, and the dry run counts it.
    expect(dry).toMatchObject({
      mode: 'dry-run',
      read: 5,
      matched: 5,
      redriven: 0,
      passedOver: 0,
      unreadable: 0,
      nullHeadersLeftOut: 1,
      reasons: { 'processor failed': 5 },
    });
    expect(dry.sourceTopics).toEqual({ [w.topic]: 5 });
    expect(dry.oldest! <= dry.newest!).toBe(true);
    const offsets = createOffsetReader(w.runtime.config.kafka, silentLogger);
    try {
      expect((await offsets.committedOffsets(base.groupId, w.onFailureTopic)).every(({ offset }) => offset === '-1')).toBe(true);
    } finally {
      await offsets.close();
    }

    // A filter: only source partition offsets that do not exist; nothing matches.
    expect(await redrive({ ...base, filters: { fromOffset: 1_000 }, groupId: redriveGroupId(w.groupId, { fromOffset: 1_000 }) })).toMatchObject({
      matched: 0,
      passedOver: 5,
    });

    // Interrupted twice: once stopping at a limit, once failing inside a transaction (after its records were sent, before the commit).
    const first = await redrive({ ...base, apply: true, limit: 2 });
    expect(first.redriven).toBe(2);
    let crashes = 0;
    const crashing = createTransactionalWriter(w.runtime.config.kafka, {
      groupId: base.groupId,
      logger: silentLogger,
      beforeCommit: async () => {
        crashes += 1;
        throw new Error('crash before the commit');
      },
    });
    await expect(redrive({ ...base, apply: true, writer: crashing })).rejects.toThrow('crash before the commit');
    expect(crashes).toBe(1);
    // Resumed: the rest, and nothing twice.
    const rest = await redrive({ ...base, apply: true });
    expect(rest.redriven).toBe(3);
    expect(await redrive({ ...base, apply: true })).toMatchObject({ read: 0, redriven: 0 });

    const redriven = await redrivenOn(w.topic, 5);
    expect(redriven.ids).toEqual([...bad].sort());
    // The redriven m-4 keeps its other headers in order, and lacks the null value its failure record had no name for.
    expect(redriven.headers.get('m-4')?.map(([name, value]) => [name, name === 'redriven-from' ? value?.split('/').length : value])).toEqual([
      ['message-id', 'm-4'],
      ['trace', 't-4'],
      ['redriven-from', 3],
    ]);
    await waitFor('all 12 records in the sink', async () => (await sinkIds(w.tables.messages)).length === 12);
    expect((await sinkIds(w.tables.messages)).sort()).toEqual([...ids].sort());
    expect([...w.applied.values()].every((count) => count === 1)).toBe(true);

    // Redriven again through another group, the records are duplicates for the consume function: skipped, applied once.
    const again = await redrive({ ...base, apply: true, groupId: uniqueName('other-redrive') });
    expect(again.redriven).toBe(5);
    await waitFor('the second redrive consumed', () => w.runtime.emulator.stats().processed >= 12 + 5);
    expect([...w.applied.values()].every((count) => count === 1)).toBe(true);
    expect(w.applied.size).toBe(12);
    // The consume function counted every redriven record it was given (RecordsRedriven), for the flow line.
    expect(w.runtime.flow().redriven).toBe(10);
    // The redrive's transactions end with commit markers; the group is committed past them, so no lag is left.
    const reader = createOffsetReader(w.runtime.config.kafka, silentLogger);
    try {
      const ends = new Map((await reader.partitionRanges(w.topic)).map(({ partition, high }) => [partition, high]));
      await waitFor('the group committed to every partition end', async () =>
        (await reader.committedOffsets(w.groupId, w.topic)).every(({ partition, offset }) => offset === ends.get(partition) || ends.get(partition) === '0'),
      );
    } finally {
      await reader.close();
    }
    expect(w.runtime.flow().offsetLag).toBe(0);
  });
});
