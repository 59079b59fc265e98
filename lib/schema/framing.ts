/**
 * The wire framings of schema'd records, as bytes:
 * - Confluent: magic byte `0`, the schema id as 4 bytes big-endian, then the payload; a
 *   Protobuf payload starts with the message indexes (a zig-zag varint count, then each index;
 *   the first message is the single byte `0`).
 *   https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
 * - AWS Glue Schema Registry: header version `3`, a compression byte (`0` none, `5` zlib),
 *   the schema version's UUID as 16 bytes, then the payload (zlib-compressed when said so).
 */
import { inflateSync } from 'node:zlib';

/** Confluent's magic byte. */
export const CONFLUENT_MAGIC = 0;
const CONFLUENT_HEADER_BYTES = 5;
/** Glue's header version byte. */
export const GLUE_HEADER_VERSION = 3;
const GLUE_COMPRESSION_NONE = 0;
const GLUE_COMPRESSION_ZLIB = 5;
const GLUE_HEADER_BYTES = 18;
/** Largest id the 4 bytes hold (Confluent ids are positive Java ints). */
const MAX_SCHEMA_ID = 0x7fff_ffff;

/** A framed record's schema reference and payload. */
export type Framed = { framing: 'confluent'; schemaId: number; payload: Buffer } | { framing: 'glue'; schemaVersionId: string; payload: Buffer };

/** Raised for bytes that claim a framing but do not hold it; the message says what is wrong. */
export class FramingError extends Error {}

/** `payload` behind a Confluent header naming `schemaId`. */
export function confluentFrame(schemaId: number, payload: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > MAX_SCHEMA_ID) throw new RangeError(`schema id ${schemaId} does not fit the wire format`);
  const framed = Buffer.allocUnsafe(CONFLUENT_HEADER_BYTES + payload.byteLength);
  framed[0] = CONFLUENT_MAGIC;
  framed.writeUInt32BE(schemaId, 1);
  framed.set(payload, CONFLUENT_HEADER_BYTES);
  return framed;
}

function uuidOf(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The framing of `bytes`, or undefined when they start with neither header. A first byte of
 * `0` or `3` alone does not make a frame: too short, or (Glue) an unknown compression byte,
 * throws instead, since such a record was most likely framed and damaged.
 *
 * @throws {FramingError} for a header that is cut short, or a Glue payload that does not inflate.
 */
export function unframe(bytes: Buffer): Framed | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes[0] === CONFLUENT_MAGIC) {
    if (bytes.length < CONFLUENT_HEADER_BYTES)
      throw new FramingError(`Confluent framing cut short: ${bytes.length} bytes, the header alone is ${CONFLUENT_HEADER_BYTES}`);
    return { framing: 'confluent', schemaId: bytes.readUInt32BE(1), payload: bytes.subarray(CONFLUENT_HEADER_BYTES) };
  }
  if (bytes[0] === GLUE_HEADER_VERSION) {
    if (bytes.length < GLUE_HEADER_BYTES) throw new FramingError(`Glue framing cut short: ${bytes.length} bytes, the header alone is ${GLUE_HEADER_BYTES}`);
    const compression = bytes[1];
    const schemaVersionId = uuidOf(bytes.subarray(2, GLUE_HEADER_BYTES));
    const body = bytes.subarray(GLUE_HEADER_BYTES);
    if (compression === GLUE_COMPRESSION_NONE) return { framing: 'glue', schemaVersionId, payload: body };
    if (compression !== GLUE_COMPRESSION_ZLIB) throw new FramingError(`Glue framing with unknown compression byte ${compression}`);
    try {
      return { framing: 'glue', schemaVersionId, payload: inflateSync(body) };
    } catch (error) {
      throw new FramingError(`Glue payload of schema version ${schemaVersionId} does not inflate (zlib)`, { cause: error });
    }
  }
  return undefined;
}

function zigzagVarint(value: number): number[] {
  let zigzag = (value << 1) ^ (value >> 31);
  const bytes: number[] = [];
  while (zigzag > 0x7f || zigzag < 0) {
    bytes.push((zigzag & 0x7f) | 0x80);
    zigzag >>>= 7;
  }
  bytes.push(zigzag);
  return bytes;
}

/** Confluent's Protobuf message indexes for the message at `path` (indexes of nested messages from the file's top); `[0]` is the one byte `0`. */
export function messageIndexBytes(path: readonly number[]): Buffer {
  if (path.length === 1 && path[0] === 0) return Buffer.from([0]);
  return Buffer.from([...zigzagVarint(path.length), ...path.flatMap(zigzagVarint)]);
}

function readZigzagVarint(bytes: Buffer, start: number): { value: number; next: number } {
  let result = 0;
  let shift = 0;
  let pos = start;
  for (;;) {
    const byte = bytes[pos];
    if (byte === undefined || shift > 28) throw new FramingError('Protobuf message indexes cut short or too long');
    result |= (byte & 0x7f) << shift;
    pos += 1;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  return { value: (result >>> 1) ^ -(result & 1), next: pos };
}

/**
 * Splits a Confluent Protobuf payload into its message indexes and the message bytes.
 *
 * @throws {FramingError} when the indexes are cut short or implausible.
 */
export function readMessageIndexes(payload: Buffer): { path: number[]; message: Buffer } {
  const count = readZigzagVarint(payload, 0);
  if (count.value === 0) return { path: [0], message: payload.subarray(count.next) };
  if (count.value < 0 || count.value > 100) throw new FramingError(`Protobuf message index count ${count.value} is not plausible`);
  const path: number[] = [];
  let pos = count.next;
  for (let i = 0; i < count.value; i += 1) {
    const index = readZigzagVarint(payload, pos);
    if (index.value < 0) throw new FramingError(`Protobuf message index ${index.value} is negative`);
    path.push(index.value);
    pos = index.next;
  }
  return { path, message: payload.subarray(pos) };
}
