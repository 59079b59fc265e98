/**
 * The schema'd formats on both sides, over one registry: for produce, a schema given as text
 * or id made ready to encode under its subject; for consume, a framed record or one Lambda's
 * schema registry integration delivered, decoded. Codecs are built once per schema text and
 * kept while among the most recently used, like the registry's answers.
 */
import { SchemaDataInvalidError, SchemaInvalidError, SchemaNotFoundError } from '../errors';
import { parseJsonExact } from '../json-numbers';
import { BoundedCache, SCHEMA_CACHE_ENTRIES } from './bounded-cache';
import { codecFactoryOf, DataMismatch, placeOf, SchemaParseFailure, type NamedSchema, type SchemaCodec } from './codec';
import { SchemaFormat, type RegisteredSchema, type SchemaReference } from './format';
import { confluentFrame, type FramingError, messageIndexBytes, unframe } from './framing';
import type { GlueSchemaSource } from './glue-registry';
import type { SchemaRegistry } from './registry-client';

/** A schema ready to encode with: its registry id and its codec. */
export interface PreparedSchema {
  id: number;
  codec: SchemaCodec;
}

/** How a request names its schema: by text, or by id. */
export type SchemaRef = { schema: string } | { id: number };

/** How a REST Proxy v3 record names a schema its subject already holds: by id, by version, or the latest. */
export type SubjectSchemaRef = { id: number } | { version: number | 'latest' };

/** A schema a subject holds, ready to encode with: its format and its version there besides. */
export interface SubjectSchema extends PreparedSchema {
  format: SchemaFormat;
  version: number;
}

/** What Lambda's schema registry integration says of a delivered key or value (`keySchemaMetadata` / `valueSchemaMetadata`). */
export interface DeliveredSchemaMetadata {
  dataFormat?: string;
  schemaId?: string;
}

/** A key or value decoded with its schema. */
export interface DecodedData {
  format: SchemaFormat;
  /** The registry's id of the schema (a Confluent id, or a Glue schema version UUID). */
  schemaId: string;
  /** The decoded value, JSON-compatible; numbers a double cannot hold are raw JSON numbers. */
  value: unknown;
}

/** The name of a format in messages. */
export function formatName(format: SchemaFormat): string {
  return format === SchemaFormat.Json ? 'JSON Schema' : format === SchemaFormat.Avro ? 'Avro' : 'Protobuf';
}

/** Rethrows a registry's not-found error with the request's field in front. */
function naming(field: string): (error: unknown) => never {
  return (error) => {
    throw error instanceof SchemaNotFoundError ? new SchemaNotFoundError(`${field}: ${error.message}`, { cause: error }) : error;
  };
}

/** ` at .total` for a mismatch inside a decoded value; nothing for one of the whole value. */
function placeIn(mismatch: DataMismatch): string {
  return mismatch.segments.length === 0 ? '' : ` at ${placeOf(mismatch.segments)}`;
}

/** How deep references may nest (a schema importing one that imports another, ...). */
const MAX_REFERENCE_DEPTH = 10;

/** Whether `schemaId` is a Glue schema version id: a UUID. */
function isGlueVersionId(schemaId: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(schemaId);
}

/** The schema'd formats over `registry`. Create one per container. */
export class Schemas {
  // Bounded: requests and records choose the schemas (a parsed Avro or Protobuf type, a compiled JSON Schema each).
  private readonly codecs: BoundedCache<Promise<SchemaCodec>>;

  /**
   * @param glue - where schemas of records framed for AWS Glue come from (consume in Lambda);
   *   without it such records fail as not found.
   * @param cacheEntries - codecs kept, the most recently used; {@link SCHEMA_CACHE_ENTRIES} by default.
   */
  constructor(
    private readonly registry: SchemaRegistry | undefined,
    private readonly glue?: GlueSchemaSource,
    cacheEntries = SCHEMA_CACHE_ENTRIES,
  ) {
    this.codecs = new BoundedCache(cacheEntries);
  }

  /** Codecs held now (tests check the cache stays bounded). */
  get codecCount(): number {
    return this.codecs.size;
  }

  /** The Confluent-compatible registry. @throws {SchemaNotFoundError} when none is configured. */
  private confluent(what: string): SchemaRegistry {
    if (this.registry === undefined) throw new SchemaNotFoundError(`${what}: no Confluent-compatible schema registry is configured`);
    return this.registry;
  }

  /**
   * The schema `ref` names under `subject`, in `format`, registering a schema given as text on first use.
   *
   * @param field - the request's field named in errors (`value_schema`, `key_schema_id`, ...).
   * @throws {SchemaInvalidError} for a schema text that does not parse (or that the registry refuses).
   * @throws {SchemaNotFoundError} for an id not registered under `subject`, or of another format.
   * @throws {SchemaRegistryUnavailableError} when the registry cannot answer.
   */
  async prepare(subject: string, format: SchemaFormat, ref: SchemaRef, field: string): Promise<PreparedSchema> {
    if ('schema' in ref) {
      // Parsed here first, so that a schema that does not parse gets its own answer, and the registry no request.
      // The answer names the field; the library's reason is in the cause, for the log.
      const codec = await this.codecOf(format, ref.schema, (cause) => new SchemaInvalidError(`${field}: not a valid ${formatName(format)} schema`, { cause }));
      const id = await this.confluent(field).register(subject, format, ref.schema);
      return { id, codec };
    }
    const registered = await this.confluent(field).schemaUnderSubject(subject, ref.id).catch(naming(field));
    if (registered.format !== format) {
      throw new SchemaNotFoundError(`${field}: schema id ${ref.id} is a ${formatName(registered.format)} schema, not ${formatName(format)}`);
    }
    return { id: ref.id, codec: await this.registeredCodec(registered) };
  }

  /**
   * The schema with `id`, as registered (a record name strategy reads its text to name the subject).
   *
   * @param field - the request's field named in errors.
   * @throws {SchemaNotFoundError} when the id is unknown.
   * @throws {SchemaRegistryUnavailableError} when the registry cannot answer.
   */
  async registered(id: number, field: string): Promise<RegisteredSchema> {
    return this.confluent(field).schemaById(id).catch(naming(field));
  }

  /**
   * The schema `ref` names under `subject`, in whatever format the registry holds it, ready to
   * encode with, and its version there.
   *
   * @throws {SchemaNotFoundError} for an id not registered under `subject`, or a subject or version that does not exist.
   * @throws {SchemaInvalidError} for a registered schema that does not parse here.
   * @throws {SchemaRegistryUnavailableError} when the registry cannot answer.
   */
  async prepareUnderSubject(subject: string, ref: SubjectSchemaRef, field: string): Promise<SubjectSchema> {
    const registry = this.confluent(field);
    const held = await ('id' in ref
      ? Promise.all([registry.schemaUnderSubject(subject, ref.id), registry.versionUnderSubject(subject, ref.id)]).then(([schema, version]) => ({
          ...schema,
          version,
        }))
      : registry.subjectVersion(subject, ref.version)
    ).catch(naming(field));
    return { id: held.id, format: held.format, version: held.version, codec: await this.registeredCodec(held) };
  }

  /**
   * The version `subject` holds the schema with `id` under.
   *
   * @throws {SchemaNotFoundError} when it does not hold it.
   * @throws {SchemaRegistryUnavailableError} when the registry cannot answer.
   */
  async versionUnderSubject(subject: string, id: number, field: string): Promise<number> {
    return this.confluent(field).versionUnderSubject(subject, id).catch(naming(field));
  }

  /**
   * Decodes a record's key or value: with Lambda's schema metadata when the event source
   * mapping has a registry, else from its Confluent or Glue framing. Undefined for bytes that
   * are neither (plain JSON, other bytes).
   *
   * @throws {SchemaDataInvalidError} naming the format and schema id when the bytes do not decode.
   * @throws {SchemaNotFoundError} when the schema id names no schema.
   * @throws {SchemaRegistryUnavailableError} when the registry cannot answer.
   */
  async decode(bytes: Buffer, metadata?: DeliveredSchemaMetadata): Promise<DecodedData | undefined> {
    if (metadata?.dataFormat !== undefined) return this.decodeDelivered(bytes, metadata.dataFormat, metadata.schemaId);
    let framed: ReturnType<typeof unframe>;
    try {
      framed = unframe(bytes);
    } catch (error) {
      throw new SchemaDataInvalidError(`framing: ${(error as FramingError).message}`, { cause: error });
    }
    if (framed === undefined) return undefined;
    if (framed.framing === 'glue') return this.decodeGlue(framed.schemaVersionId, framed.payload);
    const registered = await this.confluent(`schema ${framed.schemaId}`).schemaById(framed.schemaId);
    return { format: registered.format, schemaId: String(framed.schemaId), value: await this.decodePayload(registered, framed.payload) };
  }

  /** Bytes the event source mapping delivered after its own schema check: JSON text, or the source payload without framing. */
  private async decodeDelivered(bytes: Buffer, dataFormat: string, schemaId: string | undefined): Promise<DecodedData> {
    const id = schemaId ?? 'unknown';
    if (dataFormat === SchemaFormat.Json) {
      try {
        return { format: SchemaFormat.Json, schemaId: id, value: parseJsonExact(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) };
      } catch (error) {
        throw new SchemaDataInvalidError(`JSON (schema ${id}): the bytes are not UTF-8 JSON`, { cause: error });
      }
    }
    if (dataFormat !== SchemaFormat.Avro && dataFormat !== SchemaFormat.Protobuf) {
      throw new SchemaDataInvalidError(`data format ${dataFormat} (schema ${id}) is not one this function reads`);
    }
    if (schemaId !== undefined && isGlueVersionId(schemaId)) return this.decodeGlue(schemaId, bytes);
    if (schemaId === undefined || !/^\d+$/.test(schemaId)) {
      throw new SchemaNotFoundError(`${formatName(dataFormat)} schema ${id}: not a Confluent schema id or a Glue schema version id`);
    }
    const registered = await this.confluent(`schema ${schemaId}`).schemaById(Number(schemaId));
    // Lambda strips the framing; a Protobuf payload that still starts with Confluent's one-byte index `0` is read with it.
    const payload = dataFormat === SchemaFormat.Protobuf && bytes[0] !== 0 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
    return { format: registered.format, schemaId, value: await this.decodePayload(registered, payload) };
  }

  /** A payload of a Glue schema version (a Glue Protobuf payload starts with its message's index, see glueProtobufAsConfluent). */
  private async decodeGlue(schemaVersionId: string, payload: Buffer): Promise<DecodedData> {
    if (this.glue === undefined) throw new SchemaNotFoundError(`Glue schema version ${schemaVersionId}: no AWS Glue Schema Registry is reachable from here`);
    const version = await this.glue.schemaVersion(schemaVersionId);
    const codec = await this.codecOf(
      version.format,
      version.schema,
      (cause) => new SchemaInvalidError(`Glue ${formatName(version.format)} schema version ${schemaVersionId} does not parse`, { cause }),
    );
    const message = version.format === SchemaFormat.Protobuf ? glueProtobufAsConfluent(payload) : payload;
    try {
      return { format: version.format, schemaId: schemaVersionId, value: codec.decode(message) };
    } catch (error) {
      if (!(error instanceof DataMismatch)) throw error;
      throw new SchemaDataInvalidError(`${formatName(version.format)} Glue schema version ${schemaVersionId}${placeIn(error)}: ${error.message}`, {
        cause: error,
      });
    }
  }

  private async decodePayload(registered: RegisteredSchema, payload: Buffer): Promise<unknown> {
    const codec = await this.registeredCodec(registered);
    try {
      return codec.decode(payload);
    } catch (error) {
      if (!(error instanceof DataMismatch)) throw error;
      throw new SchemaDataInvalidError(`${formatName(registered.format)} schema ${registered.id}${placeIn(error)}: ${error.message}`, { cause: error });
    }
  }

  private async registeredCodec(registered: RegisteredSchema): Promise<SchemaCodec> {
    const references = registered.references === undefined ? [] : await this.resolve(registered.references, `schema ${registered.id}`);
    return this.codecOf(
      registered.format,
      registered.schema,
      (cause) => new SchemaInvalidError(`registered ${formatName(registered.format)} schema ${registered.id} does not parse`, { cause }),
      references,
    );
  }

  /**
   * The schemas `references` name, each once, those they import before them (the order a parser
   * needs), read from the registry by subject and version.
   *
   * @throws {SchemaNotFoundError} for a reference the registry does not hold, or references nested
   *   deeper than {@link MAX_REFERENCE_DEPTH}.
   */
  private async resolve(references: readonly SchemaReference[], what: string, depth = 0, found = new Map<string, string>()): Promise<NamedSchema[]> {
    if (depth >= MAX_REFERENCE_DEPTH) throw new SchemaNotFoundError(`${what}: its references nest deeper than ${MAX_REFERENCE_DEPTH}`);
    for (const { name, subject, version } of references) {
      if (found.has(name)) continue;
      const referenced = await this.confluent(what).schemaVersion(subject, version);
      if (referenced.references !== undefined) await this.resolve(referenced.references, what, depth + 1, found);
      found.set(name, referenced.schema);
    }
    return [...found].map(([name, schema]) => ({ name, schema }));
  }

  private codecOf(
    format: SchemaFormat,
    schema: string,
    invalid: (failure: SchemaParseFailure) => Error,
    references: readonly NamedSchema[] = [],
  ): Promise<SchemaCodec> {
    const key = references.length === 0 ? `${format}\u0000${schema}` : `${format}\u0000${schema}\u0000${JSON.stringify(references)}`;
    return this.codecs.memo(key, async () => {
      // Confluent's references are read for Protobuf (imports); Avro and JSON Schema references are not read here.
      if (references.length > 0 && format !== SchemaFormat.Protobuf)
        throw invalid(new SchemaParseFailure(`${formatName(format)} references are not read here`));
      const factory = await codecFactoryOf(format);
      try {
        return factory(schema, references);
      } catch (error) {
        if (error instanceof SchemaParseFailure) throw invalid(error);
        throw error;
      }
    });
  }
}

/**
 * Encodes `value` (parsed exactly) with `prepared`'s codec, behind Confluent's framing.
 *
 * @param place - the request's field named in errors, e.g. `records[3].value`.
 * @throws {SchemaDataInvalidError} naming `place` and the path inside the value in the API's
 *   terms (`records[2].value.total: expected long`); a library's own text is only in the cause.
 */
export function encodeWith(prepared: PreparedSchema, value: unknown, text: Buffer, place: string): Buffer {
  let payload: Buffer;
  try {
    payload = prepared.codec.encode(value, text);
  } catch (error) {
    if (!(error instanceof DataMismatch)) throw error;
    throw new SchemaDataInvalidError(`${place}${placeOf(error.segments)}: ${error.message}`, { cause: error });
  }
  return confluentFrame(prepared.id, payload);
}

/**
 * A Glue Protobuf payload in Confluent's shape. Glue's serializer writes the message's index
 * among the schema's top-level messages as one unsigned varint before the message
 * (awslabs/aws-glue-schema-registry, ProtobufWireFormatEncoder); Confluent writes a list of
 * zig-zag indexes, which the codec reads.
 *
 * @throws {SchemaDataInvalidError} when the index is cut short.
 */
export function glueProtobufAsConfluent(payload: Buffer): Buffer {
  let index = 0;
  let shift = 0;
  for (let at = 0; at < payload.length && at < 5; at += 1) {
    const byte = payload[at] as number;
    index += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return Buffer.concat([messageIndexBytes([index]), payload.subarray(at + 1)]);
    shift += 7;
  }
  throw new SchemaDataInvalidError('Protobuf Glue payload: its message index is cut short');
}
