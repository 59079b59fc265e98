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

describe('framing at its edges', () => {
  it('takes the ends of the schema id range, and refuses what is beyond or not whole', () => {
    expect([...confluentFrame(0, Buffer.from([9]))]).toEqual([0, 0, 0, 0, 0, 9]);
    expect([...confluentFrame(0x7fff_ffff, Buffer.alloc(0))]).toEqual([0, 0x7f, 0xff, 0xff, 0xff]);
    expect(() => confluentFrame(-1, Buffer.alloc(0))).toThrow(new RangeError('schema id -1 does not fit the wire format'));
    expect(() => confluentFrame(1.5, Buffer.alloc(0))).toThrow(new RangeError('schema id 1.5 does not fit the wire format'));
    expect(() => confluentFrame(0x8000_0000, Buffer.alloc(0))).toThrow(new RangeError('schema id 2147483648 does not fit the wire format'));
  });

  it('reads a Confluent header with an empty payload, and one byte short as cut', () => {
    expect(unframe(Buffer.from([0, 0, 0, 0, 7]))).toEqual({ framing: 'confluent', schemaId: 7, payload: Buffer.alloc(0) });
    expect(() => unframe(Buffer.from([0, 0, 0, 7]))).toThrow(new FramingError('Confluent framing cut short: 4 bytes, the header alone is 5'));
    expect(() => unframe(Buffer.from([0]))).toThrow(new FramingError('Confluent framing cut short: 1 bytes, the header alone is 5'));
  });

  it('reads a Glue header with an empty payload, and one byte short as cut', () => {
    const header = [3, 0, ...Array.from({ length: 16 }, (_, i) => i)];
    expect(unframe(Buffer.from(header))).toEqual({
      framing: 'glue',
      schemaVersionId: '00010203-0405-0607-0809-0a0b0c0d0e0f',
      payload: Buffer.alloc(0),
    });
    expect(() => unframe(Buffer.from(header.slice(0, 17)))).toThrow(new FramingError('Glue framing cut short: 17 bytes, the header alone is 18'));
  });

  it('keeps the inflate error of a Glue payload as the cause', () => {
    const error = (() => {
      try {
        unframe(Buffer.from([3, 5, ...Array.from({ length: 16 }, () => 0xab), 1, 2, 3]));
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(FramingError);
    expect(error?.message).toBe('Glue payload of schema version abababab-abab-abab-abab-abababababab does not inflate (zlib)');
    expect(error?.cause).toBeInstanceOf(Error);
  });

  it.each([
    [[63], [0x02, 0x7e]],
    [[-1].map(() => 2 ** 30), [0x02, 0x80, 0x80, 0x80, 0x80, 0x08]],
  ])('writes %j with as many varint bytes as it needs: %j', (path, bytes) => {
    expect([...messageIndexBytes(path)]).toEqual(bytes);
    expect(readMessageIndexes(Buffer.from(bytes)).path).toEqual(path);
  });

  it('reads at most five varint bytes, and at most 100 indexes', () => {
    expect(() => readMessageIndexes(Buffer.from([0x82, 0x80, 0x80, 0x80, 0x80, 0x00]))).toThrow(
      new FramingError('Protobuf message indexes cut short or too long'),
    );
    const hundred = Buffer.from([0xc8, 0x01, ...Array.from({ length: 100 }, () => 0)]);
    expect(readMessageIndexes(hundred).path).toHaveLength(100);
    expect(() => readMessageIndexes(Buffer.from([0xca, 0x01]))).toThrow(new FramingError('Protobuf message index count 101 is not plausible'));
    expect(() => readMessageIndexes(Buffer.from([0x01]))).toThrow(new FramingError('Protobuf message index count -1 is not plausible'));
  });
});
