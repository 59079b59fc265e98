import { describe, expect, it } from 'vitest';
import { failureMessage, FailureCondition, type RecordFailure } from '../../../local/emulator/failure-record';
import type { FetchedRecord } from '../../../local/kafka/consumer';
import { emptySummary, redriveGroupId, redrivenRecord, redriveVerdict, tally, type RedriveFilters } from '../../../local/redrive';

const mapping = { cluster: { brokers: ['127.0.0.1:19092'], region: 'us-east-1' }, functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f' };

function failed(
  partition: number,
  offset: number,
  failure: Partial<RecordFailure> = {},
  headers: { name: string; value: Buffer | null }[] = [{ name: 'message-id', value: Buffer.from(`m-${offset}`) }],
): { value: Buffer | null; headers: { name: string; value: Buffer }[] } {
  const record: FetchedRecord = {
    topic: 'events',
    partition,
    offset: String(offset),
    timestampMs: 1_700_000_000_000,
    key: Buffer.from('k'),
    value: Buffer.from('{"n":1}'),
    headers,
  };
  const message = failureMessage(
    record,
    { condition: FailureCondition.RetryAttemptsExhausted, failedAtMs: Date.UTC(2026, 0, 1, 0, 0, offset), reason: 'processor failed', ...failure },
    mapping,
    () => 'id',
  );
  // A failure record's only header is the reason, never null.
  return { value: message.value, headers: message.headers.map(({ name, value }) => ({ name, value: value as Buffer })) };
}

describe('redriveVerdict', () => {
  it.each([
    ['no filters: redrive', {}, failed(1, 5), 'redrive'],
    ['a reason substring that matches', { reasons: ['processor'] }, failed(1, 5), 'redrive'],
    ['one of several reasons', { reasons: ['nope', 'failed'] }, failed(1, 5), 'redrive'],
    ['a reason that does not match', { reasons: ['reused'] }, failed(1, 5), 'pass-over'],
    [
      'without a reason header, the condition is the reason',
      { reasons: ['RecordAgeExceeded'] },
      failed(1, 5, { condition: 'RecordAgeExceeded', reason: undefined }),
      'redrive',
    ],
    ['the partition', { partitions: [1] }, failed(1, 5), 'redrive'],
    ['another partition', { partitions: [0, 2] }, failed(1, 5), 'pass-over'],
    ['inside the offset range (inclusive)', { fromOffset: 5, toOffset: 5 }, failed(1, 5), 'redrive'],
    ['before the range', { fromOffset: 6 }, failed(1, 5), 'pass-over'],
    ['after the range', { toOffset: 4 }, failed(1, 5), 'pass-over'],
    ['every filter must match', { partitions: [1], reasons: ['reused'] }, failed(1, 5), 'pass-over'],
    ['not a failure record', {}, { value: Buffer.from('plain'), headers: [] }, 'unreadable'],
  ] as [string, RedriveFilters, ReturnType<typeof failed>, string][])('%s', (_name, filters, message, kind) => {
    expect(redriveVerdict(message, filters).kind).toBe(kind);
  });

  it('reads a failure record without its payload as one that cannot be redriven', () => {
    const big = failed(0, 1);
    const document = JSON.parse(big.value?.toString() ?? '');
    delete document.payload;
    expect(redriveVerdict({ value: Buffer.from(JSON.stringify(document)), headers: [] }, {})).toEqual({ kind: 'no-payload' });
  });
});

describe('redrivenRecord', () => {
  it('keeps partition, key, value and headers, and adds where it was redriven from', () => {
    const verdict = redriveVerdict(failed(2, 9), {});
    if (verdict.kind !== 'redrive') throw new Error('expected a redrive');
    const record = redrivenRecord(verdict.record, { topic: 'events-dlq', partition: 0, offset: '41' });
    expect(record.partition).toBe(2);
    expect(record.key?.toString()).toBe('k');
    expect(record.value?.toString()).toBe('{"n":1}');
    expect(record.headers.map(({ name, value }) => [name, value?.toString()])).toEqual([
      ['message-id', 'm-9'],
      ['redriven-from', 'events-dlq/0/41'],
    ]);
  });
});

describe('redrivenRecord and null header values', () => {
  const headers = [
    { name: 'message-id', value: Buffer.from('m-9') },
    { name: 'trace', value: null },
    { name: 'h', value: Buffer.from('a') },
    { name: 'h', value: null },
  ];

  it("leaves out, counts and tells what the emulator's failure record holds as {} (no name to write back)", () => {
    const verdict = redriveVerdict(failed(2, 9, {}, headers), {});
    if (verdict.kind !== 'redrive') throw new Error('expected a redrive');
    expect(verdict.nullHeadersLeftOut).toBe(2);
    const record = redrivenRecord(verdict.record, { topic: 'events-dlq', partition: 0, offset: '41' });
    expect(record.headers.map(({ name, value }) => [name, value?.toString() ?? null])).toEqual([
      ['message-id', 'm-9'],
      ['h', 'a'],
      ['redriven-from', 'events-dlq/0/41'],
    ]);
    const summary = emptySummary('dry-run', 'dlq', 'g');
    tally(summary, verdict);
    tally(summary, redriveVerdict(failed(2, 10), {}));
    expect(summary.nullHeadersLeftOut).toBe(2);
  });

  it('writes back a null value a failure record holds as {"name": null}, in its place', () => {
    const message = failed(2, 9);
    const document = JSON.parse(message.value?.toString() ?? '') as { payload: { records: Record<string, { headers: unknown[] }[]> } };
    const original = document.payload.records['events-2']?.[0];
    if (original === undefined) throw new Error('no payload record');
    original.headers = [{ 'message-id': [109, 45, 57] }, { trace: null }, { h: [97] }, { h: null }];
    const verdict = redriveVerdict({ value: Buffer.from(JSON.stringify(document)), headers: message.headers }, {});
    if (verdict.kind !== 'redrive') throw new Error('expected a redrive');
    expect(verdict.nullHeadersLeftOut).toBe(0);
    const record = redrivenRecord(verdict.record, { topic: 'events-dlq', partition: 0, offset: '41' });
    expect(record.headers.map(({ name, value }) => [name, value?.toString() ?? null])).toEqual([
      ['message-id', 'm-9'],
      ['trace', null],
      ['h', 'a'],
      ['h', null],
      ['redriven-from', 'events-dlq/0/41'],
    ]);
  });
});

describe('redrivenRecord of a record known by its place', () => {
  it.each([
    ['no message-id header', []],
    ['an empty message-id header', [{ name: 'message-id', value: Buffer.alloc(0) }]],
    ['a message-id that is not UTF-8', [{ name: 'message-id', value: Buffer.from([0xff]) }]],
  ])('%s: the copy carries the identity the original had, events-2-9', (_name, headers) => {
    const verdict = redriveVerdict(failed(2, 9, {}, headers), {});
    if (verdict.kind !== 'redrive') throw new Error('expected a redrive');
    const record = redrivenRecord(verdict.record, { topic: 'events-dlq', partition: 0, offset: '41' });
    expect(record.headers.slice(-2).map(({ name, value }) => [name, value?.toString()])).toEqual([
      ['message-id', 'events-2-9'],
      ['redriven-from', 'events-dlq/0/41'],
    ]);
  });
});

describe('redriveGroupId', () => {
  it('is the plain name without filters, and one per set of filters otherwise', () => {
    expect(redriveGroupId('consume-function', {})).toBe('consume-function-redrive');
    const byReason = redriveGroupId('consume-function', { reasons: ['x'] });
    expect(byReason).toMatch(/^consume-function-redrive-[0-9a-f]{12}$/);
    expect(redriveGroupId('consume-function', { reasons: ['x'] })).toBe(byReason);
    expect(redriveGroupId('consume-function', { reasons: ['y'] })).not.toBe(byReason);
    expect(redriveGroupId('consume-function', { partitions: [1], reasons: ['x'] })).toBe(
      redriveGroupId('consume-function', { reasons: ['x'], partitions: [1] }),
    );
  });
});

describe('tally', () => {
  it('counts each verdict and keeps the matching records oldest and newest failure times', () => {
    const summary = emptySummary('dry-run', 'dlq', 'g');
    for (const message of [failed(0, 7), failed(0, 3), failed(1, 5)]) tally(summary, redriveVerdict(message, {}));
    tally(summary, redriveVerdict(failed(2, 1), { partitions: [0, 1] }));
    tally(summary, { kind: 'unreadable', error: 'x' });
    expect(summary).toMatchObject({
      read: 5,
      matched: 3,
      passedOver: 1,
      unreadable: 1,
      reasons: { 'processor failed': 3 },
      sourceTopics: { events: 3 },
      oldest: '2026-01-01T00:00:03.000Z',
      newest: '2026-01-01T00:00:07.000Z',
    });
  });
});
