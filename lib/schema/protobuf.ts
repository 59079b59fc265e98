/**
 * Protobuf payloads through protobufjs, with Confluent's message indexes in front of the
 * message. Values are written in Protobuf's JSON mapping: 64-bit integers may be JSON numbers
 * (every digit kept) or strings, and are decoded as strings, as the mapping prescribes.
 * https://protobuf.dev/programming-guides/json/
 */
import Long from 'long';
import protobuf from 'protobufjs';
import { isExactNumber } from '../json-numbers';
import { isPlainObject } from '../json-checks';
import { DataMismatch, SchemaParseFailure, type CodecFactory, type SchemaCodec } from './codec';
import { FramingError, messageIndexBytes, readMessageIndexes } from './framing';

// protobufjs finds `long` through a dynamic require that a bundle does not keep; without it,
// 64-bit integers would pass through doubles.
protobuf.util.Long = Long;
protobuf.configure();

/** The message types declared directly in `namespace`, in declaration order (what Confluent's indexes count). */
function messagesOf(namespace: protobuf.NamespaceBase): protobuf.Type[] {
  return namespace.nestedArray.filter((nested): nested is protobuf.Type => nested instanceof protobuf.Type);
}

/** The namespace a `.proto` file's top-level messages live in: its package's, or the root. */
function fileNamespace(root: protobuf.Root, packageName: string | undefined): protobuf.NamespaceBase {
  if (packageName === undefined) return root;
  return root.lookup(packageName) as protobuf.Namespace;
}

/** 64-bit integers given as raw JSON numbers become Longs, which protobufjs checks and writes exactly. */
function withLongs(value: unknown): unknown {
  if (isExactNumber(value)) return /^-?\d+$/.test(value.rawJSON) ? Long.fromString(value.rawJSON) : Number(value.rawJSON);
  if (Array.isArray(value)) return value.map(withLongs);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withLongs(item)]));
  return value;
}

/** `/a/b` from protobufjs' verify message (`a.b: integer|Long expected`). */
function mismatchOf(verdict: string): DataMismatch {
  const colon = verdict.indexOf(':');
  const field = colon === -1 ? '' : verdict.slice(0, colon);
  const detail = colon === -1 ? verdict : verdict.slice(colon + 1).trim();
  return new DataMismatch(field === '' ? '' : `/${field.split('.').join('/')}`, detail);
}

const TO_JSON_OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String };

/** The range of each integer type; protobufjs' fromObject would wrap or clamp a value outside it. */
const INTEGER_RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

function integerOf(value: unknown): bigint | undefined {
  const text = isExactNumber(value) ? value.rawJSON : typeof value === 'number' && Number.isInteger(value) ? String(value) : undefined;
  return text !== undefined && /^-?\d+$/.test(text) ? BigInt(text) : undefined;
}

/**
 * Refuses what protobufjs would change without a word: a member the message does not define
 * (fromObject drops it) and an integer outside its type's range (fromObject wraps or clamps it).
 */
function checkExact(type: protobuf.Type, value: Record<string, unknown>, path: string): void {
  for (const [name, member] of Object.entries(value)) {
    const field = type.fields[name];
    const at = `${path}/${name}`;
    if (field === undefined) throw new DataMismatch(at, `is not a field of message ${type.name}`);
    if (member === null || field instanceof protobuf.MapField) continue;
    for (const item of field.repeated && Array.isArray(member) ? member : [member]) {
      const range = INTEGER_RANGES[field.type];
      if (range !== undefined) {
        const integer = integerOf(item);
        if (integer !== undefined && (integer < range[0] || integer > range[1])) throw new DataMismatch(at, `is outside the range of ${field.type}`);
      } else if (field.resolvedType instanceof protobuf.Type && isPlainObject(item)) {
        checkExact(field.resolvedType, item, at);
      }
    }
  }
}

/** The codec of a `.proto` schema; records use its first message, as Confluent's REST Proxy does. @throws {SchemaParseFailure} */
export const protobufCodec: CodecFactory = (schema: string): SchemaCodec => {
  let root: protobuf.Root;
  let top: protobuf.Type[];
  try {
    const parsed = protobuf.parse(schema, { keepCase: true });
    root = parsed.root;
    root.resolveAll();
    top = messagesOf(fileNamespace(root, parsed.package));
  } catch (error) {
    throw new SchemaParseFailure((error as Error).message);
  }
  const first = top[0];
  if (first === undefined) throw new SchemaParseFailure('the schema declares no message');
  const messageAt = (path: readonly number[]): protobuf.Type => {
    let candidates = top;
    let type: protobuf.Type | undefined;
    for (const index of path) {
      type = candidates[index];
      if (type === undefined) throw new DataMismatch('', `message index ${path.join(',')} names no message of the schema`);
      candidates = messagesOf(type);
    }
    return type ?? first;
  };
  return {
    encode(value) {
      if (!isPlainObject(value)) throw new DataMismatch('', `expected an object (message ${first.name})`);
      checkExact(first, value, '');
      const object = withLongs(value) as Record<string, unknown>;
      const verdict = first.verify(object);
      if (verdict !== null) throw mismatchOf(verdict);
      let message: protobuf.Message;
      try {
        message = first.fromObject(object);
      } catch (error) {
        throw new DataMismatch('', (error as Error).message);
      }
      return Buffer.concat([messageIndexBytes([0]), first.encode(message).finish()]);
    },
    decode(payload) {
      try {
        const { path, message } = readMessageIndexes(payload);
        const type = messageAt(path);
        return type.toObject(type.decode(message), TO_JSON_OPTIONS);
      } catch (error) {
        if (error instanceof DataMismatch) throw error;
        const reason = error instanceof FramingError ? error.message : `the bytes are not this schema's message: ${(error as Error).message}`;
        throw new DataMismatch('', reason);
      }
    },
  };
};

/**
 * The full name of a `.proto` schema's first message (`package.Message`): the record name of
 * Confluent's RecordNameStrategy and TopicRecordNameStrategy (ProtobufSchema.name()).
 *
 * @throws {SchemaParseFailure} for a schema that does not parse or declares no message.
 */
export function protobufRecordName(schema: string): string {
  let first: protobuf.Type | undefined;
  try {
    const parsed = protobuf.parse(schema, { keepCase: true });
    first = messagesOf(fileNamespace(parsed.root, parsed.package))[0];
  } catch (error) {
    throw new SchemaParseFailure((error as Error).message);
  }
  if (first === undefined) throw new SchemaParseFailure('the schema declares no message');
  // protobufjs writes a full name with a leading dot (`.test.orders.Order`).
  return first.fullName.replace(/^\./, '');
}
