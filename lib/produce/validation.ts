/**
 * Pure validation of a produce request: topic name, content type, size limits and the REST
 * Proxy v2 body, turned into records of raw bytes. Every failure is a 4xx {@link AppError}
 * whose message names the offending field (for example `records[3].value`).
 */
import { BodyNotJsonError, PayloadTooLargeError, TopicNotAllowedError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import { CALLER_HEADER, isIdentityHeader, MESSAGE_ID_HEADER } from '../headers';
import { isBase64, isInteger, isPlainObject } from '../json-checks';
import { isTopicName, TOPIC_NAME_RULE } from '../topic-name';
import { DUPLICATE_MEMBER, JsonSyntaxError, objectPlace, RawJson, readJson, type Place, type ReadObject } from './json-body';

/** How keys and values are embedded in the JSON body. */
export const EmbeddedFormat = {
  /** Any JSON; the record holds its UTF-8 JSON text. */
  Json: 'json',
  /** Base64 strings; the record holds the decoded bytes. */
  Binary: 'binary',
  /** JSON in Avro's JSON encoding; the record holds Avro binary in Confluent's framing. */
  Avro: 'avro',
  /** JSON checked against a JSON Schema; the record holds the JSON text in Confluent's framing. */
  JsonSchema: 'jsonschema',
  /** JSON in Protobuf's JSON mapping; the record holds the message in Confluent's framing. */
  Protobuf: 'protobuf',
} as const;
export type EmbeddedFormat = (typeof EmbeddedFormat)[keyof typeof EmbeddedFormat];

/** Accepted request media types and the format each implies. */
const PRODUCE_MEDIA_TYPES: Readonly<Record<string, EmbeddedFormat>> = {
  'application/vnd.kafka.json.v2+json': EmbeddedFormat.Json,
  'application/json': EmbeddedFormat.Json,
  'application/vnd.kafka.binary.v2+json': EmbeddedFormat.Binary,
  'application/vnd.kafka.avro.v2+json': EmbeddedFormat.Avro,
  'application/vnd.kafka.jsonschema.v2+json': EmbeddedFormat.JsonSchema,
  'application/vnd.kafka.protobuf.v2+json': EmbeddedFormat.Protobuf,
};

/** True for the formats whose records are written with a registered schema. */
export function isSchemaFormat(format: EmbeddedFormat): boolean {
  return format !== EmbeddedFormat.Json && format !== EmbeddedFormat.Binary;
}

/** One record to produce, as raw bytes. */
export interface ProduceRecord {
  key: Buffer | null;
  /** Null is a tombstone. */
  value: Buffer | null;
  partition?: number;
  /** In order; a value is null for Kafka's null header value (Confluent's v3 `{"name", "value": null}`). */
  headers: { name: string; value: Buffer | null }[];
  /** CreateTime, epoch milliseconds (v3 records); absent, the producer stamps the send's time. */
  timestampMs?: number;
}

/** Limits from configuration. */
export interface ProduceLimits {
  maxRecordsPerRequest: number;
  maxRequestBytes: number;
}

/** The largest partition number Kafka allows (a 32-bit signed integer). */
export const MAX_PARTITION = 2_147_483_647;
const SCHEMA_FIELDS = new Set(['key_schema', 'value_schema', 'key_schema_id', 'value_schema_id']);
const RECORD_FIELDS = new Set(['key', 'value', 'partition', 'headers']);
const HEADER_FIELDS = new Set(['name', 'value']);

/**
 * Checks that `topic` is a legal Kafka topic name and that the API may write to it.
 *
 * @throws {ValidationError} for an illegal name; {@link TopicNotAllowedError} when not in `allowedTopics`.
 */
export function checkTopic(topic: string, allowedTopics: ReadonlySet<string> | '*'): void {
  if (!isTopicName(topic)) {
    throw new ValidationError(`topic: must be ${TOPIC_NAME_RULE}`);
  }
  if (allowedTopics !== '*' && !allowedTopics.has(topic)) {
    throw new TopicNotAllowedError(`topic "${topic}" is not open for producing`);
  }
}

/** The media type of a `Content-Type` header: lower case, without parameters such as `charset`. */
export function mediaTypeOf(contentType: string | undefined): string {
  // Stryker disable next-line StringLiteral,OptionalChaining: split always gives a first part (the `?.` and the last `??` are for the type checker), and a missing header is no media type under any name.
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * The embedded format named by a `Content-Type` header; parameters such as `charset` are ignored.
 *
 * @throws {UnsupportedMediaTypeError} for a missing or unsupported media type.
 */
export function embeddedFormatOf(contentType: string | undefined): EmbeddedFormat {
  const format = PRODUCE_MEDIA_TYPES[mediaTypeOf(contentType)];
  if (format === undefined) {
    throw new UnsupportedMediaTypeError(`Content-Type "${contentType ?? ''}" is not supported; use one of ${Object.keys(PRODUCE_MEDIA_TYPES).join(', ')}`);
  }
  return format;
}

/** True for a JSON object of the request (a key or value kept as written, RawJson, is an object too, but never a field of the request). */
export function isObject(value: unknown): value is ReadObject {
  return isPlainObject(value) && !(value instanceof RawJson);
}

/**
 * Refuses a member given twice and any member not in `allowed`.
 *
 * @returns how many members `value` has.
 * @throws {ValidationError} naming the member under `path()`.
 */
export function rejectUnknownFields(value: ReadObject, allowed: ReadonlySet<string>, path: () => string): number {
  // Which of two equal members counts is left open by JSON (RFC 8259, 4), so neither is guessed.
  const duplicate = value[DUPLICATE_MEMBER];
  if (duplicate !== undefined) throw new ValidationError(`${path()}.${duplicate}: given more than once`);
  // for...in rather than Object.keys: no array per object (the reader's objects inherit nothing enumerable).
  let count = 0;
  for (const field in value) {
    if (!allowed.has(field)) throw new ValidationError(`${path()}.${field}: unknown field`);
    count += 1;
  }
  return count;
}

/**
 * The bytes of a base64 string, checked strictly.
 *
 * @throws {ValidationError} naming `path()` when `value` is not a base64 string.
 */
export function base64Bytes(value: unknown, path: () => string): Buffer {
  if (!isBase64(value)) throw new ValidationError(`${path()}: must be a base64 string`);
  return Buffer.from(value, 'base64');
}

/**
 * Deepest JSON nesting a key or value may have. Real documents stay far below this (DynamoDB
 * itself stores at most 32 levels), and consumers that parse records recursively are spared
 * hostile ones.
 */
export const MAX_JSON_DEPTH = 100;

function embedded(value: unknown, format: EmbeddedFormat, path: () => string): Buffer | null {
  if (value === null || value === undefined) return null;
  if (format === EmbeddedFormat.Binary) return base64Bytes(value, path);
  // In the JSON and schema'd formats the reader keeps every non-null key and value as written (RawJson).
  const raw = value as RawJson;
  if (raw.depth > MAX_JSON_DEPTH) throw new ValidationError(`${path()}: nested deeper than ${MAX_JSON_DEPTH} levels`);
  return raw.bytes;
}

// Paths such as `records[3].headers[0].value` name the field in an error message only, so they
// are built when a check fails rather than for every field of every record.
const recordPath = (index: number): string => `records[${index}]`;

/**
 * Reads a record's `headers`, `[{"name", "value": "<base64>"}]`, in order (a name may repeat).
 * The caller header is the API's to set, and a `message-id` must be text the consumer can use.
 *
 * @param recordPath - names the record in error messages (`records[3]`, or `` for a v3 record).
 * @throws {ValidationError} naming the first invalid header.
 */
export function parseHeaders(value: unknown, recordPath: () => string): ProduceRecord['headers'] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ValidationError(`${headersPath(recordPath)}: must be an array of {"name", "value"}`);
  const headers: ProduceRecord['headers'] = [];
  for (let index = 0; index < value.length; index += 1) {
    const header: unknown = value[index];
    if (!isObject(header)) throw new ValidationError(`${headerPath(recordPath, index)}: must be an object with "name" and "value"`);
    rejectUnknownFields(header, HEADER_FIELDS, () => headerPath(recordPath, index));
    const { name } = header;
    if (typeof name !== 'string' || name === '') throw new ValidationError(`${headerPath(recordPath, index)}.name: must be a non-empty string`);
    // The API stamps the authenticated caller itself; a client-set value would let one caller pose as another.
    if (name.toLowerCase() === CALLER_HEADER) {
      throw new ValidationError(`${headerPath(recordPath, index)}.name: "${CALLER_HEADER}" is set by the API from the authenticated caller and cannot be sent`);
    }
    // Confluent's ProduceRequestHeader value is nullable: null is Kafka's null header value. An absent
    // value is still refused, so that a header written without one by mistake is not sent as null.
    const bytes = header.value === null ? null : base64Bytes(header.value, () => `${headerPath(recordPath, index)}.value`);
    // The consumer would treat such an id as absent and fall back to the record's offset, so a
    // client's retry would be applied twice.
    if (name === MESSAGE_ID_HEADER && (bytes === null || !isIdentityHeader(bytes))) {
      throw new ValidationError(
        `${headerPath(recordPath, index)}.value: a "${MESSAGE_ID_HEADER}" header must be non-empty UTF-8 text, the id the consumer deduplicates on`,
      );
    }
    headers.push({ name, value: bytes });
  }
  return headers;
}

// Built only when a check fails: closures made per record and header cost more than the checks.
function headersPath(recordPath: () => string): string {
  const record = recordPath();
  return record === '' ? 'headers' : `${record}.headers`;
}

function headerPath(recordPath: () => string, index: number): string {
  return `${headersPath(recordPath)}[${index}]`;
}

function parseRecord(value: unknown, format: EmbeddedFormat, index: number): ProduceRecord {
  if (!isObject(value)) throw new ValidationError(`${recordPath(index)}: must be an object`);
  rejectUnknownFields(value, RECORD_FIELDS, () => recordPath(index));
  if (!('value' in value)) throw new ValidationError(`${recordPath(index)}.value: is required (null for a tombstone)`);
  const record: ProduceRecord = {
    key: embedded(value.key, format, () => `${recordPath(index)}.key`),
    value: embedded(value.value, format, () => `${recordPath(index)}.value`),
    headers: parseHeaders(value.headers, () => recordPath(index)),
  };
  if (value.partition !== undefined && value.partition !== null) {
    const { partition } = value;
    if (!isInteger(partition) || partition < 0 || partition > MAX_PARTITION) {
      throw new ValidationError(`${recordPath(index)}.partition: must be a whole number from 0 to ${MAX_PARTITION}`);
    }
    record.partition = partition;
  }
  return record;
}

// The members each object mostly has are matched byte for byte rather than read (see ObjectPlace).
export const HEADERS_PLACE: Place = {
  // Stryker disable next-line StringLiteral,ArrowFunction,ConditionalExpression,EqualityOperator,ArrayDeclaration: a place not 'raw' nor a container is plain (a token is plain, looked up); without expected names each member is read by name.
  array: objectPlace((member) => (member === 'name' ? 'token' : 'plain'), [...HEADER_FIELDS]),
};
const JSON_RECORD_PLACE = objectPlace(
  // Stryker disable next-line ConditionalExpression,StringLiteral: a record's other members are refused by name or read as numbers, whatever their place.
  (member) => (member === 'key' || member === 'value' ? 'raw' : member === 'headers' ? HEADERS_PLACE : 'plain'),
  // Stryker disable next-line ArrayDeclaration: speed only; without the expected names every member is read by name.
  [...RECORD_FIELDS],
);
const BINARY_RECORD_PLACE = objectPlace(
  // Stryker disable next-line ConditionalExpression,StringLiteral: a record's other members are refused by name or read as base64 strings and numbers, whatever their place.
  (member) => (member === 'headers' ? HEADERS_PLACE : 'plain'),
  // Stryker disable next-line ArrayDeclaration: speed only; without the expected names every member is read by name.
  [...RECORD_FIELDS],
);

/** Where the body reader keeps values as written: each record's key and value, in every format but binary. */
function bodyPlace(format: EmbeddedFormat): Place {
  const records: Place = { array: format === EmbeddedFormat.Binary ? BINARY_RECORD_PLACE : JSON_RECORD_PLACE };
  // Stryker disable next-line ConditionalExpression,StringLiteral,ArrayDeclaration: the body's other members are refused by name first; without the expected name, "records" is read by name.
  return objectPlace((member) => (member === 'records' ? records : 'plain'), ['records']);
}

/**
 * Checks the raw body's size before it is parsed.
 *
 * @throws {PayloadTooLargeError} when the body is larger than `maxRequestBytes`.
 */
export function checkBodySize(body: Uint8Array, limits: ProduceLimits): void {
  if (body.byteLength > limits.maxRequestBytes) {
    throw new PayloadTooLargeError(`the body has ${body.byteLength} bytes; the limit is ${limits.maxRequestBytes}`);
  }
}

/** The schema fields of a schema'd format's body (`key_schema`, `value_schema_id`, ...), as given. */
export type SchemaFields = Partial<Record<'key_schema' | 'value_schema' | 'key_schema_id' | 'value_schema_id', unknown>>;

/** A parsed produce body: its records (keys and values of the schema'd formats still JSON text) and its schema fields. */
export interface ProduceBody {
  records: ProduceRecord[];
  schemaFields: SchemaFields;
}

/**
 * Parses a REST Proxy v2 produce body (`{"records": [...]}`) in `format`.
 *
 * @throws {BodyNotJsonError} when the body is not UTF-8 JSON.
 * @throws {PayloadTooLargeError} for too many bytes or records.
 * @throws {ValidationError} naming the first invalid field.
 */
export function parseProduceBody(body: Uint8Array, format: EmbeddedFormat, limits: ProduceLimits): ProduceRecord[] {
  return readProduceBody(body, format, limits).records;
}

/**
 * Like {@link parseProduceBody}, keeping the schema fields the schema'd formats carry.
 *
 * @throws {BodyNotJsonError} when the body is not UTF-8 JSON.
 * @throws {PayloadTooLargeError} for too many bytes or records.
 * @throws {ValidationError} naming the first invalid field.
 */
export function readProduceBody(body: Uint8Array, format: EmbeddedFormat, limits: ProduceLimits): ProduceBody {
  checkBodySize(body, limits);
  let parsed: unknown;
  try {
    parsed = readJson(body, bodyPlace(format));
  } catch (error) {
    // The reader's message is about the client's own body (what and at which byte), so it is the
    // answer; any other error is a fault of ours and must not pass for the client's.
    if (!(error instanceof JsonSyntaxError)) throw error;
    throw new BodyNotJsonError(`the body is not UTF-8 JSON: ${error.message}`);
  }
  if (!isObject(parsed)) throw new ValidationError('body: must be an object {"records": [...]}');
  if (parsed[DUPLICATE_MEMBER] !== undefined) throw new ValidationError(`${parsed[DUPLICATE_MEMBER]}: given more than once`);
  const schemaFields: SchemaFields = {};
  for (const field of Object.keys(parsed)) {
    if (SCHEMA_FIELDS.has(field)) {
      if (!isSchemaFormat(format)) throw new ValidationError(`${field}: schemas are not supported for the json and binary formats`);
      schemaFields[field as keyof SchemaFields] = parsed[field];
    } else if (field !== 'records') throw new ValidationError(`${field}: unknown field`);
  }
  const { records } = parsed;
  if (!Array.isArray(records)) throw new ValidationError('records: must be an array');
  if (records.length === 0) throw new ValidationError('records: must hold at least one record');
  if (records.length > limits.maxRecordsPerRequest) {
    throw new PayloadTooLargeError(`records: ${records.length} records; the limit is ${limits.maxRecordsPerRequest}`);
  }
  // Stryker disable next-line ArrayDeclaration: speed only; the loop fills every index of an empty array as well.
  const parsedRecords: ProduceRecord[] = new Array(records.length);
  for (let index = 0; index < records.length; index += 1) parsedRecords[index] = parseRecord(records[index], format, index);
  return { records: parsedRecords, schemaFields };
}
