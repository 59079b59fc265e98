/**
 * The key and value of a REST Proxy v3 record, `{"type": ..., "data": ...}`, turned into
 * bytes. The plain types have one encoder each, in one table: BINARY (base64, checked
 * strictly), JSON (kept byte for byte as the client wrote it) and STRING (its UTF-8 bytes).
 * The schema'd types (AVRO, JSONSCHEMA, PROTOBUF, and a key or value without `type`, which
 * takes its subject's latest schema) are written by `v3-schema.ts`, loaded with the first one.
 */
import { ValidationError } from '../errors';
import type { RawJson } from './json-body';
import { base64Bytes, MAX_JSON_DEPTH } from './validation';

/** The `type`s of Confluent's `ProduceRequestData`. */
export const V3_DATA_TYPES = ['BINARY', 'JSON', 'STRING', 'AVRO', 'JSONSCHEMA', 'PROTOBUF'] as const;
export type V3DataType = (typeof V3_DATA_TYPES)[number];

/** Members of `ProduceRequestData`; all but `type` and `data` concern schemas. */
export const V3_DATA_FIELDS: ReadonlySet<string> = new Set(['type', 'data', 'subject', 'subject_name_strategy', 'schema_id', 'schema_version', 'schema']);
const SCHEMA_FIELDS = ['subject', 'subject_name_strategy', 'schema_id', 'schema_version', 'schema'] as const;

/** Encodes `data` (kept as written) into the record's bytes; null stays null. */
export type V3DataEncoder = (data: RawJson | null, path: string) => Buffer | null;

/** @throws {ValidationError} unless `bytes` is a JSON string token (it starts with a quote; any other value does not). */
function checkString(bytes: Buffer, path: string): void {
  if (bytes[0] !== 0x22) throw new ValidationError(`${path}: must be a string`);
}

/** The text of a JSON string token (the data of BINARY). */
function stringData(data: RawJson, path: string): string {
  const { bytes } = data;
  checkString(bytes, path);
  // Without a backslash the text is the bytes between the quotes (the reader checked the token).
  if (bytes.indexOf(0x5c) === -1) return bytes.toString('utf8', 1, bytes.length - 1);
  return JSON.parse(bytes.toString('utf8')) as string;
}

/** The UTF-8 bytes of a JSON string token's text (the data of STRING). */
function stringBytes(data: RawJson, path: string): Buffer {
  const { bytes } = data;
  checkString(bytes, path);
  // Without a backslash they are the bytes between the quotes, already checked as UTF-8 with the
  // body: a view of them, rather than text decoded only to be encoded again.
  if (bytes.indexOf(0x5c) === -1) return bytes.subarray(1, bytes.length - 1);
  return Buffer.from(JSON.parse(bytes.toString('utf8')) as string, 'utf8');
}

/** The types written without a schema, and their encoders. */
export const PLAIN_DATA_ENCODERS: Readonly<Record<'BINARY' | 'JSON' | 'STRING', V3DataEncoder>> = {
  BINARY: (data, path) => (data === null ? null : base64Bytes(stringData(data, path), () => path)),
  STRING: (data, path) => (data === null ? null : stringBytes(data, path)),
  JSON: (data, path) => {
    if (data === null) return null;
    if (data.depth > MAX_JSON_DEPTH) throw new ValidationError(`${path}: nested deeper than ${MAX_JSON_DEPTH} levels`);
    return data.bytes;
  },
};
export type PlainDataType = keyof typeof PLAIN_DATA_ENCODERS;

/**
 * The plain type of a key or value (its encoder is {@link PLAIN_DATA_ENCODERS}'s); undefined when
 * it is written with a schema (a schema'd type, or no type at all).
 *
 * @param members - the `ProduceRequestData` object, its members already checked by name.
 * @param memberCount - how many members it has.
 * @param path - `key` or `value`, for error messages.
 * @throws {ValidationError} for an unknown type, or schema members on a plain one.
 */
export function plainTypeOf(members: Readonly<Record<string, unknown>>, memberCount: number, path: string): PlainDataType | undefined {
  const { type } = members;
  if (type === undefined || type === null) return undefined;
  if (type !== 'STRING' && type !== 'JSON' && type !== 'BINARY') {
    if (typeof type === 'string' && (V3_DATA_TYPES as readonly string[]).includes(type)) return undefined;
    throw new ValidationError(`${path}.type: must be one of ${V3_DATA_TYPES.join(', ')}`);
  }
  // Past `type` and `data`, only schema members can be there: look for them only then.
  // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator,BooleanLiteral,StringLiteral: speed only; the look finds nothing in {type, data}.
  if (memberCount > 2 || (memberCount === 2 && !('data' in members))) {
    const schemaField = SCHEMA_FIELDS.find((field) => members[field] !== undefined && members[field] !== null);
    if (schemaField !== undefined) throw new ValidationError(`${path}.${schemaField}: does not apply to type ${type}`);
  }
  return type;
}
