/**
 * The record name of a schema, as Confluent's RecordNameStrategy and TopicRecordNameStrategy
 * name subjects from it (`ParsedSchema.name()`): an Avro named type's full name (a primitive's
 * or a container's type name), a JSON Schema's `title`, a Protobuf schema's first message's
 * full name.
 * https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#subject-name-strategy
 */
import { isPlainObject } from '../json-checks';
import { SchemaParseFailure } from './codec';
import { SchemaFormat } from './format';

const AVRO_NAMED = new Set(['record', 'error', 'enum', 'fixed']);

function avroRecordName(schema: unknown): string {
  if (typeof schema === 'string') return schema;
  if (Array.isArray(schema)) return 'union';
  if (!isPlainObject(schema) || typeof schema.type !== 'string') throw new SchemaParseFailure('not an Avro schema');
  if (!AVRO_NAMED.has(schema.type)) return schema.type;
  const { name, namespace } = schema;
  if (typeof name !== 'string' || name === '') throw new SchemaParseFailure(`an Avro ${schema.type} needs a name`);
  // A name with a dot is already full; otherwise the namespace, if any, goes in front.
  return name.includes('.') || typeof namespace !== 'string' || namespace === '' ? name : `${namespace}.${name}`;
}

function parsedJson(schema: string): unknown {
  try {
    return JSON.parse(schema);
  } catch (error) {
    throw new SchemaParseFailure((error as Error).message);
  }
}

/**
 * The record name of `schema`, or undefined for a JSON Schema without a `title` (it has none).
 *
 * @throws {SchemaParseFailure} for a schema that does not parse.
 */
export async function recordNameOf(format: SchemaFormat, schema: string): Promise<string | undefined> {
  if (format === SchemaFormat.Avro) return avroRecordName(parsedJson(schema));
  if (format === SchemaFormat.Json) {
    const parsed = parsedJson(schema);
    return isPlainObject(parsed) && typeof parsed.title === 'string' && parsed.title !== '' ? parsed.title : undefined;
  }
  const { protobufRecordName } = await import('./protobuf');
  return protobufRecordName(schema);
}
