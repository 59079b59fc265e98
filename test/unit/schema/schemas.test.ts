/** The schema'd formats over a registry in memory: preparing schemas for produce, decoding what consume meets. */
import { describe, expect, it } from 'vitest';
import { SchemaDataInvalidError, SchemaInvalidError, SchemaNotFoundError, SchemaRegistryUnavailableError } from '../../../lib/errors';
import { parseJsonExact } from '../../../lib/json-numbers';
import { createGlueSchemaSource } from '../../../lib/schema/glue-registry';
import { encodeWith, formatName, glueProtobufAsConfluent, Schemas } from '../../../lib/schema/schemas';
import { memoryRegistry } from '../../helpers/memory-registry';

const PROTO = 'syntax = "proto3"; message M { int32 n = 1; }';

function registry() {
  const memory = memoryRegistry();
  memory.put(1, 'AVRO', '"string"', 't-value');
  memory.put(2, 'PROTOBUF', PROTO, 't-value');
  memory.put(3, 'AVRO', '{"type":"recrod"}');
  return memory;
}

describe('Schemas.prepare', () => {
  it('reuses one codec per schema text, and refuses one that does not parse without asking the registry', async () => {
    const memory = registry();
    const schemas = new Schemas(memory);
    const first = await schemas.prepare('t-value', 'AVRO', { schema: '"long"' }, 'value_schema');
    const again = await schemas.prepare('u-value', 'AVRO', { schema: '"long"' }, 'value_schema');
    expect(again.codec).toBe(first.codec);
    const refused = await schemas.prepare('t-value', 'PROTOBUF', { schema: 'message {' }, 'value_schema').catch((error: unknown) => error);
    // The answer in the API's terms; protobufjs' own words only in the cause, for the log.
    expect((refused as Error).message).toBe('value_schema: not a valid Protobuf schema');
    expect(((refused as Error).cause as Error).message).toMatch(/illegal/);
    expect(memory.calls.filter((call) => call.startsWith('register'))).toEqual(['register t-value', 'register u-value']);
  });

  it('refuses a registered schema that does not parse, naming its id', async () => {
    const memory = registry();
    memory.put(3, 'AVRO', '{"type":"recrod"}', 't-value');
    const refused = await new Schemas(memory).prepare('t-value', 'AVRO', { id: 3 }, 'value_schema_id').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SchemaInvalidError);
    expect((refused as Error).message).toBe('registered Avro schema 3 does not parse');
    expect((refused as Error).cause).toBeInstanceOf(Error);
  });

  it('needs a Confluent-compatible registry', async () => {
    await expect(new Schemas(undefined).prepare('t-value', 'AVRO', { id: 1 }, 'value_schema_id')).rejects.toThrow(
      new SchemaNotFoundError('value_schema_id: no Confluent-compatible schema registry is configured'),
    );
  });

  it('names the formats as users know them', () => {
    expect(['AVRO', 'PROTOBUF', 'JSON'].map((format) => formatName(format as 'AVRO'))).toEqual(['Avro', 'Protobuf', 'JSON Schema']);
  });

  it('frames what it encodes, and names the place and path of what does not match', async () => {
    const prepared = await new Schemas(registry()).prepare('t-value', 'PROTOBUF', { id: 2 }, 'value_schema_id');
    expect(encodeWith(prepared, { n: 3 }, Buffer.alloc(0), 'records[0].value')).toEqual(Buffer.from([0, 0, 0, 0, 2, 0, 0x08, 0x03]));
    expect(() => encodeWith(prepared, { n: 'x' }, Buffer.alloc(0), 'records[4].value')).toThrow(
      new SchemaDataInvalidError('records[4].value.n: expected int32 (a whole number, or its decimal string)'),
    );
  });
});

describe('Schemas.decode', () => {
  const schemas = () => new Schemas(registry());

  it('decodes Confluent framing, and refuses a header cut short', async () => {
    expect(await schemas().decode(Buffer.from([0, 0, 0, 0, 1, 0x02, 0x61]))).toEqual({ format: 'AVRO', schemaId: '1', value: 'a' });
    await expect(schemas().decode(Buffer.from([0, 0, 1]))).rejects.toThrow(
      new SchemaDataInvalidError('framing: Confluent framing cut short: 3 bytes, the header alone is 5'),
    );
  });

  it('checks a JSON Schema record against its schema, failing one that does not match, naming schema id and path', async () => {
    const memory = registry();
    memory.put(4, 'JSON', '{"type":"object","properties":{"n":{"type":"integer","maximum":10}}}');
    const framed = (json: string) => Buffer.concat([Buffer.from([0, 0, 0, 0, 4]), Buffer.from(json)]);
    expect(await new Schemas(memory).decode(framed('{"n":10}'))).toEqual({ format: 'JSON', schemaId: '4', value: { n: 10 } });
    await expect(new Schemas(memory).decode(framed('{"n":11}'))).rejects.toThrow(new SchemaDataInvalidError('JSON Schema schema 4 at .n: must be <= 10'));
    await expect(new Schemas(memory).decode(framed('[]'))).rejects.toThrow(new SchemaDataInvalidError('JSON Schema schema 4: expected object'));
  });

  it('reads delivered Protobuf with or without its message index', async () => {
    const metadata = { dataFormat: 'PROTOBUF', schemaId: '2' };
    expect(await schemas().decode(Buffer.from([0x08, 0x05]), metadata)).toEqual({ format: 'PROTOBUF', schemaId: '2', value: { n: 5 } });
    expect(await schemas().decode(Buffer.from([0x00, 0x08, 0x05]), metadata)).toEqual({ format: 'PROTOBUF', schemaId: '2', value: { n: 5 } });
  });

  it('refuses delivered data it cannot read, naming format and schema id', async () => {
    await expect(schemas().decode(Buffer.from([0xff]), { dataFormat: 'JSON', schemaId: '9' })).rejects.toThrow(
      new SchemaDataInvalidError('JSON (schema 9): the bytes are not UTF-8 JSON'),
    );
    await expect(schemas().decode(Buffer.from('{}'), { dataFormat: 'XML', schemaId: '9' })).rejects.toThrow(
      new SchemaDataInvalidError('data format XML (schema 9) is not one this function reads'),
    );
    await expect(schemas().decode(Buffer.from([1]), { dataFormat: 'AVRO', schemaId: 'orders-v1' })).rejects.toThrow(
      new SchemaNotFoundError('Avro schema orders-v1: not a Confluent schema id or a Glue schema version id'),
    );
    await expect(schemas().decode(Buffer.from([1]), { dataFormat: 'AVRO' })).rejects.toThrow(
      new SchemaNotFoundError('Avro schema unknown: not a Confluent schema id or a Glue schema version id'),
    );
    await expect(schemas().decode(Buffer.from([0x80]), { dataFormat: 'AVRO', schemaId: '1' })).rejects.toThrow(/^Avro schema 1: the bytes are not Avro/);
  });

  it('reads a JSON value delivered without a schema id', async () => {
    expect(await schemas().decode(Buffer.from('{"a":1}'), { dataFormat: 'JSON' })).toEqual({ format: 'JSON', schemaId: 'unknown', value: { a: 1 } });
  });

  it('decodes Glue framing of each format with the version Glue gives, and refuses it without Glue', async () => {
    const uuid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const glue = createGlueSchemaSource('eu-west-1', async (id) =>
      id.startsWith('00112233') ? { dataFormat: 'PROTOBUF', definition: PROTO } : { dataFormat: 'AVRO', definition: '"int"' },
    );
    const withGlue = new Schemas(registry(), glue);
    // Glue's Protobuf payload: the message's index (a varint, 0: the first message), then the message (n = 7).
    expect(await withGlue.decode(Buffer.concat([Buffer.from([3, 0]), uuid, Buffer.from([0x00, 0x08, 0x07])]))).toEqual({
      format: 'PROTOBUF',
      schemaId: '00112233-4455-6677-8899-aabbccddeeff',
      value: { n: 7 },
    });
    await expect(withGlue.decode(Buffer.from([0x80]), { dataFormat: 'AVRO', schemaId: 'ffffffff-4455-6677-8899-aabbccddeeff' })).rejects.toThrow(
      /^Avro Glue schema version ffffffff-4455-6677-8899-aabbccddeeff: /,
    );
    await expect(schemas().decode(Buffer.concat([Buffer.from([3, 0]), uuid, Buffer.from([0x08])]))).rejects.toThrow(
      new SchemaNotFoundError('Glue schema version 00112233-4455-6677-8899-aabbccddeeff: no AWS Glue Schema Registry is reachable from here'),
    );
  });

  it.each([
    'x00112233-4455-6677-8899-aabbccddeeff',
    '00112233-4455-6677-8899-aabbccddeeffx',
    '0011223-4455-6677-8899-aabbccddeeff',
    'g0112233-4455-6677-8899-aabbccddeeff',
    '00112233-455-6677-8899-aabbccddeeff',
    '00112233-g455-6677-8899-aabbccddeeff',
    '00112233-4455-677-8899-aabbccddeeff',
    '00112233-4455-g677-8899-aabbccddeeff',
    '00112233-4455-6677-899-aabbccddeeff',
    '00112233-4455-6677-g899-aabbccddeeff',
    '00112233-4455-6677-8899-abbccddeeff',
    '00112233-4455-6677-8899-gabbccddeeff',
    '12x',
  ])('refuses the delivered schema id %s, neither a Glue schema version id nor a Confluent id', async (schemaId) => {
    await expect(schemas().decode(Buffer.from([0x02]), { dataFormat: 'AVRO', schemaId })).rejects.toThrow(
      new SchemaNotFoundError(`Avro schema ${schemaId}: not a Confluent schema id or a Glue schema version id`),
    );
  });

  it('reads the message index a Glue Protobuf payload starts with', () => {
    expect([...glueProtobufAsConfluent(Buffer.from([0x00, 0x08, 0x07]))]).toEqual([0x00, 0x08, 0x07]);
    // Index 2 (Confluent: one index, zig-zag 2 -> 4) and index 200 (varint 0xc8 0x01; zig-zag 400 -> 0x90 0x03).
    expect([...glueProtobufAsConfluent(Buffer.from([0x02, 0x08, 0x07]))]).toEqual([0x02, 0x04, 0x08, 0x07]);
    expect([...glueProtobufAsConfluent(Buffer.from([0xc8, 0x01, 0x08]))]).toEqual([0x02, 0x90, 0x03, 0x08]);
    expect(() => glueProtobufAsConfluent(Buffer.from([0x80]))).toThrow('Protobuf Glue payload: its message index is cut short');
  });

  it('reads a Glue Protobuf payload for a message other than the first by its index', async () => {
    const two = 'syntax = "proto3"; message A { int32 a = 1; } message B { int32 b = 1; }';
    const glue = createGlueSchemaSource('eu-west-1', async () => ({ dataFormat: 'PROTOBUF', definition: two }));
    const uuid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    expect((await new Schemas(registry(), glue).decode(Buffer.concat([Buffer.from([3, 0]), uuid, Buffer.from([0x01, 0x08, 0x07])])))?.value).toEqual({ b: 7 });
  });

  it('names a Glue schema that does not parse, its library text in the cause', async () => {
    const glue = createGlueSchemaSource('eu-west-1', async () => ({ dataFormat: 'AVRO', definition: '{"type":"recrod"}' }));
    const uuid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const error = await new Schemas(registry(), glue)
      .decode(Buffer.concat([Buffer.from([3, 0]), uuid, Buffer.from([0x02])]))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaInvalidError);
    expect((error as Error).message).toBe('Glue Avro schema version 00112233-4455-6677-8899-aabbccddeeff does not parse');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('keeps the cause of each refusal for the log', async () => {
    const framing = await schemas()
      .decode(Buffer.from([0, 0, 1]))
      .catch((caught: unknown) => caught);
    expect((framing as Error).cause).toBeInstanceOf(Error);
    const json = await schemas()
      .decode(Buffer.from([0xff]), { dataFormat: 'JSON', schemaId: '9' })
      .catch((caught: unknown) => caught);
    expect((json as Error).cause).toBeInstanceOf(Error);
    const avro = await schemas()
      .decode(Buffer.from([0, 0, 0, 0, 1, 0x80]))
      .catch((caught: unknown) => caught);
    expect(avro).toBeInstanceOf(SchemaDataInvalidError);
    expect((avro as Error).cause).toBeInstanceOf(Error);
    const unknownId = await new Schemas(registry()).prepare('t-value', 'AVRO', { id: 77 }, 'value_schema_id').catch((caught: unknown) => caught);
    expect(unknownId).toBeInstanceOf(SchemaNotFoundError);
    expect((unknownId as Error).message).toBe('value_schema_id: schema id 77 is not registered under subject "t-value"');
    expect((unknownId as Error).cause).toBeInstanceOf(SchemaNotFoundError);
    const prepared = await new Schemas(registry()).prepare('t-value', 'AVRO', { id: 1 }, 'value_schema_id');
    const mismatch = (() => {
      try {
        encodeWith(prepared, 5, Buffer.from('5'), 'records[0].value');
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(mismatch).toBeInstanceOf(SchemaDataInvalidError);
    expect(mismatch?.message).toBe('records[0].value: expected string');
    expect(mismatch?.cause).toBeInstanceOf(Error);
  });

  it('passes an unavailable registry on as it is when preparing by id', async () => {
    const away = { ...registry(), schemaUnderSubject: async () => Promise.reject(new SchemaRegistryUnavailableError()) };
    await expect(new Schemas(away).prepare('t-value', 'AVRO', { id: 1 }, 'value_schema_id')).rejects.toBeInstanceOf(SchemaRegistryUnavailableError);
  });

  it('reads a Glue Protobuf index of up to five varint bytes', () => {
    expect([...glueProtobufAsConfluent(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x01, 0x08]))]).toEqual([0x02, 0x80, 0x80, 0x80, 0x80, 0x02, 0x08]);
    expect(() => glueProtobufAsConfluent(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))).toThrow('Protobuf Glue payload: its message index is cut short');
    expect(() => glueProtobufAsConfluent(Buffer.alloc(0))).toThrow('Protobuf Glue payload: its message index is cut short');
  });

  it('leaves bytes with neither framing nor metadata alone', async () => {
    expect(await schemas().decode(Buffer.from(parseJsonExact('"x"') as string))).toBeUndefined();
  });
});
