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

// One Ajv per draft, made on first use; `strict: false` accepts the keywords other tools add.
const validators = new Map<string, Ajv>();
function ajvFor(draft: string | undefined): Ajv {
  const flavour = draft?.includes('2020-12') ? '2020' : draft?.includes('2019-09') ? '2019' : 'draft-07';
  let ajv = validators.get(flavour);
  if (ajv === undefined) {
    const options = { strict: false, allErrors: false, validateFormats: false };
    ajv = flavour === '2020' ? new Ajv2020(options) : flavour === '2019' ? new Ajv2019(options) : new Ajv(options);
    validators.set(flavour, ajv);
  }
  return ajv;
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
    // The schema is the registry's or the request's: compiled, not cached under its $id, so two schemas with one $id do not clash.
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
