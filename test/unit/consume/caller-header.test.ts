/**
 * The consume runtime checks the produce function's caller header with the container's keys:
 * a header that verifies names the caller, any other counts as no caller and is counted in the
 * metric `CallerHeadersRejected`. The keys are read once, before the first record.
 */
import { describe, expect, it } from 'vitest';
import { createCallerKeySource } from '../../../lib/caller-mac/key-source';
import { loadConfig } from '../../../lib/config';
import { createCallerCheck } from '../../../lib/consume/caller-check';
import { createConsumeRuntime, type ConsumedRecord, type ProcessContext, type RecordProcessor } from '../../../lib/consume';
import { silentLogger } from '../../../lib/logger';
import type { Dimension, MetricName, MetricsRecorder } from '../../../lib/observability/metrics';
import { KEY_1, keyRingText, stampedCallerHeader, TEST_CALLER_KEYS, TEST_KEY_RING } from '../../helpers/caller-keys';
import { kafkaEvent } from '../../helpers/kafka-events';
import { FakeStore } from './fake-store';
import { entriesOf } from './plans';

// printf 'iam:AIDAEXAMPLEALICE' | sha256sum
const ALICE = 'sha256:52bb9314aaed7ee64c42819cede4206be40e8de4baff18b4e4c0c730c4115196';
const config = loadConfig({ AWS_LAMBDA_FUNCTION_NAME: '', KAFKA_BROKERS: '127.0.0.1:1', ALLOWED_TOPICS: '*', AWS_REGION: 'us-east-1' });

/** Counts by `<name>[<dimension value>]`. */
function countingMetrics(): MetricsRecorder & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    count(name: MetricName, value: number, dimension?: Dimension) {
      const key = dimension === undefined ? name : `${name}[${dimension.value}]`;
      counts.set(key, (counts.get(key) ?? 0) + value);
    },
    durationMs: () => undefined,
    flush: () => undefined,
  };
}

class Recording implements RecordProcessor {
  readonly seen: { offset: number; messageId: string; callerId?: string }[] = [];
  async process(record: ConsumedRecord, { messageId, callerId }: ProcessContext): Promise<void> {
    this.seen.push({ offset: record.offset, messageId, ...(callerId === undefined ? {} : { callerId }) });
  }
}

const stamped = (offset: number, id: string, from: string) => ({
  offset,
  value: { from },
  headers: { 'message-id': id, 'x-caller-id': stampedCallerHeader(ALICE, { topic: 'orders', messageId: id, value: JSON.stringify({ from }) }) },
});

describe('the consume runtime and caller headers', () => {
  it('attributes a verified header, treats forged ones as no caller and counts them by reason', async () => {
    const processor = new Recording();
    const metrics = countingMetrics();
    const runtime = createConsumeRuntime(config, { logger: silentLogger, metrics, store: new FakeStore(), processor, callerKeys: TEST_CALLER_KEYS });
    const valid = stamped(1, 'm-1', 'alice');
    const header = (valid.headers as Record<string, string>)['x-caller-id'] as string;
    const response = await runtime.handler(
      kafkaEvent([
        valid,
        { offset: 2, headers: { 'message-id': 'm-2', 'x-caller-id': ALICE } },
        { offset: 3, value: { from: 'mallory' }, headers: { 'message-id': 'm-1', 'x-caller-id': header } },
        { offset: 4, headers: { 'message-id': 'm-4', 'x-caller-id': header.replace('v1.k1.', 'v1.k7.') } },
        { offset: 5, headers: { 'message-id': 'm-5' } },
      ]),
    );
    await runtime.close();
    expect(response).toEqual({ batchItemFailures: [] });
    expect(processor.seen).toEqual([
      { offset: 1, messageId: 'caller:c2hhMjU2OjUyYmI5MzE0YWFlZDdlZTY0YzQyODE5Y2VkZTQyMDZiZTQwZThkZTRiYWZmMThiNGU0YzBjNzMwYzQxMTUxOTY:m-1', callerId: ALICE },
      { offset: 2, messageId: 'm-2' },
      { offset: 3, messageId: 'm-1' },
      { offset: 4, messageId: 'm-4' },
      { offset: 5, messageId: 'm-5' },
    ]);
    expect(Object.fromEntries([...metrics.counts].filter(([name]) => name.startsWith('CallerHeadersRejected')))).toEqual({
      'CallerHeadersRejected[malformed]': 1,
      'CallerHeadersRejected[bad-mac]': 1,
      'CallerHeadersRejected[unknown-key]': 1,
    });
  });

  it('reads the key secret once per container, and processes nothing while it cannot be read', async () => {
    let reads = 0;
    let available = false;
    const callerKeys = createCallerKeySource({ secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:k', region: 'us-east-1' }, async () => {
      reads += 1;
      if (!available) throw new Error('Secrets Manager unreachable');
      return keyRingText('k1', { k1: KEY_1 });
    });
    const processor = new Recording();
    const runtime = createConsumeRuntime(config, { logger: silentLogger, store: new FakeStore(), processor, callerKeys });
    await expect(runtime.handler(kafkaEvent([stamped(1, 'a', 'alice')]))).rejects.toThrow('the caller key is unavailable; retry later');
    expect(processor.seen).toEqual([]);
    available = true;
    for (let offset = 1; offset <= 3; offset += 1) await runtime.handler(kafkaEvent([stamped(offset, `m-${offset}`, 'alice')]));
    await runtime.close();
    expect(reads).toBe(2);
    expect(processor.seen.map(({ callerId }) => callerId)).toEqual([ALICE, ALICE, ALICE]);
  });
});

describe('createCallerCheck', () => {
  it('counts a rejected header under the dimension "reason"', () => {
    const dimensions: (Dimension | undefined)[] = [];
    const metrics: MetricsRecorder = { count: (_name, _value, dimension) => dimensions.push(dimension), durationMs: () => undefined, flush: () => undefined };
    const entry = entriesOf([{ offset: 1, headers: { 'message-id': 'm-1' } }])[0] as { record: ConsumedRecord };
    expect(createCallerCheck(TEST_KEY_RING, metrics)(Buffer.from('not a stamp'), entry.record)).toBeUndefined();
    expect(dimensions).toEqual([{ name: 'reason', value: 'malformed' }]);
  });

  it("counts a null caller header (Kafka's null value) as malformed, proving no caller", () => {
    const dimensions: (Dimension | undefined)[] = [];
    const metrics: MetricsRecorder = { count: (_name, _value, dimension) => dimensions.push(dimension), durationMs: () => undefined, flush: () => undefined };
    const entry = entriesOf([{ offset: 1, headers: { 'message-id': 'm-1' } }])[0] as { record: ConsumedRecord };
    expect(createCallerCheck(TEST_KEY_RING, metrics)(null, entry.record)).toBeUndefined();
    expect(dimensions).toEqual([{ name: 'reason', value: 'malformed' }]);
  });

  it('verifies a stamp against a record whose last message-id is null as against one with no message-id', () => {
    const metrics: MetricsRecorder = { count: () => undefined, durationMs: () => undefined, flush: () => undefined };
    const check = createCallerCheck(TEST_KEY_RING, metrics);
    const value = JSON.stringify({ from: 'alice' });
    const [entry] = entriesOf([{ offset: 1, value: { from: 'alice' }, headers: { 'message-id': 'm-1' } }]) as { record: ConsumedRecord }[];
    const record = { ...(entry as { record: ConsumedRecord }).record, headers: [{ name: 'message-id', value: null }] };
    // Stamped over no message-id: the null one stands for none, as the produce side's MAC reads it.
    expect(check(Buffer.from(stampedCallerHeader(ALICE, { topic: 'orders', value }), 'latin1'), record)).toBe(ALICE);
    // Stamped over the id "m-1": a null last id is not that id, so the stamp does not verify.
    expect(check(Buffer.from(stampedCallerHeader(ALICE, { topic: 'orders', messageId: 'm-1', value }), 'latin1'), record)).toBeUndefined();
  });

  it('verifies a stamp made over no message-id against a record that has none', () => {
    const metrics: MetricsRecorder = { count: () => undefined, durationMs: () => undefined, flush: () => undefined };
    const value = JSON.stringify({ from: 'alice' });
    const [entry] = entriesOf([{ offset: 1, value: { from: 'alice' }, headers: {} }]) as { record: ConsumedRecord }[];
    const record = { ...(entry as { record: ConsumedRecord }).record, headers: [] };
    const stamp = Buffer.from(stampedCallerHeader(ALICE, { topic: 'orders', value }), 'latin1');
    expect(createCallerCheck(TEST_KEY_RING, metrics)(stamp, record)).toBe(ALICE);
  });
});
