import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { confluentFrame, FramingError, messageIndexBytes, readMessageIndexes, unframe } from '../../../lib/schema/framing';

const UUID_BYTES = Buffer.from('a1b2c3d4567890abcdef1234567890ab', 'hex');

describe('Confluent framing', () => {
  it('puts magic 0 and the id big-endian in front of the payload', () => {
    expect(confluentFrame(258, Buffer.from([0xaa]))).toEqual(Buffer.from([0, 0, 0, 1, 2, 0xaa]));
  });

  it('reads the id and the payload back', () => {
    expect(unframe(Buffer.from([0, 0x01, 0x02, 0x03, 0x04, 0x10, 0x20]))).toEqual({
      framing: 'confluent',
      schemaId: 0x01020304,
      payload: Buffer.from([0x10, 0x20]),
    });
  });

  it('refuses a header cut short', () => {
    expect(() => unframe(Buffer.from([0, 0, 1]))).toThrow(new FramingError('Confluent framing cut short: 3 bytes, the header alone is 5'));
  });

  it('refuses an id that does not fit four bytes', () => {
    expect(() => confluentFrame(2 ** 31, Buffer.alloc(0))).toThrow(RangeError);
  });

  it('leaves bytes with neither header alone', () => {
    expect(unframe(Buffer.from('{"a":1}'))).toBeUndefined();
    expect(unframe(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('AWS Glue framing', () => {
  it('reads the schema version UUID and an uncompressed payload', () => {
    expect(unframe(Buffer.concat([Buffer.from([3, 0]), UUID_BYTES, Buffer.from('xyz')]))).toEqual({
      framing: 'glue',
      schemaVersionId: 'a1b2c3d4-5678-90ab-cdef-1234567890ab',
      payload: Buffer.from('xyz'),
    });
  });

  it('inflates a zlib-compressed payload', () => {
    const framed = Buffer.concat([Buffer.from([3, 5]), UUID_BYTES, deflateSync(Buffer.from('compressed payload'))]);
    expect(unframe(framed)).toMatchObject({ framing: 'glue', payload: Buffer.from('compressed payload') });
  });

  it('refuses an unknown compression byte and a payload that does not inflate', () => {
    expect(() => unframe(Buffer.concat([Buffer.from([3, 9]), UUID_BYTES]))).toThrow('Glue framing with unknown compression byte 9');
    expect(() => unframe(Buffer.concat([Buffer.from([3, 5]), UUID_BYTES, Buffer.from('not zlib')]))).toThrow(
      'Glue payload of schema version a1b2c3d4-5678-90ab-cdef-1234567890ab does not inflate (zlib)',
    );
  });
});

describe('Protobuf message indexes', () => {
  it.each([
    [[0], [0x00]],
    [[1], [0x02, 0x02]],
    [
      [0, 2],
      [0x04, 0x00, 0x04],
    ],
    [[64], [0x02, 0x80, 0x01]],
  ])('writes %j as %j and reads it back', (path, bytes) => {
    expect([...messageIndexBytes(path)]).toEqual(bytes);
    expect(readMessageIndexes(Buffer.from([...bytes, 0x08, 0x01]))).toEqual({ path, message: Buffer.from([0x08, 0x01]) });
  });

  it('refuses indexes cut short or a negative index', () => {
    expect(() => readMessageIndexes(Buffer.from([0x04, 0x00]))).toThrow(FramingError);
    expect(() => readMessageIndexes(Buffer.from([0x02, 0x01]))).toThrow('Protobuf message index -1 is negative');
  });
});
