import { describe, expect, it } from 'vitest';
import { countRedriven, summarizeBatch } from '../../../lib/consume/batch-summary';
import { decodeKafkaEvent } from '../../../lib/consume/event';
import { kafkaEvent } from '../../helpers/kafka-events';
import { batchCorrelationId } from '../../../lib/consume/correlation-id';
import { FailureClass, failureClassOf } from '../../../lib/consume/failure-reason';

describe('failureClassOf', () => {
  it.each([
    ['malformed record', 'malformed'],
    ['message id reused with a different payload', 'payload-conflict'],
    ['held by another invocation', 'contention'],
    ['claim lost: its lease ran out and another invocation took the message over', 'contention'],
    ['claim failed', 'store-error'],
    ['completion failed', 'store-error'],
    ['idempotency store unreadable', 'store-error'],
    ['processor failed', 'processor-error'],
    ['invocation deadline reached', 'deadline'],
    ['something new', 'other'],
  ])('%s -> %s', (reason, expected) => {
    expect(failureClassOf(reason)).toBe(expected);
  });
});

describe('summarizeBatch', () => {
  it('counts the stopping record under its class and the records after it apart', () => {
    const summary = summarizeBatch(
      [
        { partitionKey: 'a-0', offsets: [1, 2, 3], processed: 2, skippedDuplicates: 1 },
        {
          partitionKey: 'a-1',
          offsets: [7, 8, 9, 10],
          processed: 1,
          skippedDuplicates: 0,
          firstFailedOffset: 8,
          stopReason: 'message id reused with a different payload',
        },
        { partitionKey: 'a-2', offsets: [4], processed: 0, skippedDuplicates: 0, firstFailedOffset: 4, stopReason: 'processor failed' },
      ],
      8,
      125,
    );
    expect(summary).toEqual({
      records: 8,
      partitions: 3,
      processed: 3,
      skippedDuplicates: 1,
      failed: 4,
      failedPartitions: 2,
      payloadConflicts: 1,
      failedByClass: { [FailureClass.PayloadConflict]: 1, [FailureClass.AfterEarlierFailure]: 2, [FailureClass.ProcessorError]: 1 },
      redriven: 0,
      durationMs: 125,
    });
  });

  it('counts nothing failed for a clean batch', () => {
    const summary = summarizeBatch([{ partitionKey: 'a-0', offsets: [1], processed: 1, skippedDuplicates: 0 }], 1, 3);
    expect(summary.failedByClass).toEqual({});
    expect(summary.failed).toBe(0);
  });
});

describe('summarizeBatch: classes with no records', () => {
  it('lists no class for the records after a stop when the stopping record was the last', () => {
    const summary = summarizeBatch(
      [{ partitionKey: 'orders-0', offsets: [1, 2], processed: 1, skippedDuplicates: 0, firstFailedOffset: 2, stopReason: 'processor failed' }],
      2,
      0,
    );
    expect(summary.failedByClass).toEqual({ [FailureClass.ProcessorError]: 1 });
  });
});

describe('countRedriven', () => {
  it('counts the records carrying a redriven-from header, whatever their partition, malformed ones left out', () => {
    const decoded = decodeKafkaEvent(
      kafkaEvent([
        { partition: 0, offset: 1, value: { n: 1 }, headers: { 'redriven-from': 'dlq/0/1' } },
        { partition: 0, offset: 2, value: { n: 2 }, headers: { 'message-id': 'm-2' } },
        { partition: 1, offset: 3, value: { n: 3 }, headers: { 'message-id': 'm-3', 'redriven-from': 'dlq/2/9' } },
      ]),
    );
    expect(countRedriven(decoded)).toBe(2);
    expect(summarizeBatch([], 3, 1, countRedriven(decoded)).redriven).toBe(2);
  });
});

describe('batchCorrelationId', () => {
  it.each([
    [{ records: { 'orders-3': [{ offset: 41 }, { offset: 42 }] } }, 'orders-3@41'],
    [{ records: { 'orders-3': [], 'orders-4': [{ offset: 9 }] } }, 'orders-4@9'],
    [{ records: {} }, 'kafka-batch'],
    [{}, 'kafka-batch'],
    [{ records: 5 }, 'kafka-batch'],
    [{ records: null }, 'kafka-batch'],
    [{ records: { 'orders-3': [{ offset: '41' }] } }, 'kafka-batch'],
    [null, 'kafka-batch'],
    ['not an event', 'kafka-batch'],
  ])('%j -> %s', (event, expected) => {
    expect(batchCorrelationId(event)).toBe(expected);
  });
});
