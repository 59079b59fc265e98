import { describe, expect, it } from 'vitest';
import type { FetchedRecord } from '../../../../local/kafka/consumer';
import { compileRecordFilter, valueView } from '../../../../local/emulator/record-filter';

function record(value: Buffer | string | null, overrides: Partial<FetchedRecord> = {}): FetchedRecord {
  return {
    topic: 'events',
    partition: 1,
    offset: '7',
    timestampMs: 1_700_000_000_000,
    key: null,
    value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
    headers: [],
    ...overrides,
  };
}

const jsonPrefix = { value: { device_ID: [{ prefix: 'AB' }] } };
const plainPrefix = { value: [{ prefix: 'Hello' }] };

describe('compileRecordFilter', () => {
  it.each([
    ['no patterns: every record', [], record('anything'), true],
    ['a JSON value against a JSON pattern: kept', [jsonPrefix], record('{"device_ID":"AB1234"}'), true],
    ['a JSON value against a JSON pattern: dropped', [jsonPrefix], record('{"device_ID":"CD1234"}'), false],
    ['a JSON value missing the field: dropped', [jsonPrefix], record('{"other":1}'), false],
    ['a plain value against a plain pattern: kept', [plainPrefix], record('Hello, world'), true],
    ['a plain value against a plain pattern: dropped', [plainPrefix], record('Goodbye'), false],
    ['a plain value against a JSON pattern: only the other properties count', [jsonPrefix], record('not json'), true],
    ['a JSON value against a plain pattern: only the other properties count', [plainPrefix], record('{"a":1}'), true],
    ['a binary value: only the other properties count', [jsonPrefix], record(Buffer.from([0xff, 0xfe])), true],
    ['format mismatch, but another property fails: dropped', [{ ...jsonPrefix, partition: [0] }], record('not json'), false],
    ['a tombstone (no value) against a value pattern: dropped', [jsonPrefix], record(null), false],
    ['a tombstone matched by exists:false', [{ value: [{ exists: false }] }], record(null), true],
    ['patterns are ORed', [jsonPrefix, { value: { kind: ['x'] } }], record('{"kind":"x"}'), true],
    ['metadata filters: partition', [{ partition: [1] }], record('x'), true],
    ['metadata filters: topic', [{ topic: ['other'] }], record('x'), false],
    ['numbers in a JSON value', [{ value: { n: [{ numeric: ['>', 10] }] } }], record('{"n": 11}'), true],
  ])('%s', (_name, patterns, input, delivered) => {
    expect(compileRecordFilter(patterns as Record<string, unknown>[])(input)).toBe(delivered);
  });
});

describe('valueView', () => {
  it.each([
    ['an object', '{"a":1}', { kind: 'json', value: { a: 1 } }],
    ['an array', '[1,2]', { kind: 'json', value: [1, 2] }],
    ['a JSON number reads as plain text', '42', { kind: 'plain', value: '42' }],
    ['text', 'héllo', { kind: 'plain', value: 'héllo' }],
  ])('%s', (_name, text, expected) => {
    expect(valueView(Buffer.from(text, 'utf8'))).toEqual(expected);
  });

  it('tells binary and missing values apart', () => {
    expect(valueView(Buffer.from([0xc3]))).toEqual({ kind: 'binary' });
    expect(valueView(null)).toEqual({ kind: 'none' });
  });
});
