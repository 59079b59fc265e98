import { describe, expect, it } from 'vitest';
import { decodeFramed, inspectedRecord } from '../../../local/inspect';

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

describe('inspectedRecord headers', () => {
  it("shows Kafka's null header value as JSON null, in its place, apart from an empty value", () => {
    const inspected = inspectedRecord({
      ...record('{}'),
      headers: [
        { name: 'h', value: Buffer.from('one') },
        { name: 'trace', value: null },
        { name: 'h', value: Buffer.alloc(0) },
        { name: 'h', value: null },
      ],
    });
    expect(JSON.stringify(inspected.headers)).toBe(
      '[{"name":"h","value":"b25l"},{"name":"trace","value":null},{"name":"h","value":""},{"name":"h","value":null}]',
    );
    expect(JSON.stringify(inspected.decoded.headers)).toBe('{"h":null,"trace":null}');
  });
});

describe('inspectedRecord of framed records', () => {
  const framed = { ...record(null), key: Buffer.from([0, 0, 0, 0, 3, 0x02, 0x6b]), value: Buffer.from([0, 0, 0, 0, 9, 0x06]) };

  it('shows the decoded key and value with their format and schema id', async () => {
    const decoder = {
      decode: async (bytes: Buffer) =>
        bytes[4] === 3 ? { format: 'AVRO' as const, schemaId: '3', value: 'k' } : { format: 'AVRO' as const, schemaId: '9', value: { n: 3 } },
    };
    const line = inspectedRecord(framed, await decodeFramed(framed, decoder));
    expect(line.decoded).toMatchObject({
      key: 'k',
      value: { n: 3 },
      keySchema: { format: 'AVRO', schemaId: '3' },
      valueSchema: { format: 'AVRO', schemaId: '9' },
    });
    // The raw bytes stay base64, as in the Lambda event.
    expect(line.value).toBe('AAAAAAkG');
  });

  it('notes why a framed value could not be decoded, and shows its bytes as they are', async () => {
    const decoder = { decode: async () => Promise.reject(new Error('the schema registry is unavailable; retry later')) };
    const line = inspectedRecord(framed, await decodeFramed(framed, decoder));
    expect(line.decoded.valueSchema).toEqual({ error: 'the schema registry is unavailable; retry later' });
    // Not JSON: shown as its text, the frame's bytes included.
    expect(line.decoded.value).toBe('\u0000\u0000\u0000\u0000\t\u0006');
  });
});
