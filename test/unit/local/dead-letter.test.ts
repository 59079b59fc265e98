import { describe, expect, it } from 'vitest';
import { deadLetterRecord } from '../../../local/dead-letter';

describe('deadLetterRecord', () => {
  it('keeps the key, value and headers and appends the failure metadata headers', () => {
    const record = deadLetterRecord(
      {
        topic: 'events',
        partition: 2,
        offset: '41',
        timestampMs: 1_700_000_000_000,
        key: Buffer.from('k'),
        value: Buffer.from('oops'),
        headers: [{ name: 'message-id', value: Buffer.from('m-1') }],
      },
      { invokeCount: 4, functionError: 'BatchItemFailure', eventSourceArn: 'arn:x', failedAtMs: 1_700_000_060_000 },
    );

    expect(record.key?.toString()).toBe('k');
    expect(record.value?.toString()).toBe('oops');
    expect(record.partition).toBeUndefined();
    expect(record.headers.map(({ name, value }) => [name, value.toString()])).toEqual([
      ['message-id', 'm-1'],
      ['x-failure-condition', 'RetryAttemptsExhausted'],
      ['x-failure-approximate-invoke-count', '4'],
      ['x-failure-function-error', 'BatchItemFailure'],
      ['x-failure-source-topic', 'events'],
      ['x-failure-source-partition', '2'],
      ['x-failure-source-offset', '41'],
      ['x-failure-source-timestamp-ms', '1700000000000'],
      ['x-failure-event-source-arn', 'arn:x'],
      ['x-failure-failed-at', '2023-11-14T22:14:20.000Z'],
    ]);
  });

  it("adds the consume function's reason after the function error when there is one", () => {
    const record = deadLetterRecord(
      { topic: 'events', partition: 0, offset: '7', timestampMs: 1_700_000_000_000, key: null, value: Buffer.from('{}'), headers: [] },
      {
        invokeCount: 4,
        functionError: 'BatchItemFailure',
        reason: 'message id reused with a different payload',
        eventSourceArn: 'arn:x',
        failedAtMs: 1_700_000_060_000,
      },
    );
    const names = record.headers.map(({ name }) => name);
    expect(names.slice(names.indexOf('x-failure-function-error'), names.indexOf('x-failure-function-error') + 2)).toEqual([
      'x-failure-function-error',
      'x-failure-reason',
    ]);
    expect(record.headers.find(({ name }) => name === 'x-failure-reason')?.value.toString()).toBe('message id reused with a different payload');
  });
});
