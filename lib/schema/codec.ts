/**
 * One interface for the payloads of every schema format, each implemented over a maintained
 * library and loaded only when a record of its format first needs it (the libraries are most
 * of this folder's weight, and a function that never meets a format never loads its library).
 */
import type { SchemaFormat } from './format';

/** Raised by a codec for data that does not fit its schema; `path` points inside the value (`/address/zip`), empty for the whole value. */
export class DataMismatch extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** Raised by a {@link CodecFactory} for a schema that does not parse; the message says why, in the schema's own terms. */
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

/** Builds the codec of one schema's text. @throws {SchemaParseFailure} when it does not parse. */
export type CodecFactory = (schema: string) => SchemaCodec;

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
export function pointer(segments: readonly (string | number)[]): string {
  return segments.map((segment) => `/${segment}`).join('');
}
