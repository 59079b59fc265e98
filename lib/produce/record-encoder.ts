/**
 * The record encoder of each embedded format: what turns a parsed request's keys and values
 * into the bytes produced. The json and binary formats are already bytes; the schema'd
 * formats (avro, jsonschema, protobuf) resolve their schemas under the topic's subjects
 * (TopicNameStrategy: `<topic>-key`, `<topic>-value`), check each key and value against them
 * and write Confluent's wire format. Every request reader (v2, v3) ends here, so the rules
 * are the same on every route. Nothing is produced before every record has encoded.
 */
import { KeySchemaMissingError, UnsupportedMediaTypeError, ValidationError, ValueSchemaMissingError } from '../errors';
import { isInteger } from '../json-checks';
import { parseJsonExact } from '../json-numbers';
import { SchemaFormat } from '../schema/format';
import { encodeWith, type PreparedSchema, type SchemaRef, type Schemas } from '../schema/schemas';
import { NO_SCHEMA_IDS, type SchemaIds } from './response';
import { EmbeddedFormat, isSchemaFormat, type ProduceRecord, type SchemaFields } from './validation';

/** The records as produced, and the schema ids used. */
export interface EncodedRecords extends SchemaIds {
  records: ProduceRecord[];
}

const REGISTRY_FORMAT: Partial<Record<EmbeddedFormat, SchemaFormat>> = {
  [EmbeddedFormat.Avro]: SchemaFormat.Avro,
  [EmbeddedFormat.JsonSchema]: SchemaFormat.Json,
  [EmbeddedFormat.Protobuf]: SchemaFormat.Protobuf,
};

/** The largest schema id Confluent's 4-byte id holds. */
const MAX_SCHEMA_ID = 0x7fff_ffff;

/** The schema a side's fields name, if any. @throws {ValidationError} for both given, or a malformed field. */
function schemaRefOf(fields: SchemaFields, side: 'key' | 'value'): SchemaRef | undefined {
  const schema = fields[`${side}_schema`];
  const id = fields[`${side}_schema_id`];
  const hasSchema = schema !== undefined && schema !== null;
  const hasId = id !== undefined && id !== null;
  if (hasSchema && hasId) throw new ValidationError(`${side}_schema and ${side}_schema_id: give one of them, not both`);
  if (hasSchema) {
    if (typeof schema !== 'string' || schema.trim() === '') throw new ValidationError(`${side}_schema: must be the schema as a non-empty string`);
    return { schema };
  }
  if (hasId) {
    // Confluent's REST Proxy reads the id as an integer, also when it is sent as a numeric string.
    const number = typeof id === 'string' && /^\d+$/.test(id) ? Number(id) : id;
    if (!isInteger(number) || number < 0 || number > MAX_SCHEMA_ID) throw new ValidationError(`${side}_schema_id: must be a schema id (a whole number)`);
    return { id: number };
  }
  return undefined;
}

/**
 * A key or value (JSON text as the client wrote it) encoded with `prepared`, behind Confluent's
 * framing; null, or no schema, leaves it as it is. The v3 records encode with it too.
 *
 * @param place - the request's field named in errors.
 * @throws the errors of {@link encodeWith}.
 */
export function encodeSide(prepared: PreparedSchema | undefined, bytes: Buffer | null, place: string): Buffer | null {
  if (bytes === null || prepared === undefined) return bytes;
  return encodeWith(prepared, parseJsonExact(bytes.toString('utf8')), bytes, place);
}

/**
 * The records of a request in `format`, as produced.
 *
 * @param schemas - the schema'd formats over the configured registry; undefined when none is configured.
 * @throws {UnsupportedMediaTypeError} for a schema'd format without a registry.
 * @throws {KeySchemaMissingError} / {@link ValueSchemaMissingError} when a record has a key / value and no schema names it.
 * @throws {ValidationError} for malformed schema fields.
 * @throws the errors of `Schemas.prepare` and {@link encodeWith}: schema invalid, id not under the subject, data not matching, registry unavailable.
 */
export async function encodeRecords(
  topic: string,
  format: EmbeddedFormat,
  fields: SchemaFields,
  records: ProduceRecord[],
  schemas: Schemas | undefined,
): Promise<EncodedRecords> {
  const registryFormat = REGISTRY_FORMAT[format];
  if (!isSchemaFormat(format) || registryFormat === undefined) return { records, ...NO_SCHEMA_IDS };
  if (schemas === undefined) throw new UnsupportedMediaTypeError(`the ${format} format needs a schema registry, and none is configured`);
  const keyRef = schemaRefOf(fields, 'key');
  const valueRef = schemaRefOf(fields, 'value');
  const firstKeyed = records.findIndex((record) => record.key !== null);
  if (firstKeyed !== -1 && keyRef === undefined) throw new KeySchemaMissingError(`records[${firstKeyed}].key: a key needs key_schema or key_schema_id`);
  const firstValued = records.findIndex((record) => record.value !== null);
  if (firstValued !== -1 && valueRef === undefined)
    throw new ValueSchemaMissingError(`records[${firstValued}].value: a value needs value_schema or value_schema_id`);
  const [key, value] = await Promise.all([
    keyRef === undefined ? undefined : schemas.prepare(`${topic}-key`, registryFormat, keyRef, 'schema' in keyRef ? 'key_schema' : 'key_schema_id'),
    valueRef === undefined ? undefined : schemas.prepare(`${topic}-value`, registryFormat, valueRef, 'schema' in valueRef ? 'value_schema' : 'value_schema_id'),
  ]);
  const encoded = records.map((record, index) => ({
    ...record,
    key: encodeSide(key, record.key, `records[${index}].key`),
    value: encodeSide(value, record.value, `records[${index}].value`),
  }));
  return { records: encoded, keySchemaId: key?.id ?? null, valueSchemaId: value?.id ?? null };
}
