/**
 * The event-source emulator against the real broker, fed to handlers written here that
 * record what they receive and fail chosen records: the emulator is the unit under test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MSKEvent } from 'aws-lambda';
import { startEventSourceEmulator, type EventSourceEmulator, type KafkaEventHandler } from '../../../local/event-source-emulator';
import type { EventSourceSettings } from '../../../local/event-source-settings';
import { createLogger, silentLogger, type Logger } from '../../../lib/logger';
import { readFileSync } from 'node:fs';
import { readFailureMessage, type ReadFailure } from '../../../local/emulator/failure-record';
import { systemClock } from '../../../lib/clock';
import { createBatchHandler } from '../../../lib/consume/batch-handler';
import type { ConsumedRecord } from '../../../lib/consume/event';
import { DynamoIdempotencyStore } from '../../../lib/idempotency/dynamo-store';
import { createProduceRuntime } from '../../../lib/produce';
import { b64, httpEvent } from '../../helpers/http-events';
import { createTestTables, createTestTopic, testConfig, testDynamo, testKafka, uniqueName, waitFor } from '../../helpers/infra';
import { shapeOf } from '../../helpers/json-shape';

const documented = JSON.parse(readFileSync(new URL('../../fixtures/lambda-failure-records/kafka-destination-docs-sample.json', import.meta.url), 'utf8'));

const running: EventSourceEmulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.stop()));
});

async function settingsFor(overrides: Partial<EventSourceSettings> = {}): Promise<EventSourceSettings> {
  return {
    topic: await createTestTopic('emulator', 3),
    partitions: 3,
    batchSize: 10,
    maximumBatchingWindowInSeconds: 1,
    startingPosition: 'TRIM_HORIZON',
    consumerGroupId: uniqueName('emulator-group'),
    maximumRetryAttempts: 2,
    maximumRecordAgeInSeconds: -1,
    bisectBatchOnFunctionError: false,
    filterPatterns: [],
    onFailureTopic: await createTestTopic('emulator-dlq', 1),
    provisionedPollers: { minimum: 1, maximum: 1 },
    ...overrides,
  };
}

async function start(
  settings: EventSourceSettings,
  handler: KafkaEventHandler,
  retryBackoff = { initialMs: 20, maxMs: 100 },
  logger: Logger = silentLogger,
): Promise<EventSourceEmulator> {
  const emulator = await startEventSourceEmulator({
    config: testConfig(),
    settings,
    handler,
    logger,
    batchingWindowMs: 20,
    retryBackoff,
  });
  running.push(emulator);
  return emulator;
}

interface SeenRecord {
  partition: number;
  offset: number;
  value: string;
}

/** Flattens an event's records, decoding values as UTF-8. */
function seen(event: MSKEvent): SeenRecord[] {
  return Object.values(event.records)
    .flat()
    .map((record) => ({ partition: record.partition, offset: record.offset, value: Buffer.from(record.value ?? '', 'base64').toString('utf8') }));
}

async function produce(
  topic: string,
  messages: { partition: number; value: string; key?: string; headers?: Record<string, string>; timestamp?: string }[],
): Promise<void> {
  const producer = testKafka().producer();
  await producer.connect();
  try {
    for (const message of messages) {
      await producer.send({ topic, acks: -1, messages: [{ ...message, key: message.key ?? null }] });
    }
  } finally {
    await producer.disconnect();
  }
}

async function committed(groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((entry?.partitions ?? []).map(({ partition, offset }) => [partition, offset]));
  } finally {
    await admin.disconnect();
  }
}

/** Reads `count` failure messages of the on-failure topic, with their keys. */
async function readFailures(topic: string, count: number): Promise<(ReadFailure & { key: string | null })[]> {
  const consumer = testKafka().consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  const records: (ReadFailure & { key: string | null })[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.entries(message.headers ?? {}).map(([name, value]) => ({ name, value: Buffer.from(value as Buffer) }));
      records.push({ key: message.key?.toString('utf8') ?? null, ...readFailureMessage(message.value, headers) });
    },
  });
  try {
    await waitFor(`${count} records on ${topic}`, () => records.length >= count);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

describe('event source emulator', () => {
  it('delivers the MSK event shape: grouped per topic-partition, base64 key and value, headers as byte arrays', async () => {
    const settings = await settingsFor();
    const events: MSKEvent[] = [];
    await produce(settings.topic, [{ partition: 1, key: 'k1', value: '{"n":1}', headers: { 'message-id': 'm-1' } }]);
    await start(settings, async (event) => {
      events.push(event);
      return { batchItemFailures: [] };
    });

    const [event] = await waitFor('one invocation', () => (events.length > 0 ? events : undefined));
    const record = event?.records[`${settings.topic}-1`]?.[0];
    expect(event?.eventSource).toBe('aws:kafka');
    expect(event?.eventSourceArn).toMatch(/^arn:aws:kafka:us-east-1:\d{12}:cluster\//);
    expect(event?.bootstrapServers).toBe(testConfig().kafka.brokers.join(','));
    expect(Object.keys(event?.records ?? {})).toEqual([`${settings.topic}-1`]);
    expect(record).toMatchObject({
      topic: settings.topic,
      partition: 1,
      offset: 0,
      timestampType: 'CREATE_TIME',
      key: 'azE=',
      value: 'eyJuIjoxfQ==',
      headers: [{ 'message-id': [109, 45, 49] }],
    });
    expect(typeof record?.timestamp).toBe('number');
  });

  it("carries Kafka's null header value, produced through the v3 API, as {} in its place, and the consume function takes the record", async () => {
    const settings = await settingsFor();
    const config = testConfig();
    await createTestTables(config);
    const admin = testKafka().admin();
    await admin.connect();
    const { clusterId } = await admin.describeCluster().finally(() => admin.disconnect());
    const producer = createProduceRuntime(config, { logger: silentLogger });
    try {
      const answer = await producer.handler(
        httpEvent({
          method: 'POST',
          path: `/v3/clusters/${clusterId}/topics/${settings.topic}/records`,
          headers: { host: 'api.example.com', 'content-type': 'application/json' },
          body: JSON.stringify({
            partition_id: 0,
            headers: [
              { name: 'trace', value: b64('t-1') },
              { name: 'deleted', value: null },
              { name: 'trace', value: null },
            ],
            value: { type: 'JSON', data: { n: 1 } },
          }),
        }),
      );
      expect(answer).toMatchObject({ statusCode: 200 });
    } finally {
      await producer.close();
    }

    // The consume function itself, behind a handler that keeps the event it is given.
    const events: MSKEvent[] = [];
    const processed: { record: ConsumedRecord; messageId: string }[] = [];
    const consume = createBatchHandler({
      store: new DynamoIdempotencyStore(testDynamo(), config.tables.idempotency),
      processor: { process: async (record, { messageId }) => void processed.push({ record, messageId }) },
      clock: systemClock,
      logger: silentLogger,
      scope: 'null-headers',
      leaseMs: config.consume.leaseMs,
      ttlSeconds: config.idempotency.ttlSeconds,
    });
    const answers: unknown[] = [];
    await start(settings, async (event) => {
      events.push(event);
      const answer = await consume(event);
      answers.push(answer);
      return answer;
    });
    // The answer comes after the record's completion is written, a moment after the processor ran.
    await waitFor('the consume function answered', () => answers.length > 0);

    // kafkajs writes headers by name in the order each name first appears: trace, trace, deleted,
    // then the produce function's message-id and caller headers. Each null value is {} in its place.
    const [delivered] = events[0]?.records[`${settings.topic}-0`] ?? [];
    const headers = delivered?.headers ?? [];
    expect(headers.map((header) => Object.keys(header))).toEqual([['trace'], [], [], ['message-id'], ['x-caller-id']]);
    expect(headers[0]).toEqual({ trace: [116, 45, 49] });
    expect(answers).toEqual([{ batchItemFailures: [] }]);
    const [{ record, messageId } = { record: undefined, messageId: '' }] = processed;
    expect(record?.value?.toString('utf8')).toBe('{"n":1}');
    expect(record?.headers.map(({ name, value }) => [name, value === null ? null : name === 'trace' ? value.toString('utf8') : 'bytes'])).toEqual([
      ['trace', 't-1'],
      ['message-id', 'bytes'],
      ['x-caller-id', 'bytes'],
    ]);
    expect(messageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('with LATEST, skips what the topic held before the group existed and delivers what comes after', async () => {
    const settings = await settingsFor({ startingPosition: 'LATEST' });
    const delivered: string[] = [];
    await produce(settings.topic, [{ partition: 0, value: 'old' }]);
    await start(settings, async (event) => {
      delivered.push(...seen(event).map((record) => record.value));
    });

    // The group settles on "latest" a moment after joining; keep producing until one arrives.
    let sent = 0;
    await waitFor(
      'a record produced after start',
      async () => {
        await produce(settings.topic, [{ partition: 0, value: `new-${sent++}` }]);
        return delivered.some((value) => value.startsWith('new-'));
      },
      { intervalMs: 200 },
    );
    expect(delivered).not.toContain('old');
  });

  it('never puts more than batchSize records in one invocation, and keeps offset order', async () => {
    const settings = await settingsFor({ batchSize: 10 });
    const sizes: number[] = [];
    const offsets: number[] = [];
    await produce(
      settings.topic,
      Array.from({ length: 25 }, (_, index) => ({ partition: 2, value: `r${index}` })),
    );
    await start(settings, async (event) => {
      const records = seen(event);
      sizes.push(records.length);
      offsets.push(...records.map((record) => record.offset));
    });

    await waitFor('25 records delivered', () => offsets.length >= 25);
    expect(Math.max(...sizes)).toBe(10);
    expect(offsets).toEqual(Array.from({ length: 25 }, (_, index) => index));
  });

  it('invokes a full batch at once, and holds fewer records until the batching window since they were read has passed', async () => {
    const settings = await settingsFor({ batchSize: 10 });
    const windowMs = 3_000;
    const invocations: { size: number; atMs: number }[] = [];
    const emulator = await startEventSourceEmulator({
      config: testConfig(),
      settings,
      logger: silentLogger,
      batchingWindowMs: windowMs,
      handler: async (event) => {
        invocations.push({ size: seen(event).length, atMs: Date.now() });
      },
    });
    running.push(emulator);
    const producer = testKafka().producer();
    await producer.connect();
    const producedMs = Date.now();
    try {
      await producer.send({ topic: settings.topic, acks: -1, messages: Array.from({ length: 23 }, (_, index) => ({ partition: 1, value: `r${index}` })) });
    } finally {
      await producer.disconnect();
    }
    await waitFor('23 records delivered', () => invocations.reduce((sum, { size }) => sum + size, 0) >= 23, { timeoutMs: 15_000 });
    expect(invocations.map(({ size }) => size)).toEqual([10, 10, 3]);
    const [first, second, tail] = invocations.map(({ atMs }) => atMs - producedMs) as [number, number, number];
    // The two full batches go at once; the three left wait out the window, which began when they were read.
    expect(Math.max(first, second)).toBeLessThan(windowMs / 2);
    expect(tail).toBeGreaterThanOrEqual(windowMs - 100);
  });

  it('commits past a successful batch, so the group ends at every partition end', async () => {
    const settings = await settingsFor();
    const delivered: SeenRecord[] = [];
    await produce(settings.topic, [
      { partition: 0, value: 'a' },
      { partition: 0, value: 'b' },
      { partition: 1, value: 'c' },
      { partition: 2, value: 'd' },
    ]);
    await start(settings, async (event) => {
      delivered.push(...seen(event));
    });

    await waitFor('4 records delivered', () => delivered.length >= 4);
    await waitFor('offsets committed', async () => {
      const offsets = await committed(settings.consumerGroupId, settings.topic);
      return offsets[0] === '2' && offsets[1] === '1' && offsets[2] === '1';
    });
    expect(delivered.map((record) => record.value).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it("logs each batch's offset lag after it and the records dead-lettered, as Lambda's Kafka metrics would show", async () => {
    const settings = await settingsFor({ partitions: 1, topic: await createTestTopic('emulator-lag', 1) });
    await produce(settings.topic, [
      { partition: 0, value: 'a' },
      { partition: 0, value: 'b' },
      { partition: 0, value: 'c' },
    ]);
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', (line) => lines.push(JSON.parse(line)));
    let failedOnce = false;
    const emulator = await start(
      settings,
      async (event) => {
        // The first delivery of offset 1 fails; the redelivery from there succeeds.
        if (failedOnce || !seen(event).some((record) => record.offset === 1)) return { batchItemFailures: [] };
        failedOnce = true;
        return { batchItemFailures: [{ itemIdentifier: { partition: `${settings.topic}-0`, offset: 1 } }] };
      },
      undefined,
      logger,
    );

    await waitFor('the partition committed to its end', async () => (await committed(settings.consumerGroupId, settings.topic))[0] === '3');
    await waitFor('the second batch logged', () => lines.some((line) => line.message === 'event source: batch processed'));
    const batches = lines.filter((line) => String(line.message).startsWith('event source: batch'));
    expect(batches.map(({ message, offsetLag, deadLettered }) => ({ message, offsetLag, deadLettered }))).toEqual([
      // Offsets 1 and 2 of 3 written are not committed yet.
      { message: 'event source: batch failed, will retry', offsetLag: 2, deadLettered: 0 },
      { message: 'event source: batch processed', offsetLag: 0, deadLettered: 0 },
    ]);
    expect(emulator.stats()).toMatchObject({ processed: 3, retried: 1, deadLettered: 0, offsetLag: 0 });
  });

  it('redelivers from the lowest reported failure, retries it maximumRetryAttempts times, dead-letters it, and other partitions proceed', async () => {
    const settings = await settingsFor();
    const deliveries: SeenRecord[] = [];
    await produce(settings.topic, [
      { partition: 0, value: 'p0-first' },
      { partition: 0, key: 'bad-key', value: 'poison', headers: { 'message-id': 'poison-1' } },
      { partition: 0, value: 'p0-after' },
      { partition: 1, value: 'p1-a' },
      { partition: 2, value: 'p2-a' },
    ]);
    await start(settings, async (event) => {
      const records = seen(event);
      deliveries.push(...records);
      const failures = records
        .filter((record) => record.value === 'poison')
        .map((record) => ({ itemIdentifier: { partition: `${settings.topic}-${record.partition}`, offset: record.offset } }));
      return { batchItemFailures: failures };
    });

    const [dead] = await readFailures(settings.onFailureTopic, 1);
    await waitFor('p0-after delivered', () => deliveries.some((record) => record.value === 'p0-after'));
    await waitFor('partition 0 committed past the end', async () => (await committed(settings.consumerGroupId, settings.topic))[0] === '3');

    // First attempt plus maximumRetryAttempts (2) retries.
    expect(deliveries.filter((record) => record.value === 'poison')).toHaveLength(3);
    // Records before the failure were done on the first attempt and never delivered again.
    expect(deliveries.filter((record) => record.value === 'p0-first')).toHaveLength(1);
    expect(deliveries.filter((record) => record.value === 'p1-a')).toHaveLength(1);
    expect(deliveries.filter((record) => record.value === 'p2-a')).toHaveLength(1);
    expect(deliveries.filter((record) => record.value === 'p0-after').length).toBeGreaterThanOrEqual(1);
    // Lambda's failure document, field by field against the documented example's shape.
    const { payload, ...metadata } = dead?.document ?? {};
    const { payload: documentedPayload, ...documentedMetadata } = documented;
    expect(shapeOf(metadata)).toEqual(shapeOf({ ...documentedMetadata, responseContext: { statusCode: 200, executedVersion: '$LATEST' } }));
    expect(Object.keys(payload ?? {}).sort()).toEqual(Object.keys(documentedPayload).sort());
    const [payloadRecord] = Object.values(payload?.records ?? {}).flat();
    expect(Object.keys(payloadRecord ?? {}).sort()).toEqual(Object.keys(documentedPayload.records['my-topic-0'][0]).sort());
    expect(dead?.key).toBe('bad-key');
    expect(dead?.document.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 });
    expect(dead?.document.requestContext.functionArn).toMatch(/^arn:aws:lambda:us-east-1:\d{12}:function:/);
    expect(dead?.document.KafkaBatchInfo).toMatchObject({ batchSize: 1, bootstrapServers: testConfig().kafka.brokers.join(','), recordInfo: { offset: '1' } });
    expect(dead?.record).toMatchObject({ topic: settings.topic, partition: 0, offset: 1 });
    expect(dead?.record?.value?.toString()).toBe('poison');
    expect(dead?.record?.headers.map(({ name, value }) => [name, value?.toString()])).toEqual([['message-id', 'poison-1']]);
  });

  it('keeps other partitions flowing while a failing partition waits for its retry', async () => {
    const settings = await settingsFor();
    const deliveries: SeenRecord[] = [];
    await produce(settings.topic, [{ partition: 0, value: 'poison' }]);
    await start(
      settings,
      async (event) => {
        const records = seen(event);
        deliveries.push(...records);
        const failures = records
          .filter((record) => record.value === 'poison')
          .map((record) => ({ itemIdentifier: { partition: `${settings.topic}-${record.partition}`, offset: record.offset } }));
        return { batchItemFailures: failures };
      },
      // A backoff far longer than the test needs: the retry must not happen before the end.
      { initialMs: 60_000, maxMs: 60_000 },
    );

    await waitFor('the first attempt', () => deliveries.some((record) => record.value === 'poison'));
    await produce(settings.topic, [
      { partition: 1, value: 'p1-later' },
      { partition: 2, value: 'p2-later' },
    ]);
    await waitFor('the other partitions delivered', () => deliveries.filter((record) => record.value.endsWith('-later')).length === 2);

    expect(deliveries.filter((record) => record.value === 'poison')).toHaveLength(1);
  });

  it('retries the whole batch after a thrown error and commits once it succeeds', async () => {
    const settings = await settingsFor();
    const attempts: string[][] = [];
    await produce(settings.topic, [
      { partition: 2, value: 'x' },
      { partition: 2, value: 'y' },
    ]);
    await start(settings, async (event) => {
      const values = seen(event).map((record) => record.value);
      attempts.push(values);
      if (attempts.length === 1) throw new Error('store down');
    });

    await waitFor('partition 2 committed', async () => (await committed(settings.consumerGroupId, settings.topic))[2] === '2');
    expect(attempts[0]).toEqual(['x', 'y']);
    expect(attempts[1]).toEqual(['x', 'y']);
    expect(attempts).toHaveLength(2);
  });

  it('after a thrown error on every attempt, dead-letters the whole batch with the error message', async () => {
    const settings = await settingsFor({ maximumRetryAttempts: 1 });
    let invocations = 0;
    await produce(settings.topic, [
      { partition: 1, value: 'one' },
      { partition: 1, value: 'two' },
    ]);
    await start(settings, async () => {
      invocations += 1;
      throw new Error('always broken');
    });

    const dead = await readFailures(settings.onFailureTopic, 2);
    await waitFor('partition 1 committed past both', async () => (await committed(settings.consumerGroupId, settings.topic))[1] === '2');
    expect(invocations).toBe(2);
    expect(dead.map((failure) => failure.record?.value?.toString())).toEqual(['one', 'two']);
    expect(dead.map((failure) => failure.reason)).toEqual(['always broken', 'always broken']);
    expect(dead.map((failure) => failure.document.responseContext)).toEqual([
      { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    ]);
  });

  it('passes the remaining time, and keeps its group membership through an invocation longer than the session timeout', { timeout: 60_000 }, async () => {
    const settings = await settingsFor();
    const invocations: { offsets: number[]; remainingMs: number }[] = [];
    await produce(settings.topic, [{ partition: 0, value: 'slow' }]);
    const emulator = await startEventSourceEmulator({
      config: testConfig(),
      settings,
      handler: async (event, context) => {
        invocations.push({ offsets: seen(event).map((record) => record.offset), remainingMs: context.getRemainingTimeInMillis() });
        // The consumer's session timeout is 10 s: without heartbeats the member would be expelled meanwhile.
        if (invocations.length === 1) await new Promise((resolve) => setTimeout(resolve, 13_000));
        return { batchItemFailures: [] };
      },
      logger: silentLogger,
      batchingWindowMs: 20,
      invocationTimeoutMs: 30_000,
    });
    running.push(emulator);

    // The emulator counts a batch once its commit has returned, a moment after the broker has it.
    await waitFor(
      'partition 0 committed and counted',
      async () => (await committed(settings.consumerGroupId, settings.topic))[0] === '1' && emulator.stats().processed === 1,
      { timeoutMs: 30_000 },
    );
    expect(invocations.map(({ offsets }) => offsets)).toEqual([[0]]);
    expect(invocations[0]?.remainingMs).toBeGreaterThan(29_000);
    expect(invocations[0]?.remainingMs).toBeLessThanOrEqual(30_000);
    expect(emulator.stats()).toMatchObject({ invocations: 1, retried: 0, processed: 1 });
  });
});

describe('event source emulator: the mapping settings', () => {
  it('filters: a pattern keeping a JSON prefix delivers only those records, committing the rest undelivered', async () => {
    const settings = await settingsFor({ filterPatterns: [{ value: { device_ID: [{ prefix: 'AB' }] } }] });
    const delivered: SeenRecord[] = [];
    await produce(settings.topic, [
      { partition: 0, value: '{"device_ID":"CD1"}' },
      { partition: 0, value: '{"device_ID":"AB1"}' },
      { partition: 0, value: '{"device_ID":"XY9"}' },
      { partition: 0, value: '{"device_ID":"AB2"}' },
      { partition: 0, value: '{"device_ID":"ZZ0"}' },
    ]);
    const emulator = await start(settings, async (event) => {
      delivered.push(...seen(event));
    });

    await waitFor('partition 0 committed past all five', async () => (await committed(settings.consumerGroupId, settings.topic))[0] === '5');
    expect(delivered.map(({ offset, value }) => [offset, value])).toEqual([
      [1, '{"device_ID":"AB1"}'],
      [3, '{"device_ID":"AB2"}'],
    ]);
    expect(emulator.stats()).toMatchObject({ filteredOut: 3, processed: 2, deadLettered: 0 });
  });

  it('record age: records older than maximumRecordAgeInSeconds go to the on-failure topic undelivered', async () => {
    const settings = await settingsFor({ maximumRecordAgeInSeconds: 60 });
    const delivered: SeenRecord[] = [];
    const oldMs = Date.now() - 120_000;
    await produce(settings.topic, [
      { partition: 2, key: 'k-old', value: 'old-1', timestamp: String(oldMs) },
      { partition: 2, value: 'fresh' },
      { partition: 2, value: 'old-2', timestamp: String(oldMs) },
    ]);
    const emulator = await start(settings, async (event) => {
      delivered.push(...seen(event));
    });

    const dead = await readFailures(settings.onFailureTopic, 2);
    await waitFor('partition 2 committed past all three', async () => (await committed(settings.consumerGroupId, settings.topic))[2] === '3');
    expect(delivered.map(({ value }) => value)).toEqual(['fresh']);
    expect(dead.map((failure) => [failure.key, failure.record?.value?.toString(), failure.document.requestContext.condition])).toEqual([
      ['k-old', 'old-1', 'RecordAgeExceeded'],
      [null, 'old-2', 'RecordAgeExceeded'],
    ]);
    expect(dead[0]?.document.requestContext.approximateInvokeCount).toBe(0);
    expect(dead[0]?.document.responseContext).toBeNull();
    expect(dead[0]?.document.KafkaBatchInfo.recordInfo.timestamp).toBe(new Date(oldMs).toISOString());
    expect(emulator.stats()).toMatchObject({ expired: 2, dropped: 2, deadLettered: 2, processed: 1 });
  });

  it('record age: a failing record that expires while retried goes with RecordAgeExceeded and its last invocation', async () => {
    const settings = await settingsFor({ maximumRecordAgeInSeconds: 60, maximumRetryAttempts: 10 });
    const requestIds: string[] = [];
    // Three seconds short of the maximum age: the first attempt comes in time, the retry (after 5 s) does not.
    await produce(settings.topic, [{ partition: 0, value: 'failing', timestamp: String(Date.now() - 57_000) }]);
    const emulator = await start(
      settings,
      async (event, context) => {
        requestIds.push(context.awsRequestId);
        return { batchItemFailures: seen(event).map((record) => ({ itemIdentifier: { partition: `${settings.topic}-0`, offset: record.offset } })) };
      },
      { initialMs: 5_000, maxMs: 5_000 },
    );

    const [dead] = await readFailures(settings.onFailureTopic, 1);
    expect(requestIds).toHaveLength(1);
    expect(dead?.document.requestContext).toMatchObject({ condition: 'RecordAgeExceeded', approximateInvokeCount: 1, requestId: requestIds[0] });
    // The function answered (it reported the record): no functionError.
    expect(dead?.document.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST' });
    await waitFor('partition 0 committed past it', async () => (await committed(settings.consumerGroupId, settings.topic))[0] === '1');
    expect(emulator.stats()).toMatchObject({ expired: 1, retried: 1, processed: 0 });
  });

  it('bisection: a batch that throws is split down to its poison record, which alone is dead-lettered', async () => {
    const settings = await settingsFor({ batchSize: 8, maximumRetryAttempts: 0, bisectBatchOnFunctionError: true });
    const succeeded: number[] = [];
    const sizes: number[] = [];
    await produce(
      settings.topic,
      Array.from({ length: 8 }, (_, index) => ({ partition: 1, value: index === 5 ? 'poison' : `r${index}` })),
    );
    const emulator = await start(settings, async (event) => {
      const records = seen(event);
      sizes.push(records.length);
      if (records.some((record) => record.value === 'poison')) throw new Error('cannot handle poison');
      succeeded.push(...records.map((record) => record.offset));
    });

    const [dead] = await readFailures(settings.onFailureTopic, 1);
    await waitFor('partition 1 committed past all eight', async () => (await committed(settings.consumerGroupId, settings.topic))[1] === '8');
    expect(dead?.record?.value?.toString()).toBe('poison');
    expect(dead?.document.requestContext.condition).toBe('RetryAttemptsExhausted');
    // Every other record succeeded exactly once: [0..7] fails, [0..3] ok, [4..7] fails, [4,5] fails, [4] ok, [5] fails alone, then [6,7].
    expect(succeeded.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(sizes).toEqual([8, 4, 4, 2, 1, 1, 2]);
    expect(emulator.stats()).toMatchObject({ bisected: 3, deadLettered: 1, processed: 7 });
  });

  it('a timed-out invocation fails the batch, and its retry starts only once it has ended', async () => {
    const settings = await settingsFor({ maximumRetryAttempts: 3 });
    const spans: { startMs: number; endMs?: number }[] = [];
    await produce(settings.topic, [{ partition: 0, value: 'slow the first time' }]);
    const emulator = await startEventSourceEmulator({
      config: testConfig(),
      settings,
      logger: silentLogger,
      batchingWindowMs: 20,
      retryBackoff: { initialMs: 20, maxMs: 20 },
      invocationTimeoutMs: 300,
      handler: async () => {
        const span: { startMs: number; endMs?: number } = { startMs: Date.now() };
        spans.push(span);
        if (spans.length === 1) await new Promise((resolve) => setTimeout(resolve, 500));
        span.endMs = Date.now();
        return { batchItemFailures: [] };
      },
    });
    running.push(emulator);

    await waitFor('partition 0 committed', async () => (await committed(settings.consumerGroupId, settings.topic))[0] === '1');
    expect(spans).toHaveLength(2);
    const [first, retry] = spans as [{ startMs: number; endMs: number }, { startMs: number }];
    // The retry did not run beside the timed-out invocation.
    expect(retry.startMs).toBeGreaterThanOrEqual(first.endMs);
    expect(emulator.stats()).toMatchObject({ timedOut: 1, retried: 1, processed: 1, deadLettered: 0 });
  });

  it('size: a record too big for a 6 MB invocation goes to the on-failure topic, the next record is delivered', { timeout: 60_000 }, async () => {
    const topic = uniqueName('emulator-big');
    const admin = testKafka().admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }] }],
      });
    } finally {
      await admin.disconnect();
    }
    const settings = await settingsFor({ topic, partitions: 1 });
    const delivered: SeenRecord[] = [];
    // 4.8 MB of bytes is 6.4 MB of base64 in the event.
    const big = 'x'.repeat(4_800_000);
    await produce(topic, [
      { partition: 0, key: 'big', value: big },
      { partition: 0, value: 'small' },
    ]);
    const emulator = await start(settings, async (event) => {
      delivered.push(...seen(event));
    });

    const [dead] = await readFailures(settings.onFailureTopic, 1);
    await waitFor('partition 0 committed past both', async () => (await committed(settings.consumerGroupId, topic))[0] === '2');
    expect(delivered.map(({ value }) => value)).toEqual(['small']);
    expect(dead?.key).toBe('big');
    expect(dead?.document.requestContext.condition).toBe('MaximumPayloadSizeExceeded');
    expect(dead?.document.responseContext).toBeNull();
    expect(dead?.document.KafkaBatchInfo.recordInfo.offset).toBe('0');
    expect(dead?.document.KafkaBatchInfo.payloadSize).toBeGreaterThan(6 * 1024 * 1024);
    // Too big for the destination with its payload: written without it, as Lambda drops an oversized payload.
    expect(dead?.record).toBeUndefined();
    expect(emulator.stats()).toMatchObject({ oversized: 1, dropped: 1, processed: 1 });
  });

  it('puts several partitions in one event, never one partition in two invocations at once, and reads the answer per partition', async () => {
    const settings = await settingsFor({ batchSize: 30 });
    const partitionsPerEvent: number[] = [];
    const inFlight = new Set<number>();
    let overlapped = false;
    let failedOnce = false;
    const delivered: SeenRecord[] = [];
    const producer = testKafka().producer();
    await producer.connect();
    try {
      // One send: the three partitions' records arrive in one fetch.
      await producer.send({
        topic: settings.topic,
        acks: -1,
        messages: [0, 1, 2].flatMap((partition) => [0, 1, 2].map((n) => ({ partition, value: `p${partition}-${n}` }))),
      });
    } finally {
      await producer.disconnect();
    }
    // No batching window: the three partitions of the first fetch go at once, together.
    const emulator = await startEventSourceEmulator({
      config: testConfig(),
      settings,
      logger: silentLogger,
      batchingWindowMs: 0,
      retryBackoff: { initialMs: 20, maxMs: 100 },
      handler: async (event) => {
        const records = seen(event);
        const partitions = [...new Set(records.map((record) => record.partition))];
        partitionsPerEvent.push(partitions.length);
        if (partitions.some((partition) => inFlight.has(partition))) overlapped = true;
        for (const partition of partitions) inFlight.add(partition);
        await new Promise((resolve) => setTimeout(resolve, 50));
        for (const partition of partitions) inFlight.delete(partition);
        delivered.push(...records);
        // Partition 1's second record fails once; the other partitions of the same event succeed.
        if (!failedOnce && records.some((record) => record.partition === 1 && record.offset === 1)) {
          failedOnce = true;
          return { batchItemFailures: [{ itemIdentifier: { partition: `${settings.topic}-1`, offset: 1 } }] };
        }
        return { batchItemFailures: [] };
      },
    });
    running.push(emulator);

    await waitFor('every partition committed to its end', async () => {
      const offsets = await committed(settings.consumerGroupId, settings.topic);
      return offsets[0] === '3' && offsets[1] === '3' && offsets[2] === '3';
    });
    expect(Math.max(...partitionsPerEvent)).toBeGreaterThan(1);
    expect(overlapped).toBe(false);
    // Only partition 1 from offset 1 was delivered again.
    const counts = new Map<string, number>();
    for (const record of delivered) counts.set(record.value, (counts.get(record.value) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({
      'p0-0': 1,
      'p0-1': 1,
      'p0-2': 1,
      'p1-0': 1,
      'p1-1': 2,
      'p1-2': 2,
      'p2-0': 1,
      'p2-1': 1,
      'p2-2': 1,
    });
    expect(emulator.stats()).toMatchObject({ processed: 9, retried: 1 });
  });
});
