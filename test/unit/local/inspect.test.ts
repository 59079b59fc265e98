import { describe, expect, it } from 'vitest';
import { inspectedRecord } from '../../../local/inspect';

function record(value: string | null) {
  return {
    topic: 'events',
    partition: 0,
    offset: '7',
    timestampMs: 1_795_737_600_000,
    key: null,
    value: value === null ? null : Buffer.from(value, 'utf8'),
    headers: [],
  };
}

describe('inspectedRecord decoded value', () => {
  it.each([
    ['an object whose numbers parse exactly', '{"n":1,"x":[2.5,-3]}', { n: 1, x: [2.5, -3] }],
    ['a string', '"hello"', 'hello'],
    ['text that is not JSON', 'not json', 'not json'],
    ['an integer beyond a double, as the text stored', '{"big":12345678901234567890}', '{"big":12345678901234567890}'],
    ['a decimal with a trailing zero, as the text stored', '{"dec":0.10}', '{"dec":0.10}'],
    ['a huge exponent, as the text stored', '[1e400]', '[1e400]'],
    ['negative zero, as the text stored', '-0', '-0'],
    ['a tombstone', null, null],
  ])('shows %s', (_, value, expected) => {
    expect(inspectedRecord(record(value)).decoded.value).toEqual(expected);
  });
});
