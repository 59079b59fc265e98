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

/** avsc's long, as BigInt: 8 bytes little-endian to and from avsc, a number or raw JSON number in JSON. */
const bigLong = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(value);
    return buffer;
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
 */
function fromAvroJson(type: AnyType, value: unknown, path: (string | number)[]): unknown {
  switch (type.typeName) {
    case 'abstract:long':
    case 'long':
      try {
        return asBigInt(value);
      } catch {
        throw new DataMismatch([...path], 'expected a whole number (long)');
      }
    case 'bytes':
    case 'fixed':
      // Avro's JSON encoding maps each byte to one code point; 'latin1' would keep only the low byte of any other.
      if (typeof value !== 'string' || /[\u0100-\uffff]/.test(value)) {
        throw new DataMismatch([...path], `expected a string of code points 0-255 (${type.typeName})`);
      }
      return Buffer.from(value, 'latin1');
    case 'record':
    case 'error': {
      if (!isPlainObject(value)) throw new DataMismatch([...path], 'expected an object (record)');
      const result: Record<string, unknown> = { ...value };
      for (const field of type.fields ?? []) {
        if (field.name in value) result[field.name] = fromAvroJson(field.type, value[field.name], [...path, field.name]);
      }
      return result;
    }
    case 'array':
      if (!Array.isArray(value)) throw new DataMismatch([...path], 'expected an array');
      return value.map((item, index) => fromAvroJson(type.itemsType as AnyType, item, [...path, index]));
    case 'map': {
      if (!isPlainObject(value)) throw new DataMismatch([...path], 'expected an object (map)');
      const result: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) result[key] = fromAvroJson(type.valuesType as AnyType, item, [...path, key]);
      return result;
    }
    case 'union:wrapped': {
      if (value === null) return null;
      if (!isPlainObject(value) || Object.keys(value).length !== 1) throw new DataMismatch([...path], 'expected null or {"<branch>": value} (union)');
      const [branch, inner] = Object.entries(value)[0] as [string, unknown];
      const branchType = type.types?.find((candidate) => candidate.branchName === branch);
      if (branchType === undefined) throw new DataMismatch([...path], `"${branch}" is not a branch of the union`);
      return { [branch]: fromAvroJson(branchType, inner, [...path, branch]) };
    }
    default:
      if (isExactNumber(value)) return Number(value.rawJSON);
      return value;
  }
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
  return {
    encode(value) {
      const converted = fromAvroJson(type as AnyType, value, []);
      if (!type.isValid(converted)) throw firstInvalidPath(type, converted);
      return type.toBuffer(converted);
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
