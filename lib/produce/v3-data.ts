/**
 * The key and value of a REST Proxy v3 record, `{"type": ..., "data": ...}`, turned into
 * bytes. One encoder per `type`, in one table: BINARY (base64, checked strictly), JSON (kept
 * byte for byte as the client wrote it) and STRING (its UTF-8 bytes). The schema'd types
 * (AVRO, JSONSCHEMA, PROTOBUF, and a record without `type` that names a schema) plug in here
 * as more rows; until they do, such a record is refused on its own, naming the types served.
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
  /** The schema members given, by name (none for the types served today). */
  schemaFields: string[];
}

/**
 * Encodes `data` (kept as written) into the record's bytes; null stays null. Async, so that an
 * encoder that needs the schema registry fits the same row.
 */
export type V3DataEncoder = (data: RawJson | null, path: string) => Buffer | null | Promise<Buffer | null>;

/** The text of a JSON string token (the data of BINARY and STRING). */
function stringData(data: RawJson, path: string): string {
  const { bytes } = data;
  // A string token starts with a quote; any other JSON value is not a string.
  if (bytes[0] !== 0x22) throw new ValidationError(`${path}: must be a string`);
  // Without a backslash the text is the bytes between the quotes (the reader checked the token).
  if (bytes.indexOf(0x5c) === -1) return bytes.toString('utf8', 1, bytes.length - 1);
  return JSON.parse(bytes.toString('utf8')) as string;
}

/** The encoders served, by type: a schema'd format becomes one more row. */
export const V3_DATA_ENCODERS: Partial<Readonly<Record<V3DataType, V3DataEncoder>>> = {
  BINARY: (data, path) => (data === null ? null : base64Bytes(stringData(data, path), () => path)),
  STRING: (data, path) => (data === null ? null : Buffer.from(stringData(data, path), 'utf8')),
  JSON: (data, path) => {
    if (data === null) return null;
    if (data.depth > MAX_JSON_DEPTH) throw new ValidationError(`${path}: nested deeper than ${MAX_JSON_DEPTH} levels`);
    return data.bytes;
  },
};

const SERVED = Object.keys(V3_DATA_ENCODERS).join(', ');

/**
 * The encoder for a key or value's `type`.
 *
 * @param path - `key` or `value`, for error messages.
 * @throws {ValidationError} for a missing or unknown type, or a schema'd one not served.
 */
export function v3EncoderOf(value: V3Data, path: string): { type: V3DataType; encode: V3DataEncoder } {
  const { type } = value;
  if (type === undefined || type === null) {
    const hint = value.schemaFields.length > 0 ? `; records with a schema (${value.schemaFields.join(', ')}) are not served on this route yet` : '';
    throw new ValidationError(`${path}.type: is required, one of ${SERVED}${hint}`);
  }
  if (typeof type !== 'string' || !(V3_DATA_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(`${path}.type: must be one of ${V3_DATA_TYPES.join(', ')}`);
  }
  const encode = V3_DATA_ENCODERS[type as V3DataType];
  if (encode === undefined) throw new ValidationError(`${path}.type: ${type} is not served on this route yet; use one of ${SERVED}`);
  const schemaField = SCHEMA_FIELDS.find((field) => value.schemaFields.includes(field));
  if (schemaField !== undefined) throw new ValidationError(`${path}.${schemaField}: does not apply to type ${type}`);
  return { type: type as V3DataType, encode };
}
