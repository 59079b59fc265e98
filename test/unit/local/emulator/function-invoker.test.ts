import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../../lib/clock';
import { silentLogger } from '../../../../lib/logger';
import { createFunctionInvoker, type KafkaEventHandler } from '../../../../local/emulator/function-invoker';
import type { FetchedRecord } from '../../../../local/kafka/consumer';

const cluster = { brokers: ['127.0.0.1:19092'], region: 'us-east-1' };

function records(partition: number, ...offsets: number[]): FetchedRecord[] {
  return offsets.map((offset) => ({ topic: 't', partition, offset: String(offset), timestampMs: 1, key: null, value: Buffer.from('v'), headers: [] }));
}

describe('createFunctionInvoker', () => {
  it('invokes once with every partition, passes the request id and remaining time, and reads the answer per partition', async () => {
    const seen: { partitions: string[]; requestId: string; remainingMs: number }[] = [];
    const handler: KafkaEventHandler = async (event, context) => {
      seen.push({ partitions: Object.keys(event.records), requestId: context.awsRequestId, remainingMs: context.getRemainingTimeInMillis() });
      return { batchItemFailures: [{ itemIdentifier: { partition: 't-1', offset: 8 } }] };
    };
    const invoker = createFunctionInvoker({ handler, cluster, invocationTimeoutMs: 1_000, clock: systemClock, logger: silentLogger });
    const invocation = await invoker.invoke([records(0, 3, 4), records(1, 7, 8)], 'req-1');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ partitions: ['t-0', 't-1'], requestId: 'req-1' });
    expect(seen[0]?.remainingMs).toBeGreaterThan(900);
    expect(invocation).toEqual({
      outcomes: [{ kind: 'succeeded' }, { kind: 'failed', failedOffset: 8n, functionError: 'BatchItemFailure' }],
      timedOut: false,
    });
  });

  it("fails a timed-out invocation with Lambda's message, and starts the partition's next one only once it has ended", async () => {
    const spans: { startMs: number; endMs?: number }[] = [];
    const handler: KafkaEventHandler = async () => {
      const span: { startMs: number; endMs?: number } = { startMs: Date.now() };
      spans.push(span);
      if (spans.length === 1) await new Promise((resolve) => setTimeout(resolve, 150));
      span.endMs = Date.now();
    };
    const invoker = createFunctionInvoker({ handler, cluster, invocationTimeoutMs: 100, clock: systemClock, logger: silentLogger });
    const first = await invoker.invoke([records(0, 1)], 'req-1');
    expect(first).toEqual({ outcomes: [{ kind: 'failed', failedOffset: 1n, functionError: 'Task timed out after 0.10 seconds' }], timedOut: true });
    const retry = await invoker.invoke([records(0, 1)], 'req-2');
    expect(retry).toEqual({ outcomes: [{ kind: 'succeeded' }], timedOut: false });
    expect((spans[1]?.startMs ?? 0) >= (spans[0]?.endMs ?? Number.POSITIVE_INFINITY)).toBe(true);
  });

  it('fails every partition from its first record when the handler throws', async () => {
    const invoker = createFunctionInvoker({
      handler: async () => {
        throw new Error('boom');
      },
      cluster,
      invocationTimeoutMs: 1_000,
      clock: systemClock,
      logger: silentLogger,
    });
    expect((await invoker.invoke([records(0, 5, 6), records(2, 9)], 'r')).outcomes).toEqual([
      { kind: 'failed', failedOffset: 5n, functionError: 'boom' },
      { kind: 'failed', failedOffset: 9n, functionError: 'boom' },
    ]);
  });
});
