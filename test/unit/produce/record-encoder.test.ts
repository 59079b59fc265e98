import { describe, expect, it } from 'vitest';
import {
  KeySchemaMissingError,
  SchemaDataInvalidError,
  SchemaNotFoundError,
  UnsupportedMediaTypeError,
  ValidationError,
  ValueSchemaMissingError,
} from '../../../lib/errors';
import { encodeRecords } from '../../../lib/produce/record-encoder';
import { EmbeddedFormat, type ProduceRecord } from '../../../lib/produce/validation';
import { Schemas } from '../../../lib/schema/schemas';
import { memoryRegistry } from '../../helpers/memory-registry';

const record = (key: string | null, value: string | null): ProduceRecord => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  headers: [],
});

describe('encodeRecords', () => {
  it('leaves the json and binary formats as they are, with no schema ids', async () => {
    const records = [record('"k"', '{"a":1}')];
    expect(await encodeRecords('t', EmbeddedFormat.Json, {}, records, undefined)).toEqual({ records, keySchemaId: null, valueSchemaId: null });
  });

  it('answers 415 for a schema format without a registry', async () => {
    await expect(encodeRecords('t', EmbeddedFormat.Avro, { value_schema: '"string"' }, [record(null, '"v"')], undefined)).rejects.toThrow(
      new UnsupportedMediaTypeError('the avro format needs a schema registry, and none is configured'),
    );
  });

  it('writes the frame with the registered ids, by schema text or by id (a numeric string too)', async () => {
    const registry = memoryRegistry();
    const schemas = new Schemas(registry);
    const fields = { key_schema: '"string"', value_schema: '"long"' };
    const first = await encodeRecords('orders', EmbeddedFormat.Avro, fields, [record('"k"', '3')], schemas);
    // "k": length 1 zig-zag 2, then 0x6b; long 3 zig-zag 6.
    expect(first.records[0]?.key).toEqual(Buffer.from([0, 0, 0, 0, 1, 0x02, 0x6b]));
    expect(first.records[0]?.value).toEqual(Buffer.from([0, 0, 0, 0, 2, 0x06]));
    expect([first.keySchemaId, first.valueSchemaId]).toEqual([1, 2]);
    expect(registry.calls).toEqual(['register orders-key', 'register orders-value']);
    registry.calls.length = 0;
    const byId = await encodeRecords('orders', EmbeddedFormat.Avro, { key_schema_id: 1, value_schema_id: '2' }, [record('"k"', '5')], schemas);
    expect(byId.records[0]?.value).toEqual(Buffer.from([0, 0, 0, 0, 2, 0x0a]));
    expect(registry.calls.sort()).toEqual(['under orders-key 1', 'under orders-value 2']);
  });

  it('needs a schema for a side only when a record has it', async () => {
    const schemas = new Schemas(memoryRegistry());
    expect((await encodeRecords('t', EmbeddedFormat.Avro, { value_schema: '"string"' }, [record(null, '"v"')], schemas)).keySchemaId).toBeNull();
    await expect(encodeRecords('t', EmbeddedFormat.Avro, { value_schema: '"string"' }, [record(null, '"v"'), record('"k"', '"v"')], schemas)).rejects.toThrow(
      new KeySchemaMissingError('records[1].key: a key needs key_schema or key_schema_id'),
    );
    await expect(encodeRecords('t', EmbeddedFormat.Avro, { key_schema: '"string"' }, [record('"k"', null), record('"k"', '"v"')], schemas)).rejects.toThrow(
      new ValueSchemaMissingError('records[1].value: a value needs value_schema or value_schema_id'),
    );
  });

  it('refuses malformed schema fields', async () => {
    const schemas = new Schemas(memoryRegistry());
    await expect(encodeRecords('t', EmbeddedFormat.Avro, { value_schema_id: -1 }, [record(null, '1')], schemas)).rejects.toThrow(
      new ValidationError('value_schema_id: must be a schema id (a whole number)'),
    );
    await expect(encodeRecords('t', EmbeddedFormat.Avro, { value_schema: 5 }, [record(null, '1')], schemas)).rejects.toThrow(
      new ValidationError('value_schema: must be the schema as a non-empty string'),
    );
  });

  it('refuses an id of another format than the request', async () => {
    const registry = memoryRegistry();
    const schemas = new Schemas(registry);
    await encodeRecords('t', EmbeddedFormat.JsonSchema, { value_schema: '{"type":"integer"}' }, [record(null, '1')], schemas);
    await expect(encodeRecords('t', EmbeddedFormat.Avro, { value_schema_id: 1 }, [record(null, '1')], schemas)).rejects.toThrow(
      new SchemaNotFoundError('value_schema_id: schema id 1 is a JSON Schema schema, not Avro'),
    );
  });
});

describe('encodeRecords, field by field', () => {
  const schemas = (): { schemas: Schemas; registry: ReturnType<typeof memoryRegistry> } => {
    const registry = memoryRegistry();
    return { schemas: new Schemas(registry), registry };
  };

  it.each([
    ['key', { key_schema: '"string"', key_schema_id: 1, value_schema: '"string"' }, 'key_schema and key_schema_id: give one of them, not both'],
    ['value', { value_schema: '"string"', value_schema_id: 1 }, 'value_schema and value_schema_id: give one of them, not both'],
  ])('refuses a schema and an id for the %s at once', async (_side, fields, message) => {
    await expect(encodeRecords('t', EmbeddedFormat.Avro, fields, [record('"k"', '"v"')], schemas().schemas)).rejects.toThrow(new ValidationError(message));
  });

  it('refuses a schema of blanks, and ids that are not whole numbers within four bytes', async () => {
    const { schemas: s } = schemas();
    await expect(encodeRecords('t', EmbeddedFormat.Avro, { value_schema: '   ' }, [record(null, '1')], s)).rejects.toThrow(
      new ValidationError('value_schema: must be the schema as a non-empty string'),
    );
    for (const id of ['12a', 'a12', '1.5', 2_147_483_648]) {
      await expect(encodeRecords('t', EmbeddedFormat.Avro, { value_schema_id: id }, [record(null, '1')], s)).rejects.toThrow(
        new ValidationError('value_schema_id: must be a schema id (a whole number)'),
      );
    }
    // 0 and 2^31 - 1 are ids (not registered here): refused by the registry, not by the request's shape.
    for (const id of [0, 2_147_483_647, '10']) {
      await expect(encodeRecords('t', EmbeddedFormat.Avro, { value_schema_id: id }, [record(null, '1')], s)).rejects.toThrow(
        new SchemaNotFoundError(`value_schema_id: schema id ${Number(id)} is not registered under subject "t-value"`),
      );
    }
  });

  it('looks a key id up under the key subject, naming the key field', async () => {
    await expect(
      encodeRecords('orders', EmbeddedFormat.Avro, { key_schema_id: 9, value_schema: '"long"' }, [record('"k"', '1')], schemas().schemas),
    ).rejects.toThrow(new SchemaNotFoundError('key_schema_id: schema id 9 is not registered under subject "orders-key"'));
  });

  it('keeps null keys and tombstones null, and needs no schema for a side that is always null', async () => {
    const encoded = await encodeRecords('t', EmbeddedFormat.Avro, { key_schema: '"string"' }, [record(null, null), record('"k"', null)], schemas().schemas);
    expect(encoded.records.map((item) => [item.key, item.value])).toEqual([
      [null, null],
      [Buffer.from([0, 0, 0, 0, 1, 0x02, 0x6b]), null],
    ]);
    expect([encoded.keySchemaId, encoded.valueSchemaId]).toEqual([1, null]);
  });

  it('names the record, the side and the path of data that does not match', async () => {
    const fields = { key_schema: '{"type":"record","name":"K","fields":[{"name":"id","type":"int"}]}', value_schema: '"string"' };
    await expect(encodeRecords('t', EmbeddedFormat.Avro, fields, [record('{"id":1}', '"a"'), record('{"id":"x"}', '"b"')], schemas().schemas)).rejects.toThrow(
      new SchemaDataInvalidError('records[1].key.id: expected int'),
    );
    await expect(encodeRecords('t', EmbeddedFormat.Avro, fields, [record('{"id":1}', '7')], schemas().schemas)).rejects.toThrow(
      new SchemaDataInvalidError('records[0].value: expected string'),
    );
  });

  // Each row: the format, the schema, a valid value (records 0 and 1), the value of record 2, and the answer's message.
  it.each([
    [
      EmbeddedFormat.Avro,
      '{"type":"record","name":"Order","fields":[{"name":"total","type":"long"}]}',
      '{"total":1}',
      '{"total":"12"}',
      'records[2].value.total: expected a whole number (long)',
    ],
    [
      EmbeddedFormat.Avro,
      '{"type":"record","name":"Order","fields":[{"name":"items","type":{"type":"array","items":"int"}}]}',
      '{"items":[]}',
      '{"items":[1,"x"]}',
      'records[2].value.items[1]: expected int',
    ],
    [
      EmbeddedFormat.Avro,
      '{"type":"record","name":"Order","fields":[{"name":"n","type":"int"}]}',
      '{"n":1}',
      '{"n":2147483648}',
      'records[2].value.n: expected int',
    ],
    [
      EmbeddedFormat.JsonSchema,
      '{"type":"object","properties":{"total":{"type":"integer"}}}',
      '{"total":1}',
      '{"total":"12"}',
      'records[2].value.total: expected integer',
    ],
    [EmbeddedFormat.JsonSchema, '{"type":"object","required":["total"]}', '{"total":1}', '{}', 'records[2].value.total: is required'],
    [EmbeddedFormat.JsonSchema, '{"type":"object","additionalProperties":false}', '{}', '{"a b":1}', 'records[2].value["a b"]: is not allowed by the schema'],
    [EmbeddedFormat.JsonSchema, '{"type":"array","items":{"maximum":3}}', '[]', '[1,5]', 'records[2].value[1]: must be <= 3'],
    [EmbeddedFormat.JsonSchema, '{"type":"string","maxLength":2}', '"ab"', '"abc"', 'records[2].value: must have at most 2 characters'],
    [EmbeddedFormat.JsonSchema, '{"enum":["a"]}', '"a"', '"b"', 'records[2].value: is not one of the values the schema allows (enum)'],
    [
      EmbeddedFormat.Protobuf,
      'syntax = "proto3"; message Order { int64 total = 1; }',
      '{"total":"1"}',
      '{"total":"1.5"}',
      'records[2].value.total: expected int64 (a whole number, or its decimal string)',
    ],
    [
      EmbeddedFormat.Protobuf,
      'syntax = "proto3"; message Order { int64 total = 1; }',
      '{}',
      '{"totl":1}',
      'records[2].value.totl: is not a field of message Order',
    ],
  ])('answers %s data that does not match in the API terms, naming the record and the path (%s)', async (format, schema, valid, bad, message) => {
    const values = [record(null, valid), record(null, valid), record(null, bad)];
    const refused = await encodeRecords('t', format, { value_schema: schema }, values, schemas().schemas).catch((error: unknown) => error);
    expect(refused).toEqual(new SchemaDataInvalidError(message));
    expect((refused as Error).message).toBe(message);
  });
});
