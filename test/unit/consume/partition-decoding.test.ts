/**
 * Decoding as a step of each record, in its partition's worker: a registry outage stops only
 * the partition of the record that needs it, at that record; the records before it and the
 * other partitions go on in the same invocation. Records are framed by hand (magic byte 0 and
 * a 4-byte schema id); the decoder is a fake whose registry the test takes down and back.
 */
import { describe, expect, it } from 'vitest';
import { createBatchHandler, type BatchHandlerOptions } from '../../../lib/consume/batch-handler';
import type { ConsumedRecord } from '../../../lib/consume/event';
import { DEADLINE_REACHED, SCHEMA_REGISTRY_UNAVAILABLE } from '../../../lib/consume/failure-reason';
import { recordPayloadHash } from '../../../lib/consume/message-id';
import type { RecordFailure } from '../../../lib/consume/partition-worker';
import type { RecordDecoder } from '../../../lib/consume/schema-decoding';
import { SchemaDataInvalidError, SchemaRegistryUnavailableError } from '../../../lib/errors';
import { IdempotencyStatus } from '../../../lib/idempotency/types';
import { silentLogger } from '../../../lib/logger';
import type { DecodedData } from '../../../lib/schema/schemas';
import { failed, kafkaEvent, type RecordSpec } from '../../helpers/kafka-events';
import { FakeClock, FakeStore } from './fake-store';
import { storedRecord } from './plans';

/** Confluent framing of schema 5 around one payload byte. */
const framed = (byte: number): Buffer => Buffer.from([0, 0, 0, 0, 5, byte]);

/** A decoder over a registry the test turns off: framed bytes decode to `{n: <payload byte>}`, a payload byte 0xff never does. */
class FakeRegistryDecoder implements RecordDecoder {
  down = false;
  /** Schema fetches the decoder was asked for, `up` or `down`. */
  readonly asked: string[] = [];
  async decode(bytes: Buffer): Promise<DecodedData | undefined> {
    if (bytes[0] !== 0) return undefined;
    this.asked.push(this.down ? 'down' : 'up');
    if (this.down) throw new SchemaRegistryUnavailableError();
    if (bytes[5] === 0xff) throw new SchemaDataInvalidError('Avro schema 5: the bytes are not Avro of this schema');
    return { format: 'AVRO', schemaId: '5', value: { n: bytes[5] } };
  }
}

/** What the processor saw, in order, and when the handler slept. */
/** A batch handler over `decoder`; its processor throws on the records `refuses` names and logs the others, and its sleeps, in `timeline`. */
function setup(
  decoder: FakeRegistryDecoder,
  onSleep: (sleeps: number) => void = () => undefined,
  options: BatchHandlerOptions = {},
  refuses: (record: ConsumedRecord) => boolean = () => false,
) {
  const clock = new FakeClock();
  const store = new FakeStore();
  const timeline: string[] = [];
  const failures: RecordFailure[] = [];
  let sleeps = 0;
  const handler = createBatchHandler({
    store,
    clock,
    logger: silentLogger,
    scope: 'test',
    leaseMs: 30_000,
    ttlSeconds: 86_400,
    decoder,
    processor: {
      async process(record: ConsumedRecord) {
        if (refuses(record)) throw new Error('the sink refused it');
        timeline.push(`${record.partition}:${record.offset}${record.decodedValue === undefined ? '' : `=${JSON.stringify(record.decodedValue.value)}`}`);
      },
    },
    sleep: async (ms) => {
      clock.nowValueMs += ms;
      sleeps += 1;
      timeline.push('pause');
      onSleep(sleeps);
    },
    onRecordFailed: (failure) => failures.push(failure),
    ...options,
  });
  const startedMs = clock.nowMs();
  const context = (timeoutMs: number) => ({ awsRequestId: 'r-1', getRemainingTimeInMillis: () => startedMs + timeoutMs - clock.nowMs() });
  return { handler, store, timeline, failures, context };
}

const plain = (partition: number, offset: number): RecordSpec => ({ partition, offset, value: { plain: offset } });
const schemad = (partition: number, offset: number, byte = offset): RecordSpec => ({ partition, offset, rawValue: framed(byte) });

describe('decoding in the partition worker, with the registry down', () => {
  it('processes a plain partition in full while the framed partition stops at its first framed record, the plain records before it done', async () => {
    const decoder = new FakeRegistryDecoder();
    decoder.down = true;
    const { handler, timeline, failures, store } = setup(decoder);
    // No known deadline: nothing is waited for.
    const response = await handler(kafkaEvent([plain(0, 1), plain(0, 2), plain(0, 3), plain(1, 10), plain(1, 11), schemad(1, 12), plain(1, 13)]));
    expect(response).toEqual({ batchItemFailures: [failed('orders-1', 12), failed('orders-1', 13)] });
    expect(timeline.filter((entry) => entry.startsWith('0:'))).toEqual(['0:1', '0:2', '0:3']);
    expect(timeline.filter((entry) => entry.startsWith('1:'))).toEqual(['1:10', '1:11']);
    expect(failures).toEqual([{ topic: 'orders', partition: 1, offset: 12, reason: SCHEMA_REGISTRY_UNAVAILABLE }]);
    // The stopped record and the one after it hold no claim: the retry takes them at once.
    expect(store.items.get('consume:test:orders-1-12')).toBeUndefined();
    expect(store.items.get('consume:test:orders-1-13')).toBeUndefined();
    expect(store.items.get('consume:test:orders-1-11')?.status).toBe(IdempotencyStatus.Completed);
  });

  it('applies the records before a framed one before its first pause, and the rest once the registry is back', async () => {
    const decoder = new FakeRegistryDecoder();
    decoder.down = true;
    const { handler, timeline, failures, context } = setup(decoder, (sleeps) => {
      if (sleeps === 2) decoder.down = false;
    });
    const response = await handler(kafkaEvent([plain(0, 1), plain(0, 2), schemad(0, 3), plain(0, 4)]), context(60_000));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(timeline).toEqual(['0:1', '0:2', 'pause', 'pause', '0:3={"n":3}', '0:4']);
    expect(failures).toEqual([]);
    expect(decoder.asked).toEqual(['down', 'down', 'up']);
  });

  it('fails the framed record as unavailable once the invocation may wait no longer, never as undecodable', async () => {
    const decoder = new FakeRegistryDecoder();
    decoder.down = true;
    const { handler, timeline, failures, context } = setup(decoder);
    const response = await handler(kafkaEvent([schemad(0, 1), plain(0, 2), plain(1, 5)]), context(3_000));
    expect(response).toEqual({ batchItemFailures: [failed('orders-0', 1), failed('orders-0', 2)] });
    expect(timeline.filter((entry) => entry !== 'pause')).toEqual(['1:5']);
    expect(timeline.filter((entry) => entry === 'pause').length).toBeGreaterThan(0);
    expect(failures).toEqual([{ topic: 'orders', partition: 0, offset: 1, reason: SCHEMA_REGISTRY_UNAVAILABLE }]);
  });

  it('runs the plain partitions queued behind framed ones that wait: a pause gives its partition slot back', async () => {
    const decoder = new FakeRegistryDecoder();
    decoder.down = true;
    // Two slots, both taken first by the framed partitions; the plain ones are queued behind them.
    const { handler, timeline, failures, context } = setup(decoder, undefined, { partitionConcurrency: 2 });
    const records = [schemad(0, 1), schemad(1, 1), plain(2, 1), plain(2, 2), plain(2, 3), plain(3, 1), plain(3, 2)];
    const response = await handler(kafkaEvent(records), context(60_000));
    expect(response).toEqual({ batchItemFailures: [failed('orders-0', 1), failed('orders-1', 1)] });
    expect(timeline.filter((entry) => entry.startsWith('2:'))).toEqual(['2:1', '2:2', '2:3']);
    expect(timeline.filter((entry) => entry.startsWith('3:'))).toEqual(['3:1', '3:2']);
    // The plain partitions were done while the framed ones still waited, not after their wait.
    const lastPause = timeline.lastIndexOf('pause');
    expect(timeline.indexOf('2:3')).toBeLessThan(lastPause);
    expect(timeline.indexOf('3:2')).toBeLessThan(lastPause);
    expect(failures.map(({ partition, reason }) => ({ partition, reason }))).toEqual([
      { partition: 0, reason: SCHEMA_REGISTRY_UNAVAILABLE },
      { partition: 1, reason: SCHEMA_REGISTRY_UNAVAILABLE },
    ]);
    expect(failures.some(({ reason }) => reason === DEADLINE_REACHED)).toBe(false);
  });

  it('asks the registry nothing for a record already done (a duplicate skipped before its step)', async () => {
    const decoder = new FakeRegistryDecoder();
    decoder.down = true;
    const { handler, store, timeline } = setup(decoder);
    store.items.set(
      'consume:test:m-1',
      storedRecord(IdempotencyStatus.Completed, { key: 'consume:test:m-1', payloadHash: recordPayloadHash({ key: null, value: framed(1) }) }),
    );
    const response = await handler(kafkaEvent([{ ...schemad(0, 1), headers: { 'message-id': 'm-1' } }, plain(0, 2)]));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(timeline).toEqual(['0:2']);
    expect(decoder.asked).toEqual([]);
  });
});

describe('decoding in the partition worker, a registry that does not answer', () => {
  it('ends a registry try at the wait deadline, so the invocation answers in the time kept for it', async () => {
    const decoder = new FakeRegistryDecoder();
    // A try that takes SCHEMA_REGISTRY_TIMEOUT_MS and more: it never settles.
    decoder.decode = async (bytes) => (bytes[0] === 0 ? new Promise<never>(() => undefined) : undefined);
    const { handler, timeline, failures, context } = setup(decoder);
    // 400 ms left: the wait deadline is 300 ms away (by the fake clock, which the timers follow
    // here as nothing else moves it), 100 ms kept to answer.
    const answer = handler(kafkaEvent([schemad(0, 1), plain(0, 2), plain(1, 5)]), context(400));
    const noAnswer = new Promise((resolve) => setTimeout(() => resolve('no answer within 3 s'), 3_000));
    expect(await Promise.race([answer, noAnswer])).toEqual({ batchItemFailures: [failed('orders-0', 1), failed('orders-0', 2)] });
    expect(timeline.filter((entry) => entry !== 'pause')).toEqual(['1:5']);
    expect(failures).toEqual([{ topic: 'orders', partition: 0, offset: 1, reason: SCHEMA_REGISTRY_UNAVAILABLE }]);
  });
});

describe('decoding in the partition worker, a record before the wait that fails', () => {
  it('stops the partition at that record, not at the framed one, and waits for nothing', async () => {
    const decoder = new FakeRegistryDecoder();
    decoder.down = true;
    const { handler, timeline, failures, context } = setup(decoder, undefined, {}, (record) => record.offset === 1);
    const response = await handler(kafkaEvent([plain(0, 1), schemad(0, 2)]), context(60_000));
    expect(response).toEqual({ batchItemFailures: [failed('orders-0', 1), failed('orders-0', 2)] });
    expect(failures).toEqual([{ topic: 'orders', partition: 0, offset: 1, reason: 'processor failed' }]);
    expect(decoder.asked).toEqual(['down']);
    expect(timeline.filter((entry) => entry === 'pause')).toEqual([]);
  });
});

describe('decoding in the partition worker, a record that does not decode', () => {
  it('fails alone at its place, naming the format and schema id; the records before it and other partitions are done', async () => {
    const decoder = new FakeRegistryDecoder();
    const { handler, timeline, failures, context } = setup(decoder);
    const response = await handler(kafkaEvent([schemad(0, 1), schemad(0, 2, 0xff), schemad(0, 3), plain(1, 7)]), context(60_000));
    expect(response).toEqual({ batchItemFailures: [failed('orders-0', 2), failed('orders-0', 3)] });
    expect([...timeline].sort()).toEqual(['0:1={"n":1}', '1:7']);
    expect(failures).toEqual([
      { topic: 'orders', partition: 0, offset: 2, reason: 'not decodable with its schema: value: Avro schema 5: the bytes are not Avro of this schema' },
    ]);
  });
});
