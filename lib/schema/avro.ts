/**
 * Avro payloads through avsc. Values are written in Avro's JSON encoding, as Confluent's REST
 * Proxy reads them (a union value is `{"<branch>": value}` or null, bytes and fixed are strings
 * of code points 0-255), and `long`s keep every digit: avsc's own long type stops at 2^53, so
 * longs are BigInts here.
 * https://avro.apache.org/docs/1.11.1/specification/#json-encoding
 */
import avro from 'avsc';
import { exactNumber, isExactNumber, parseJsonExact } from '../json-numbers';
import { isPlainObject } from '../json-checks';
import { DataMismatch, SchemaParseFailure, segmentsIn, type CodecFactory, type SchemaCodec } from './codec';

function asBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (isExactNumber(value) && /^-?\d+$/.test(value.rawJSON)) return BigInt(value.rawJSON);
  throw new Error('not a whole number');
}

const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;

// avsc copies a long's 8 bytes out as soon as `toBuffer` returns them (AbstractLongType._write,
// its only caller), so one buffer serves every long: a long costs no allocation.
const longBytes = Buffer.alloc(8);

/** avsc's long, as BigInt: 8 bytes little-endian to and from avsc, a number or raw JSON number in JSON. */
const bigLong = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    longBytes.writeBigInt64LE(value);
    return longBytes;
  },
  fromJSON: asBigInt,
  toJSON: (value: bigint) => exactNumber(String(value)),
  isValid: (value: unknown) => typeof value === 'bigint' && value >= MIN_LONG && value <= MAX_LONG,
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

type AnyType = avro.Type & {
  typeName: string;
  fields?: { name: string; type: AnyType }[];
  itemsType?: AnyType;
  valuesType?: AnyType;
  types?: AnyType[];
  branchName?: string;
};

/**
 * Turns a value in Avro's JSON encoding into avsc's representation, where it differs: bytes
 * and fixed become Buffers, longs BigInts. Anything else is left for avsc's check to judge.
 *
 * @throws {DataMismatch} with the place inside the value, for a value no conversion can take.
 */
type Convert = (value: unknown) => unknown;

/** A mismatch found at `segment` of a value, at the place `error` names inside it. */
function within(segment: string | number, error: unknown): unknown {
  return error instanceof DataMismatch ? new DataMismatch([segment, ...error.segments], error.message) : error;
}

const toLong: Convert = (value) => {
  try {
    return asBigInt(value);
  } catch {
    throw new DataMismatch([], 'expected a whole number (long)');
  }
};

const toBytes = (typeName: string): Convert => {
  const expected = `expected a string of code points 0-255 (${typeName})`;
  return (value) => {
    // Avro's JSON encoding maps each byte to one code point; 'latin1' would keep only the low byte of any other.
    if (typeof value !== 'string' || /[\u0100-\uffff]/.test(value)) throw new DataMismatch([], expected);
    return Buffer.from(value, 'latin1');
  };
};

const toPlain: Convert = (value) => (isExactNumber(value) ? Number(value.rawJSON) : value);

function toRecord(type: AnyType, compiled: Map<AnyType, Convert>): Convert {
  const fields: { name: string; convert: Convert }[] = [];
  const convert: Convert = (value) => {
    if (!isPlainObject(value)) throw new DataMismatch([], 'expected an object (record)');
    const result: Record<string, unknown> = { ...value };
    for (const { name, convert: field } of fields) {
      if (!(name in value)) continue;
      try {
        result[name] = field(value[name]);
      } catch (error) {
        throw within(name, error);
      }
    }
    return result;
  };
  // Known before its fields are: a record may hold itself.
  compiled.set(type, convert);
  for (const field of type.fields ?? []) fields.push({ name: field.name, convert: converterOf(field.type, compiled) });
  return convert;
}

function toArray(items: Convert): Convert {
  return (value) => {
    if (!Array.isArray(value)) throw new DataMismatch([], 'expected an array');
    return value.map((item, index) => {
      try {
        return items(item);
      } catch (error) {
        throw within(index, error);
      }
    });
  };
}

function toMap(values: Convert): Convert {
  return (value) => {
    if (!isPlainObject(value)) throw new DataMismatch([], 'expected an object (map)');
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      try {
        result[key] = values(item);
      } catch (error) {
        throw within(key, error);
      }
    }
    return result;
  };
}

function toUnion(type: AnyType, compiled: Map<AnyType, Convert>): Convert {
  const branches = new Map((type.types ?? []).map((branch) => [branch.branchName as string, converterOf(branch, compiled)]));
  return (value) => {
    if (value === null) return null;
    if (!isPlainObject(value) || Object.keys(value).length !== 1) throw new DataMismatch([], 'expected null or {"<branch>": value} (union)');
    const [branch, inner] = Object.entries(value)[0] as [string, unknown];
    const convert = branches.get(branch);
    if (convert === undefined) throw new DataMismatch([], `"${branch}" is not a branch of the union`);
    try {
      return { [branch]: convert(inner) };
    } catch (error) {
      throw within(branch, error);
    }
  };
}

/**
 * The conversion of `type`'s values, built once per schema: a value is then converted without
 * looking its type up again, and its place is put together only when it does not fit.
 */
function converterOf(type: AnyType, compiled: Map<AnyType, Convert>): Convert {
  const known = compiled.get(type);
  if (known !== undefined) return known;
  switch (type.typeName) {
    case 'abstract:long':
    case 'long':
      return toLong;
    case 'bytes':
    case 'fixed':
      return toBytes(type.typeName);
    case 'record':
    case 'error':
      return toRecord(type, compiled);
    case 'array':
      return toArray(converterOf(type.itemsType as AnyType, compiled));
    case 'map':
      return toMap(converterOf(type.valuesType as AnyType, compiled));
    case 'union:wrapped':
      return toUnion(type, compiled);
    default:
      return toPlain;
  }
}

// Avro is written here first, then copied out at its length: avsc's own `toBuffer` allocates a
// zero-filled buffer of its own per value, which cost more than the encoding of a small record.
// Encoding is synchronous, so one buffer serves every codec.
const SCRATCH_BYTES = 64 * 1024;
const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

/** The Avro bytes of `value`, checked valid, as a buffer of their own. */
function avroBytes(type: avro.Type, value: unknown): Buffer {
  const end = type.encode(value, scratch, 0);
  // A copy from Node's pool: small buffers cost no allocation of their own.
  if (end >= 0) return Buffer.from(scratch.subarray(0, end));
  // A negative end is the number of bytes missing (avsc's Type#encode): a value this large is rare.
  const bytes = Buffer.alloc(SCRATCH_BYTES - end);
  type.encode(value, bytes, 0);
  return bytes;
}

function firstInvalidPath(type: avro.Type, value: unknown): DataMismatch {
  let found: DataMismatch | undefined;
  type.isValid(value, {
    errorHook: (path: string[], _value: unknown, invalid: avro.Type) => {
      found ??= new DataMismatch(segmentsIn(value, path), `expected ${(invalid as AnyType).branchName ?? (invalid as AnyType).typeName}`);
    },
  });
  return found ?? new DataMismatch([], 'does not match the schema');
}

/** The codec of an Avro schema. @throws {SchemaParseFailure} for a schema avsc does not accept. */
export const avroCodec: CodecFactory = (schema: string): SchemaCodec => {
  let type: avro.Type;
  try {
    // Every long is the BigInt-backed type, whether the schema names it "long" or {"type": "long", ...}
    // (a logical type such as timestamp-millis included); the registry alone reaches only the first.
    const typeHook = (attrs: avro.Schema): avro.Type | undefined =>
      typeof attrs === 'object' && attrs !== null && (attrs as { type?: unknown }).type === 'long' ? bigLong : undefined;
    type = avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { registry: { long: bigLong }, typeHook, wrapUnions: true });
  } catch (error) {
    throw new SchemaParseFailure((error as Error).message);
  }
  const fromAvroJson = converterOf(type as AnyType, new Map());
  return {
    encode(value) {
      const converted = fromAvroJson(value);
      if (!type.isValid(converted)) throw firstInvalidPath(type, converted);
      return avroBytes(type, converted);
    },
    decode(payload) {
      let value: unknown;
      try {
        value = type.fromBuffer(payload);
      } catch (error) {
        throw new DataMismatch([], `the bytes are not Avro of this schema: ${(error as Error).message}`, { cause: error });
      }
      // avsc's JSON encoding of the value, with longs as raw JSON numbers (see bigLong.toJSON).
      return parseJsonExact(type.toString(value));
    },
  };
};
