/**
 * Protobuf's canonical JSON mapping read into what protobufjs encodes, exactly, so that the JSON
 * the consume side writes for a Protobuf record is accepted back on produce:
 * https://protobuf.dev/programming-guides/json/
 * - a field is named by its proto name or by its JSON name (`json_name`, by default the name in
 *   lowerCamelCase), not both;
 * - integers are JSON numbers or decimal strings, 64-bit ones keeping every digit, each inside its
 *   type's range;
 * - enums are a value's name or its number; bytes are base64 (standard or URL-safe);
 * - floats and doubles are numbers, decimal strings, or "NaN" / "Infinity" / "-Infinity";
 * - `null` is the field's default.
 * protobufjs' `fromObject` alone would drop an unknown member, wrap or clamp an integer out of
 * range and turn a 64-bit decimal string through a double; this walk refuses the first and
 * names its path, so nothing is changed without a word.
 */
import Long from 'long';
import protobuf from 'protobufjs';
import { isExactNumber } from '../json-numbers';
import { isPlainObject } from '../json-checks';
import { DataMismatch, type PathSegment } from './codec';

/** The range of each integer type. */
const INTEGER_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

const UNSIGNED_64 = new Set(['uint64', 'fixed64']);
const SIGNED_64 = new Set(['int64', 'sint64', 'sfixed64']);

/** The largest finite float (IEEE 754 single precision). */
const MAX_FLOAT = 3.4028234663852886e38;

const BASE64 = /^(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;
const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A field's JSON name: its `json_name` option, else protoc's lowerCamelCase of its name. */
export function jsonNameOf(field: protobuf.Field): string {
  const given = (field.options as { json_name?: unknown } | undefined)?.json_name;
  if (typeof given === 'string') return given;
  return field.name.replace(/_(.)/g, (_match, letter: string) => letter.toUpperCase()).replaceAll('_', '');
}

/** The text of a whole number given as a JSON number or a decimal string; undefined for anything else. */
function integerText(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : undefined;
  const text = isExactNumber(value) ? value.rawJSON : typeof value === 'string' ? value : undefined;
  return text !== undefined && /^-?\d+$/.test(text) ? text : undefined;
}

function integer(type: string, value: unknown, at: readonly PathSegment[]): number | Long {
  const range = INTEGER_RANGES[type] as readonly [bigint, bigint];
  const text = integerText(value);
  if (text === undefined) throw new DataMismatch(at, `expected ${type} (a whole number, or its decimal string)`);
  const whole = BigInt(text);
  if (whole < range[0] || whole > range[1]) throw new DataMismatch(at, `is outside the range of ${type}`);
  if (UNSIGNED_64.has(type)) return Long.fromString(whole.toString(), true);
  if (SIGNED_64.has(type)) return Long.fromString(whole.toString(), false);
  return Number(whole);
}

function floating(type: string, value: unknown, at: readonly PathSegment[]): number {
  let number: number | undefined;
  if (typeof value === 'number') number = value;
  else if (isExactNumber(value)) number = Number(value.rawJSON);
  else if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  else if (typeof value === 'string' && DECIMAL.test(value)) number = Number(value);
  if (number === undefined) throw new DataMismatch(at, `expected ${type} (a number, or "NaN", "Infinity", "-Infinity")`);
  if (type === 'float' && Math.abs(number) > MAX_FLOAT) throw new DataMismatch(at, 'is outside the range of float');
  return number;
}

function enumValue(type: protobuf.Enum, value: unknown, at: readonly PathSegment[]): number {
  if (typeof value === 'string' && Object.hasOwn(type.values, value)) return type.values[value] as number;
  if (typeof value === 'number' && Object.values(type.values).includes(value)) return value;
  throw new DataMismatch(at, `expected a value of enum ${type.name} (its name or number)`);
}

function single(field: protobuf.Field, type: string, value: unknown, at: readonly PathSegment[]): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageFromJson(resolved, value, at);
  if (resolved instanceof protobuf.Enum) return enumValue(resolved, value, at);
  if (type in INTEGER_RANGES) return integer(type, value, at);
  if (type === 'double' || type === 'float') return floating(type, value, at);
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw new DataMismatch(at, 'expected true or false (bool)');
    return value;
  }
  if (type === 'bytes') {
    if (typeof value !== 'string' || !BASE64.test(value)) throw new DataMismatch(at, 'expected a base64 string (bytes)');
    return Buffer.from(value, 'base64');
  }
  if (typeof value !== 'string') throw new DataMismatch(at, 'expected a string');
  return value;
}

function fieldValue(field: protobuf.Field, value: unknown, at: readonly PathSegment[]): unknown {
  if (field instanceof protobuf.MapField) {
    if (!isPlainObject(value)) throw new DataMismatch(at, 'expected an object (map)');
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const keyAt = [...at, key];
      // Map keys are JSON strings; an integer key type still wants a whole number in range.
      if (field.keyType in INTEGER_RANGES) integer(field.keyType, key, keyAt);
      else if (field.keyType === 'bool' && key !== 'true' && key !== 'false') throw new DataMismatch(keyAt, 'expected the key "true" or "false" (bool)');
      result[key] = single(field, field.type, item, keyAt);
    }
    return result;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new DataMismatch(at, 'expected an array (repeated)');
    return value.map((item, index) => single(field, field.type, item, [...at, index]));
  }
  return single(field, field.type, value, at);
}

/**
 * The object protobufjs' `fromObject` takes for `value`, a message of `type` in the canonical
 * JSON mapping (parsed with every digit kept), keyed by proto field names.
 *
 * @throws {DataMismatch} naming the path of the first member that is not of the message, given
 *   twice, of the wrong kind, or out of its type's range.
 */
export function messageFromJson(type: protobuf.Type, value: unknown, at: readonly PathSegment[] = []): Record<string, unknown> {
  if (!isPlainObject(value)) throw new DataMismatch(at, `expected an object (message ${type.name})`);
  const byJsonName = new Map(type.fieldsArray.map((field) => [jsonNameOf(field), field]));
  const result: Record<string, unknown> = {};
  const named = new Set<string>();
  const oneofs = new Map<string, string>();
  for (const [member, item] of Object.entries(value)) {
    const memberAt = [...at, member];
    const field = Object.hasOwn(type.fields, member) ? type.fields[member] : byJsonName.get(member);
    if (field === undefined) throw new DataMismatch(memberAt, `is not a field of message ${type.name}`);
    if (named.has(field.name)) throw new DataMismatch(memberAt, `names field ${field.name} a second time`);
    named.add(field.name);
    // null is the field's default value: as if the member were absent.
    if (item === null) continue;
    const oneof = field.partOf?.name;
    if (oneof !== undefined) {
      const other = oneofs.get(oneof);
      if (other !== undefined) throw new DataMismatch(memberAt, `is in oneof ${oneof} with ${other}, given too`);
      oneofs.set(oneof, field.name);
    }
    result[field.name] = fieldValue(field, item, memberAt);
  }
  return result;
}
