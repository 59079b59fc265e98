/**
 * JSON Schema payloads: the JSON text itself, checked with Ajv. A value is written as the
 * client wrote it (byte for byte, as the json format does) once it validates.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseJsonExact, withDoubles } from '../json-numbers';
import { isPlainObject } from '../json-checks';
import { DataMismatch, SchemaParseFailure, type CodecFactory, type SchemaCodec } from './codec';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A new Ajv for `draft`, one per schema: Ajv keeps every schema it compiled (and each `$id`
 * inside one) for its own life, so a shared instance would grow with every schema a client
 * sends. Each codec owns its instance, which goes when the codec leaves the bounded cache
 * (`Schemas`). `strict: false` accepts the keywords other tools add.
 */
function ajvFor(draft: string | undefined): Ajv {
  const options = { strict: false, allErrors: false, validateFormats: false };
  if (draft?.includes('2020-12')) return new Ajv2020(options);
  if (draft?.includes('2019-09')) return new Ajv2019(options);
  return new Ajv(options);
}

function check(validate: ValidateFunction, value: unknown): void {
  if (validate(value)) return;
  const [error] = validate.errors ?? [];
  throw new DataMismatch(error?.instancePath ?? '', error?.message ?? 'does not match the schema');
}

/** The codec of a JSON Schema. @throws {SchemaParseFailure} for a schema that is not JSON or that Ajv does not compile. */
export const jsonSchemaCodec: CodecFactory = (schema: string): SchemaCodec => {
  let validate: ValidateFunction;
  try {
    const parsed: unknown = JSON.parse(schema);
    const draft = isPlainObject(parsed) && typeof parsed.$schema === 'string' ? parsed.$schema : undefined;
    // The schema is the registry's or the request's: compiled without its $id, which would name it in the instance for no use.
    const document = isPlainObject(parsed) ? Object.fromEntries(Object.entries(parsed).filter(([key]) => key !== '$id')) : parsed;
    validate = ajvFor(draft).compile(document as object);
  } catch (error) {
    throw new SchemaParseFailure((error as Error).message);
  }
  return {
    encode(value, text) {
      // Validation sees numbers as doubles; the bytes written are the client's own.
      check(validate, withDoubles(value));
      return text;
    },
    decode(payload) {
      let value: unknown;
      try {
        value = parseJsonExact(strictUtf8.decode(payload));
      } catch {
        throw new DataMismatch('', 'the bytes are not UTF-8 JSON');
      }
      return value;
    },
  };
};
