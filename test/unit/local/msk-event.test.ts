import { describe, expect, it } from 'vitest';
import { buildMskEvent } from '../../../local/msk-event';

/** The event headers of one record at events-0 whose headers are `headers`. */
function eventHeaders(headers: { name: string; value: Buffer | null }[]) {
  const event = buildMskEvent({ brokers: ['127.0.0.1:19092'], region: 'eu-west-1' }, [
    { topic: 'events', partition: 0, offset: '1', timestampMs: 1, key: null, value: null, headers },
  ]);
  return event.records['events-0']?.[0]?.headers;
}

describe('buildMskEvent', () => {
  it('writes header values as Java signed bytes, as the event source does', () => {
    const headers = eventHeaders([
      { name: 'test-header', value: Buffer.from('hello-ë', 'utf8') },
      { name: 'bin', value: Buffer.from([0, 127, 128, 255]) },
    ]);
    expect(headers).toEqual([{ 'test-header': [104, 101, 108, 108, 111, 45, -61, -85] }, { bin: [0, 127, -128, -1] }]);
  });

  it("writes Kafka's null header value as {} in its place, as Lambda was reported to, apart from an empty value", () => {
    const headers = eventHeaders([
      { name: 'h', value: Buffer.from('1') },
      { name: 'trace', value: null },
      { name: 'h', value: Buffer.alloc(0) },
      { name: 'h', value: null },
    ]);
    expect(JSON.stringify(headers)).toBe('[{"h":[49]},{},{"h":[]},{}]');
  });

  it('groups records per topic-partition with base64 key and value and headers as byte arrays', () => {
    const event = buildMskEvent({ brokers: ['127.0.0.1:19092', '127.0.0.1:19094'], region: 'eu-west-1' }, [
      {
        topic: 'events',
        partition: 0,
        offset: '5',
        timestampMs: 1_700_000_000_000,
        key: Buffer.from('k'),
        value: Buffer.from('{}'),
        headers: [{ name: 'h', value: Buffer.from('AB') }],
      },
      { topic: 'events', partition: 1, offset: '9', timestampMs: 1_700_000_000_001, key: null, value: null, headers: [] },
      { topic: 'events', partition: 0, offset: '6', timestampMs: 1_700_000_000_002, key: null, value: Buffer.from('x'), headers: [] },
    ]);

    expect(event).toEqual({
      eventSource: 'aws:kafka',
      eventSourceArn: 'arn:aws:kafka:eu-west-1:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1',
      bootstrapServers: '127.0.0.1:19092,127.0.0.1:19094',
      records: {
        'events-0': [
          {
            topic: 'events',
            partition: 0,
            offset: 5,
            timestamp: 1_700_000_000_000,
            timestampType: 'CREATE_TIME',
            key: 'aw==',
            value: 'e30=',
            headers: [{ h: [65, 66] }],
          },
          { topic: 'events', partition: 0, offset: 6, timestamp: 1_700_000_000_002, timestampType: 'CREATE_TIME', value: 'eA==', headers: [] },
        ],
        'events-1': [{ topic: 'events', partition: 1, offset: 9, timestamp: 1_700_000_000_001, timestampType: 'CREATE_TIME', headers: [] }],
      },
    });
  });
});
