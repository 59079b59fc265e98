/**
 * Protobuf payloads through protobufjs, with Confluent's message indexes in front of the
 * message. Values are written in Protobuf's canonical JSON mapping (see ./protobuf-json.ts):
 * 64-bit integers may be JSON numbers (every digit kept) or strings, and are decoded as
 * strings, enums as names and bytes as base64, as the mapping prescribes.
 * https://protobuf.dev/programming-guides/json/
 */
import Long from 'long';
import protobuf from 'protobufjs';
import { DataMismatch, SchemaParseFailure, type CodecFactory, type NamedSchema, type SchemaCodec } from './codec';
import { FramingError, messageIndexBytes, readMessageIndexes } from './framing';
import { messageFromJson } from './protobuf-json';

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

// json: NaN and ±Infinity as the strings the JSON mapping names: as numbers, JSON would write
// them as null and DynamoDB refuses them.
const TO_JSON_OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, json: true };

/**
 * Adds the well-known types (`google/protobuf/timestamp.proto`, ...) that `imports` name and that no
 * reference gives: Confluent's registries know them without references, and protobufjs ships them.
 */
function addWellKnown(root: protobuf.Root, imports: readonly string[], given: ReadonlySet<string>, added: Set<string>): void {
  for (const name of imports) {
    const common = name.startsWith('google/protobuf/') && !given.has(name) && !added.has(name) ? protobuf.common.get(name) : undefined;
    if (common?.nested === undefined) continue;
    added.add(name);
    root.addJSON(common.nested);
  }
}

/**
 * The top-level messages of `schema` in the namespace `root` holds them in, in the file's order
 * (what Confluent's indexes count), and not those its imports declare in the same package.
 */
function topMessages(root: protobuf.Root, schema: string, references: readonly NamedSchema[]): protobuf.Type[] {
  const given = new Set(references.map((reference) => reference.name));
  const added = new Set<string>();
  for (const reference of references) {
    addWellKnown(root, protobuf.parse(reference.schema, root, { keepCase: true }).imports ?? [], given, added);
  }
  const own = protobuf.parse(schema, root, { keepCase: true });
  addWellKnown(root, own.imports ?? [], given, added);
  root.resolveAll();
  // The file alone tells which of the namespace's messages are its own.
  const alone = protobuf.parse(schema, { keepCase: true });
  const namespace = fileNamespace(root, own.package);
  return messagesOf(fileNamespace(alone.root, alone.package)).map((type) => namespace.get(type.name) as protobuf.Type);
}

/**
 * The codec of a `.proto` schema and the schemas it imports (Confluent's references, the
 * well-known types); records use its first message, as Confluent's REST Proxy does.
 * @throws {SchemaParseFailure}
 */
export const protobufCodec: CodecFactory = (schema: string, references: readonly NamedSchema[] = []): SchemaCodec => {
  let top: protobuf.Type[];
  try {
    top = topMessages(new protobuf.Root(), schema, references);
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
      if (type === undefined) throw new DataMismatch([], `message index ${path.join(',')} names no message of the schema`);
      candidates = messagesOf(type);
    }
    return type ?? first;
  };
  return {
    encode(value) {
      // Read in the canonical JSON mapping first: protobufjs' own reading would drop or change what it does not expect.
      const object = messageFromJson(first, value);
      let bytes: Uint8Array;
      try {
        bytes = first.encode(first.fromObject(object)).finish();
      } catch (error) {
        throw new DataMismatch([], `does not match message ${first.name}`, { cause: error });
      }
      return Buffer.concat([messageIndexBytes([0]), bytes]);
    },
    decode(payload) {
      try {
        const { path, message } = readMessageIndexes(payload);
        const type = messageAt(path);
        return type.toObject(type.decode(message), TO_JSON_OPTIONS);
      } catch (error) {
        if (error instanceof DataMismatch) throw error;
        const reason = error instanceof FramingError ? error.message : `the bytes are not this schema's message: ${(error as Error).message}`;
        throw new DataMismatch([], reason, { cause: error });
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
