/**
 * JSON Schema payloads: the JSON text itself, checked with Ajv. A value is written as the
 * client wrote it (byte for byte, as the json format does) once it validates, and a record
 * read is checked against its schema too.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseJsonExact, withDoubles } from '../json-numbers';
import { isPlainObject } from '../json-checks';
import { DataMismatch, SchemaParseFailure, segmentsIn, type CodecFactory, type SchemaCodec } from './codec';

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

/** The member names of a JSON Pointer (`/a~1b/0` is `a/b`, `0`). */
function pointerNames(instancePath: string): string[] {
  return instancePath === ''
    ? []
    : instancePath
        .slice(1)
        .split('/')
        .map((name) => name.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** What a size keyword asks for (`at least 2 items`); undefined for other keywords. */
function sizeWanted(keyword: string, limit: unknown): string | undefined {
  const [bound, what] = keyword.startsWith('min') ? ['at least', keyword.slice(3)] : ['at most', keyword.slice(3)];
  const noun = { Length: 'characters', Items: 'items', Properties: 'members' }[what];
  return (keyword.startsWith('min') || keyword.startsWith('max')) && noun !== undefined ? `${bound} ${String(limit)} ${noun}` : undefined;
}

/**
 * Our words for Ajv's first error: the place inside the value and what the schema wants there,
 * from the error's keyword and parameters (Ajv's own message stays out of answers).
 */
export function mismatchOf(error: ErrorObject | undefined, value: unknown): DataMismatch {
  if (error === undefined) return new DataMismatch([], 'does not match the schema');
  const at = segmentsIn(value, pointerNames(error.instancePath));
  const params = error.params as Record<string, unknown>;
  const size = sizeWanted(error.keyword, params.limit);
  switch (true) {
    case error.keyword === 'type':
      return new DataMismatch(at, `expected ${[params.type].flat().join(' or ')}`);
    case error.keyword === 'required':
      return new DataMismatch([...at, String(params.missingProperty)], 'is required');
    case error.keyword === 'additionalProperties':
      return new DataMismatch([...at, String(params.additionalProperty)], 'is not allowed by the schema');
    case error.keyword === 'unevaluatedProperties':
      return new DataMismatch([...at, String(params.unevaluatedProperty)], 'is not allowed by the schema');
    case error.keyword === 'enum':
      return new DataMismatch(at, 'is not one of the values the schema allows (enum)');
    case error.keyword === 'const':
      return new DataMismatch(at, 'is not the value the schema requires (const)');
    case ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'].includes(error.keyword):
      return new DataMismatch(at, `must be ${String(params.comparison)} ${String(params.limit)}`);
    case error.keyword === 'multipleOf':
      return new DataMismatch(at, `must be a multiple of ${String(params.multipleOf)}`);
    case error.keyword === 'pattern':
      return new DataMismatch(at, `must match the pattern ${String(params.pattern)}`);
    case size !== undefined:
      return new DataMismatch(at, `must have ${size}`);
    default:
      return new DataMismatch(at, `does not match the schema (${error.keyword})`);
  }
}

function check(validate: ValidateFunction, value: unknown): void {
  if (validate(value)) return;
  throw mismatchOf(validate.errors?.[0] ?? undefined, value);
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
        throw new DataMismatch([], 'the bytes are not UTF-8 JSON');
      }
      // A record is checked on the way out as on the way in: a producer that skipped the check
      // (or wrote against another schema) gets its record failed here, not passed on unchecked.
      check(validate, withDoubles(value));
      return value;
    },
  };
};
