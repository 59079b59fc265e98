/**
 * One interface for the payloads of every schema format, each implemented over a maintained
 * library and loaded only when a record of its format first needs it (the libraries are most
 * of this folder's weight, and a function that never meets a format never loads its library).
 */
import type { SchemaFormat } from './format';

/** One step of a path inside a value: a member name, or an array index. */
export type PathSegment = string | number;

/**
 * Raised by a codec for data that does not fit its schema. `segments` lead to the place inside
 * the value (none for the whole value); the message is ours, in the API's terms, and any
 * library's own text is in the `cause`, for the log only.
 */
export class DataMismatch extends Error {
  readonly segments: readonly PathSegment[];

  constructor(segments: readonly PathSegment[], detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.segments = segments;
  }

  /** The place as a JSON Pointer (`/address/zip`, `/items/0`); empty for the whole value. */
  get path(): string {
    return pointer(this.segments);
  }
}

/** Raised by a {@link CodecFactory} for a schema that does not parse; its message is the library's, for the log only. */
export class SchemaParseFailure extends Error {}

/** Reads and writes one schema's payloads (without framing). */
export interface SchemaCodec {
  /**
   * The payload for `value`, a JSON value parsed with every digit kept (`parseJsonExact`);
   * `text` is its JSON text as the client wrote it.
   *
   * @throws {DataMismatch} when the value does not match the schema.
   */
  encode(value: unknown, text: Buffer): Buffer;
  /**
   * The JSON-compatible value of `payload` (numbers a double cannot hold stay raw JSON numbers).
   *
   * @throws {DataMismatch} when the bytes do not decode with the schema.
   */
  decode(payload: Buffer): unknown;
}

/** A schema another imports, by the name it imports it under (Confluent's `references`, resolved). */
export interface NamedSchema {
  name: string;
  schema: string;
}

/**
 * Builds the codec of one schema's text; `references` are the schemas it imports, those they
 * import first. @throws {SchemaParseFailure} when it does not parse.
 */
export type CodecFactory = (schema: string, references?: readonly NamedSchema[]) => SchemaCodec;

const loaders: Record<SchemaFormat, () => Promise<CodecFactory>> = {
  AVRO: async () => (await import('./avro')).avroCodec,
  PROTOBUF: async () => (await import('./protobuf')).protobufCodec,
  JSON: async () => (await import('./json-schema')).jsonSchemaCodec,
};

const loaded = new Map<SchemaFormat, Promise<CodecFactory>>();

/** The codec factory of `format`, its library loaded on first use. */
export function codecFactoryOf(format: SchemaFormat): Promise<CodecFactory> {
  let factory = loaded.get(format);
  if (factory === undefined) {
    factory = loaders[format]();
    loaded.set(format, factory);
  }
  return factory;
}

/** A JSON Pointer-like path (`/items/0/name`) from path segments. */
export function pointer(segments: readonly PathSegment[]): string {
  return segments.map((segment) => `/${segment}`).join('');
}

/** The place of `segments` in JavaScript's notation, to follow a field such as `records[2].value`: `.total`, `[0]`, `["a b"]`. */
export function placeOf(segments: readonly PathSegment[]): string {
  return segments
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : /^[A-Za-z_$][\w$]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`))
    .join('');
}

/**
 * Segments given as text (a JSON Pointer's, avsc's) with the array indexes made numbers, by
 * walking `value`: `["tags", "1"]` becomes `["tags", 1]` when `tags` is an array.
 */
export function segmentsIn(value: unknown, names: readonly string[]): PathSegment[] {
  let current: unknown = value;
  return names.map((name) => {
    const index = Array.isArray(current) && /^\d+$/.test(name) ? Number(name) : undefined;
    current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[name] : undefined;
    return index ?? name;
  });
}
