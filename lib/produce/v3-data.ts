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

/** The key or value of a record, as read: `data` is kept as written (RawJson), null when absent or null. */
export interface V3Data {
  type: unknown;
  data: RawJson | null;
  /** The `ProduceRequestData` object as read (its schema members, for a schema'd type). */
  members: Readonly<Record<string, unknown>>;
}

/** Encodes `data` (kept as written) into the record's bytes; null stays null. */
export type V3DataEncoder = (data: RawJson | null, path: string) => Buffer | null;

/** The text of a JSON string token (the data of BINARY and STRING). */
function stringData(data: RawJson, path: string): string {
  const { bytes } = data;
  // A string token starts with a quote; any other JSON value is not a string.
  if (bytes[0] !== 0x22) throw new ValidationError(`${path}: must be a string`);
  // Without a backslash the text is the bytes between the quotes (the reader checked the token).
  if (bytes.indexOf(0x5c) === -1) return bytes.toString('utf8', 1, bytes.length - 1);
  return JSON.parse(bytes.toString('utf8')) as string;
}

/** The types written without a schema, and their encoders. */
export const PLAIN_DATA_ENCODERS: Readonly<Record<'BINARY' | 'JSON' | 'STRING', V3DataEncoder>> = {
  BINARY: (data, path) => (data === null ? null : base64Bytes(stringData(data, path), () => path)),
  STRING: (data, path) => (data === null ? null : Buffer.from(stringData(data, path), 'utf8')),
  JSON: (data, path) => {
    if (data === null) return null;
    if (data.depth > MAX_JSON_DEPTH) throw new ValidationError(`${path}: nested deeper than ${MAX_JSON_DEPTH} levels`);
    return data.bytes;
  },
};
export type PlainDataType = keyof typeof PLAIN_DATA_ENCODERS;

/**
 * The encoder of a plain key or value's `type`; undefined when it is written with a schema (a
 * schema'd type, or no type at all).
 *
 * @param path - `key` or `value`, for error messages.
 * @throws {ValidationError} for an unknown type, or schema members on a plain one.
 */
export function plainEncoderOf(value: V3Data, path: string): { type: PlainDataType; encode: V3DataEncoder } | undefined {
  const { type } = value;
  if (type === undefined || type === null) return undefined;
  if (typeof type !== 'string' || !(V3_DATA_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(`${path}.type: must be one of ${V3_DATA_TYPES.join(', ')}`);
  }
  if (!Object.hasOwn(PLAIN_DATA_ENCODERS, type)) return undefined;
  const schemaField = SCHEMA_FIELDS.find((field) => value.members[field] !== undefined && value.members[field] !== null);
  if (schemaField !== undefined) throw new ValidationError(`${path}.${schemaField}: does not apply to type ${type}`);
  return { type: type as PlainDataType, encode: PLAIN_DATA_ENCODERS[type as PlainDataType] };
}
