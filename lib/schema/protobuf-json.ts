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

/** The range of an integer type, and whether it is 64 bits wide (a Long for protobufjs); undefined for other types. */
function integerType(type: string): { min: bigint; max: bigint; long: boolean } | undefined {
  switch (type) {
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return { min: -(2n ** 31n), max: 2n ** 31n - 1n, long: false };
    case 'uint32':
    case 'fixed32':
      return { min: 0n, max: 2n ** 32n - 1n, long: false };
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return { min: -(2n ** 63n), max: 2n ** 63n - 1n, long: true };
    case 'uint64':
    case 'fixed64':
      return { min: 0n, max: 2n ** 64n - 1n, long: true };
    default:
      return undefined;
  }
}

/** The largest finite float (IEEE 754 single precision). */
const MAX_FLOAT = 3.4028234663852886e38;

/** Whether `text` is base64, standard or URL-safe, padded or not (the JSON mapping accepts each). */
function isBase64(text: string): boolean {
  return /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/.test(text);
}

/** Whether `text` is a decimal number (`-1.5e3`, `.5`, `2.`), as the JSON mapping accepts floats in strings. */
function isDecimal(text: string): boolean {
  return /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text);
}

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
  const { min, max, long } = integerType(type) as NonNullable<ReturnType<typeof integerType>>;
  const text = integerText(value);
  if (text === undefined) throw new DataMismatch(at, `expected ${type} (a whole number, or its decimal string)`);
  const whole = BigInt(text);
  if (whole < min || whole > max) throw new DataMismatch(at, `is outside the range of ${type}`);
  // A Long keeps every digit through protobufjs; unsigned when the type's range starts at 0.
  return long ? Long.fromString(text, min === 0n) : Number(text);
}

function floating(type: string, value: unknown, at: readonly PathSegment[]): number {
  let number: number | undefined;
  if (typeof value === 'number') number = value;
  else if (isExactNumber(value)) number = Number(value.rawJSON);
  else if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
  else if (typeof value === 'string' && isDecimal(value)) number = Number(value);
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
  if (integerType(type) !== undefined) return integer(type, value, at);
  if (type === 'double' || type === 'float') return floating(type, value, at);
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw new DataMismatch(at, 'expected true or false (bool)');
    return value;
  }
  if (type === 'bytes') {
    if (typeof value !== 'string' || !isBase64(value)) throw new DataMismatch(at, 'expected a base64 string (bytes)');
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
      if (integerType(field.keyType) !== undefined) integer(field.keyType, key, keyAt);
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
