import { describe, expect, it } from 'vitest';
import { decideBatch, openWindows, retryBackoffMs, type BatchDecision, type BatchFacts } from '../../../../local/emulator/batch-decision';

const backoff = { initialMs: 200, maxMs: 5_000 };
const offsets = [10n, 11n, 12n, 13n];
const reported = (failedOffset: bigint) => ({ kind: 'failed', failedOffset, functionError: 'BatchItemFailure' }) as const;
const threw = { kind: 'failed', failedOffset: 10n, functionError: 'table missing' } as const;

describe('decideBatch', () => {
  const cases: { name: string; facts: Omit<BatchFacts, 'backoff'>; expected: BatchDecision }[] = [
    {
      name: 'success: commit past the batch',
      facts: { outcome: { kind: 'succeeded' }, offsets, maximumRetryAttempts: 2 },
      expected: { kind: 'advance', commitOffset: 14n, processed: 4 },
    },
    {
      name: 'success clears an earlier failing position',
      facts: { outcome: { kind: 'succeeded' }, offsets, previous: { offset: 12n, attempts: 2 }, maximumRetryAttempts: 2 },
      expected: { kind: 'advance', commitOffset: 14n, processed: 4 },
    },
    {
      name: 'a first failure in the middle: the records before it done, retry after the first backoff',
      facts: { outcome: reported(12n), offsets, maximumRetryAttempts: 2 },
      expected: { kind: 'retry', processed: 2, position: { offset: 12n, attempts: 1 }, functionError: 'BatchItemFailure', backoffMs: 200 },
    },
    {
      name: 'the same position failing again: the next attempt, a doubled backoff',
      facts: { outcome: reported(12n), offsets: [12n, 13n], previous: { offset: 12n, attempts: 1 }, maximumRetryAttempts: 2 },
      expected: { kind: 'retry', processed: 0, position: { offset: 12n, attempts: 2 }, functionError: 'BatchItemFailure', backoffMs: 400 },
    },
    {
      name: 'another position failing: its attempts count from one',
      facts: { outcome: reported(13n), offsets, previous: { offset: 12n, attempts: 2 }, maximumRetryAttempts: 2 },
      expected: { kind: 'retry', processed: 3, position: { offset: 13n, attempts: 1 }, functionError: 'BatchItemFailure', backoffMs: 200 },
    },
    {
      name: 'retries exhausted on a reported record: it alone is dead-lettered, the rest delivered next',
      facts: { outcome: reported(11n), offsets: [11n, 12n, 13n], previous: { offset: 11n, attempts: 2 }, maximumRetryAttempts: 2 },
      expected: {
        kind: 'dead-letter',
        processed: 0,
        position: { offset: 11n, attempts: 3 },
        functionError: 'BatchItemFailure',
        backoffMs: 800,
        deadLetterOffsets: [11n],
        resumeAtOffset: 12n,
        skipped: 2,
      },
    },
    {
      name: 'retries exhausted on the last record: the partition moves past the batch',
      facts: { outcome: reported(13n), offsets, previous: { offset: 13n, attempts: 1 }, maximumRetryAttempts: 1 },
      expected: {
        kind: 'dead-letter',
        processed: 3,
        position: { offset: 13n, attempts: 2 },
        functionError: 'BatchItemFailure',
        backoffMs: 400,
        deadLetterOffsets: [13n],
        resumeAtOffset: 14n,
        skipped: 0,
      },
    },
    {
      name: 'retries exhausted after a thrown error: the whole batch is dead-lettered',
      facts: { outcome: threw, offsets, previous: { offset: 10n, attempts: 1 }, maximumRetryAttempts: 1 },
      expected: {
        kind: 'dead-letter',
        processed: 0,
        position: { offset: 10n, attempts: 2 },
        functionError: 'table missing',
        backoffMs: 400,
        deadLetterOffsets: offsets,
        resumeAtOffset: 14n,
        skipped: 0,
      },
    },
    {
      name: 'no retries configured: the first failure dead-letters',
      facts: { outcome: reported(10n), offsets, maximumRetryAttempts: 0 },
      expected: {
        kind: 'dead-letter',
        processed: 0,
        position: { offset: 10n, attempts: 1 },
        functionError: 'BatchItemFailure',
        backoffMs: 200,
        deadLetterOffsets: [10n],
        resumeAtOffset: 11n,
        skipped: 3,
      },
    },
    {
      name: 'bisection on, a thrown error on 4 records: deliver again from the same offset, halved, no retry used',
      facts: { outcome: threw, offsets, maximumRetryAttempts: 0, bisect: true },
      expected: {
        kind: 'bisect',
        processed: 0,
        position: { offset: 10n, attempts: 0 },
        functionError: 'table missing',
        backoffMs: 200,
        window: { untilOffset: 14n, batchSize: 2 },
      },
    },
    {
      name: 'bisection of an odd batch: the first half is the larger',
      facts: { outcome: { ...threw, failedOffset: 11n }, offsets: [11n, 12n, 13n], maximumRetryAttempts: 2, bisect: true },
      expected: {
        kind: 'bisect',
        processed: 0,
        position: { offset: 11n, attempts: 0 },
        functionError: 'table missing',
        backoffMs: 200,
        window: { untilOffset: 14n, batchSize: 2 },
      },
    },
    {
      name: 'bisection on an invalid answer, too (a function error)',
      facts: { outcome: { ...threw, functionError: 'InvalidBatchItemFailures' }, offsets: [10n, 11n], maximumRetryAttempts: 2, bisect: true },
      expected: {
        kind: 'bisect',
        processed: 0,
        position: { offset: 10n, attempts: 0 },
        functionError: 'InvalidBatchItemFailures',
        backoffMs: 200,
        window: { untilOffset: 12n, batchSize: 1 },
      },
    },
    {
      name: 'bisection down to one record: it fails alone, retries exhausted, it alone is dead-lettered',
      facts: { outcome: threw, offsets: [10n], maximumRetryAttempts: 0, bisect: true },
      expected: {
        kind: 'dead-letter',
        processed: 0,
        position: { offset: 10n, attempts: 1 },
        functionError: 'table missing',
        backoffMs: 200,
        deadLetterOffsets: [10n],
        resumeAtOffset: 11n,
        skipped: 0,
      },
    },
    {
      name: 'bisection does not split on reported records: they are retried as usual',
      facts: { outcome: reported(12n), offsets, maximumRetryAttempts: 2, bisect: true },
      expected: { kind: 'retry', processed: 2, position: { offset: 12n, attempts: 1 }, functionError: 'BatchItemFailure', backoffMs: 200 },
    },
    {
      name: 'offsets with gaps (filtered records left out): processed counts the records before the failure',
      facts: { outcome: reported(15n), offsets: [10n, 13n, 15n], maximumRetryAttempts: 2 },
      expected: { kind: 'retry', processed: 2, position: { offset: 15n, attempts: 1 }, functionError: 'BatchItemFailure', backoffMs: 200 },
    },
  ];

  it.each(cases)('$name', ({ facts, expected }) => {
    expect(decideBatch({ ...facts, backoff })).toEqual(expected);
  });
});

describe('openWindows', () => {
  const outer = { untilOffset: 18n, batchSize: 4 };
  const inner = { untilOffset: 14n, batchSize: 2 };
  it.each([
    ['none', [], 10n, []],
    ['inside both: both open, the inner last', [outer, inner], 12n, [outer, inner]],
    ['at the inner end: the rest of the outer', [outer, inner], 14n, [outer]],
    ['past both', [outer, inner], 18n, []],
  ])('%s', (_name, given, nextOffset, expected) => {
    expect(openWindows(given, nextOffset)).toEqual(expected);
  });
});

describe('retryBackoffMs', () => {
  it.each([
    { attempt: 1, expected: 200 },
    { attempt: 2, expected: 400 },
    { attempt: 5, expected: 3_200 },
    { attempt: 6, expected: 5_000 },
    { attempt: 30, expected: 5_000 },
  ])('attempt $attempt: $expected ms', ({ attempt, expected }) => {
    expect(retryBackoffMs(attempt, backoff)).toBe(expected);
  });
});
