/** A record's headers as kafkajs takes them, and as its record encoder writes them: null header values included. */
import { describe, expect, it } from 'vitest';
import { toHeaders } from '../../../lib/kafka/producer';

// The encoder kafkajs uses for a record's headers (patched in patches/ to size a null value as Kafka's null).
// @ts-expect-error kafkajs ships no types for its protocol modules.
import encodeRecord from 'kafkajs/src/protocol/recordBatch/record/v0/index.js';

describe('toHeaders', () => {
  it('keeps repeated names in order and a null value as null', () => {
    const headers = toHeaders([
      { name: 'a', value: Buffer.from('1') },
      { name: 'n', value: null },
      { name: 'a', value: null },
    ]);
    expect({ ...headers }).toEqual({ a: [Buffer.from('1'), null], n: null });
  });

  it("is written by kafkajs' record encoder with a null header value (a plain consumer reads it back: test/integration/produce/rest-surface.test.ts)", () => {
    const encoded = encodeRecord({ key: null, value: Buffer.from('v'), headers: toHeaders([{ name: 'n', value: null }]) }).buffer as Buffer;
    // Kafka's record: length, attributes, timestamp delta, offset delta, key (-1), value, then one header:
    // its name (varint length 1 as 0x02, "n") and its value's length -1 as the zig-zag varint 0x01.
    expect(encoded.subarray(-3)).toEqual(Buffer.from([0x02, 0x6e, 0x01]));
  });
});
