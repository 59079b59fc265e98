/**
 * The schema'd keys and values of the REST Proxy v3 records (AVRO, JSONSCHEMA, PROTOBUF, and a
 * key or value without `type`): which schema a `ProduceRequestData` names, under which subject,
 * and its bytes in Confluent's wire format. The rules are Confluent's (SchemaManagerImpl):
 *
 * - `schema_id`, with `subject` or `subject_name_strategy` at most: that schema, in the format
 *   the registry holds it in, under the subject;
 * - `schema_version`, with `subject` or `subject_name_strategy` at most: that version of the subject;
 * - `type` and `schema` (the text): registered under the subject on first use;
 * - neither: the subject's latest schema.
 *
 * Any other mix is 400. The subject is `subject` when given, else the strategy's (TOPIC_NAME,
 * the default: `<topic>-key` / `<topic>-value`; RECORD_NAME: the schema's record name;
 * TOPIC_RECORD_NAME: `<topic>-<record name>`). Encoding is v2's (`record-encoder.ts`), so a
 * value keeps every digit on both APIs.
 * https://github.com/confluentinc/kafka-rest/blob/master/api/v3/openapi.yaml
 */
import { SchemaArgumentsError, SchemaInvalidError, SchemaNotFoundError, ValidationError } from '../errors';
import { isInteger } from '../json-checks';
import { SchemaParseFailure } from '../schema/codec';
import { SchemaFormat } from '../schema/format';
import { recordNameOf } from '../schema/record-name';
import { formatName, type Schemas, type SubjectSchema } from '../schema/schemas';
import type { RawJson } from './json-body';
import { encodeSide } from './record-encoder';
import type { SchemasLoader } from './v2-request';
import { MAX_JSON_DEPTH } from './validation';

/** The `type`s written with a schema, and the registry's format of each. */
const TYPE_FORMATS = { AVRO: SchemaFormat.Avro, JSONSCHEMA: SchemaFormat.Json, PROTOBUF: SchemaFormat.Protobuf } as const;
export type V3SchemaType = keyof typeof TYPE_FORMATS;
const FORMAT_TYPES: Readonly<Record<SchemaFormat, V3SchemaType>> = { AVRO: 'AVRO', JSON: 'JSONSCHEMA', PROTOBUF: 'PROTOBUF' };

/** Confluent's `subject_name_strategy` values. */
const STRATEGIES = ['TOPIC_NAME', 'RECORD_NAME', 'TOPIC_RECORD_NAME'] as const;
type Strategy = (typeof STRATEGIES)[number];

/** The largest schema id (Confluent's ids are 32-bit signed integers). */
const MAX_SCHEMA_ID = 0x7fff_ffff;

/** The members of a `ProduceRequestData` besides `data`, as the body gave them. */
export interface V3SchemaMembers {
  type?: unknown;
  subject?: unknown;
  subject_name_strategy?: unknown;
  schema_id?: unknown;
  schema_version?: unknown;
  schema?: unknown;
}

/** What the answer reports of a key or value written with a schema (Confluent's `ProduceResponseData`). */
export interface V3SchemaReport {
  type: V3SchemaType;
  subject: string;
  schemaId: number;
  schemaVersion: number;
}

/** A key or value written with a schema: its bytes and its report. */
export interface V3SchemaEncoded {
  bytes: Buffer | null;
  report: V3SchemaReport;
}

/** The members checked one by one. */
interface Spec {
  type: V3SchemaType | undefined;
  subject: string | undefined;
  strategy: Strategy;
  schemaId: number | undefined;
  schemaVersion: number | undefined;
  schema: string | undefined;
}

interface Resolved {
  prepared: SubjectSchema;
  subject: string;
}

/**
 * What the records of one request share: the schemas loaded, and each schema named resolved
 * once (the records of a request mostly name one schema; the latest version is asked once).
 */
export interface V3SchemaScope {
  topic: string;
  /** Undefined when no registry is configured. */
  schemas: SchemasLoader | undefined;
  resolved: Map<string, Promise<Resolved>>;
}

const given = (value: unknown): boolean => value !== undefined && value !== null;

function readSpec(members: V3SchemaMembers, side: string): Spec {
  const { type, subject, subject_name_strategy: strategy, schema_id: schemaId, schema_version: schemaVersion, schema } = members;
  if (given(subject) && (typeof subject !== 'string' || subject === '')) throw new ValidationError(`${side}.subject: must be a non-empty string`);
  if (given(strategy) && !(STRATEGIES as readonly unknown[]).includes(strategy)) {
    throw new ValidationError(`${side}.subject_name_strategy: must be one of ${STRATEGIES.join(', ')}`);
  }
  if (given(schemaId) && !(isInteger(schemaId) && schemaId >= 0 && schemaId <= MAX_SCHEMA_ID)) {
    throw new ValidationError(`${side}.schema_id: must be a schema id (a whole number)`);
  }
  if (given(schemaVersion) && !(isInteger(schemaVersion) && schemaVersion >= 1 && schemaVersion <= MAX_SCHEMA_ID)) {
    throw new ValidationError(`${side}.schema_version: must be a version number (a whole number from 1)`);
  }
  if (given(schema) && (typeof schema !== 'string' || schema.trim() === ''))
    throw new ValidationError(`${side}.schema: must be the schema as a non-empty string`);
  return {
    type: given(type) ? (type as V3SchemaType) : undefined,
    subject: given(subject) ? (subject as string) : undefined,
    strategy: given(strategy) ? (strategy as Strategy) : 'TOPIC_NAME',
    schemaId: given(schemaId) ? (schemaId as number) : undefined,
    schemaVersion: given(schemaVersion) ? (schemaVersion as number) : undefined,
    schema: given(schema) ? (schema as string) : undefined,
  };
}

/**
 * Checks that the members go together, as Confluent's SchemaManagerImpl does.
 *
 * @throws {SchemaArgumentsError} naming the member that does not fit.
 */
function checkCombination(spec: Spec, side: string): void {
  const { type, schemaId, schemaVersion, schema } = spec;
  if (schemaId !== undefined) {
    const other = type !== undefined ? 'type' : schemaVersion !== undefined ? 'schema_version' : schema !== undefined ? 'schema' : undefined;
    if (other !== undefined) throw new SchemaArgumentsError(`${side}.schema_id: goes with subject or subject_name_strategy only, not with ${other}`);
    return;
  }
  if (schemaVersion !== undefined) {
    const other = type !== undefined ? 'type' : schema !== undefined ? 'schema' : undefined;
    if (other !== undefined) throw new SchemaArgumentsError(`${side}.schema_version: goes with subject or subject_name_strategy only, not with ${other}`);
    return;
  }
  if (schema !== undefined && type === undefined) throw new SchemaArgumentsError(`${side}.schema: needs type (AVRO, JSONSCHEMA or PROTOBUF)`);
  if (schema === undefined && type !== undefined) {
    throw new SchemaArgumentsError(`${side}.type: ${type} needs schema, schema_id or schema_version; for the subject's latest schema leave type out`);
  }
}

/** A schema given by text or id, for a record name strategy to name the subject by. */
type NamedSchema = { format: SchemaFormat; schema: string };

async function subjectOf(spec: Spec, side: 'key' | 'value', topic: string, named: (() => Promise<NamedSchema>) | undefined): Promise<string> {
  // As Confluent's: a subject given wins over any strategy.
  if (spec.subject !== undefined) return spec.subject;
  if (spec.strategy === 'TOPIC_NAME') return `${topic}-${side}`;
  if (named === undefined) throw new SchemaArgumentsError(`${side}.subject_name_strategy: ${spec.strategy} needs schema_id or schema, to name the subject by`);
  const { format, schema } = await named();
  let name: string | undefined;
  try {
    name = await recordNameOf(format, schema);
  } catch (error) {
    if (!(error instanceof SchemaParseFailure)) throw error;
    // The parser's own words stay in the cause (logged with the request id), never in the answer.
    throw new SchemaInvalidError(`${side}.schema: not a valid ${formatName(format)} schema`, { cause: error });
  }
  if (name === undefined) throw new SchemaArgumentsError(`${side}.subject_name_strategy: ${spec.strategy} needs a record name; this JSON Schema has no title`);
  return spec.strategy === 'RECORD_NAME' ? name : `${topic}-${name}`;
}

async function resolve(spec: Spec, side: 'key' | 'value', topic: string, schemas: Schemas): Promise<Resolved> {
  const { schemaId, schemaVersion, schema, type } = spec;
  if (schemaId !== undefined) {
    const field = `${side}.schema_id`;
    const subject = await subjectOf(spec, side, topic, () => schemas.registered(schemaId, field));
    return { subject, prepared: await schemas.prepareUnderSubject(subject, { id: schemaId }, field) };
  }
  if (schema !== undefined) {
    // checkCombination let a schema text through only with its type.
    const format = TYPE_FORMATS[type as V3SchemaType];
    const field = `${side}.schema`;
    const subject = await subjectOf(spec, side, topic, async () => ({ format, schema }));
    const prepared = await schemas.prepare(subject, format, { schema }, field);
    const version = await schemas.versionUnderSubject(subject, prepared.id, field);
    return { subject, prepared: { ...prepared, format, version } };
  }
  const subject = await subjectOf(spec, side, topic, undefined);
  if (schemaVersion === undefined) return { subject, prepared: await schemas.prepareUnderSubject(subject, { version: 'latest' }, side) };
  try {
    return { subject, prepared: await schemas.prepareUnderSubject(subject, { version: schemaVersion }, `${side}.schema_version`) };
  } catch (error) {
    // Confluent answers a version the subject does not have 400 (SchemaManagerImpl.getSchemaFromSchemaVersion).
    if (!(error instanceof SchemaNotFoundError)) throw error;
    throw new SchemaArgumentsError(`${side}.schema_version: subject "${subject}" has no version ${schemaVersion}`, { cause: error });
  }
}

/**
 * The bytes of a key or value written with a schema, and what its report says of the schema.
 *
 * @param members - the `ProduceRequestData` members besides `data`.
 * @param data - `data` as written; null writes a null key or value (the schema is still resolved).
 * @throws {ValidationError} for a malformed member, or no registry configured.
 * @throws {SchemaArgumentsError} for members that do not go together.
 * @throws the errors of the schema'd formats: schema invalid (42205), not found (42207), data not matching (42203), registry unavailable (503).
 */
export async function encodeV3WithSchema(
  members: V3SchemaMembers,
  data: RawJson | null,
  side: 'key' | 'value',
  scope: V3SchemaScope,
): Promise<V3SchemaEncoded> {
  const spec = readSpec(members, side);
  checkCombination(spec, side);
  const { schemas } = scope;
  if (schemas === undefined) throw new ValidationError(`${side}: a ${side} with a schema needs a schema registry, and none is configured`);
  const key = `${side}\u0000${spec.type}\u0000${spec.subject}\u0000${spec.strategy}\u0000${spec.schemaId}\u0000${spec.schemaVersion}\u0000${spec.schema}`;
  let resolving = scope.resolved.get(key);
  if (resolving === undefined) {
    // Resolved once for the request: a failure is each record's that names this schema.
    resolving = schemas().then((loaded) => resolve(spec, side, scope.topic, loaded));
    scope.resolved.set(key, resolving);
  }
  const { prepared, subject } = await resolving;
  const report = { type: FORMAT_TYPES[prepared.format], subject, schemaId: prepared.id, schemaVersion: prepared.version };
  if (data === null) return { bytes: null, report };
  if (data.depth > MAX_JSON_DEPTH) throw new ValidationError(`${side}.data: nested deeper than ${MAX_JSON_DEPTH} levels`);
  return { bytes: encodeSide(prepared, data.bytes, `${side}.data`), report };
}
