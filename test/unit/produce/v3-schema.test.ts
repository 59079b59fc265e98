/** The schema'd keys and values of v3 records: which schema and subject, once per request, and what is refused. */
import { describe, expect, it } from 'vitest';
import { SchemaArgumentsError, SchemaInvalidError, SchemaNotFoundError, SchemaRegistryUnavailableError, ValidationError } from '../../../lib/errors';
import { RawJson } from '../../../lib/produce/json-body';
import { encodeV3WithSchema, type V3SchemaScope } from '../../../lib/produce/v3-schema';
import { Schemas } from '../../../lib/schema/schemas';
import { memoryRegistry, type MemoryRegistry } from '../../helpers/memory-registry';

const raw = (text: string, depth = 0): RawJson => new RawJson(Buffer.from(text, 'utf8'), depth);

function scopeOver(registry: MemoryRegistry): V3SchemaScope {
  const schemas = new Schemas(registry);
  return { topic: 'orders', schemas: async () => schemas, resolved: new Map() };
}

describe('encodeV3WithSchema', () => {
  it('writes a schema given as text under the topic subject, reporting its id and version', async () => {
    const registry = memoryRegistry();
    const encoded = await encodeV3WithSchema({ type: 'AVRO', schema: '"long"' }, raw('9007199254740993'), 'value', scopeOver(registry));
    // Frame (0, id 1), then 2^53+1 as a zig-zag varint of 2^54+2, seven bits a byte: 2 in the first,
    // nothing in the next six, and bit 54 as bit 5 (0x20) of the eighth.
    expect(encoded.bytes).toEqual(Buffer.from([0, 0, 0, 0, 1, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]));
    expect(encoded.report).toEqual({ type: 'AVRO', subject: 'orders-value', schemaId: 1, schemaVersion: 1 });
  });

  it('resolves a schema once for the records of a request that name it, the latest included', async () => {
    const registry = memoryRegistry();
    registry.put(4, 'JSON', '{"type":"integer"}', 'orders-key');
    const scope = scopeOver(registry);
    for (const n of ['1', '2', '3']) {
      const encoded = await encodeV3WithSchema({}, raw(n), 'key', scope);
      expect(encoded.report).toEqual({ type: 'JSONSCHEMA', subject: 'orders-key', schemaId: 4, schemaVersion: 1 });
      expect(encoded.bytes?.subarray(5).toString()).toBe(n);
    }
    expect(registry.calls).toEqual(['subject orders-key latest']);
  });

  it('takes a given subject over any strategy, and keeps a null data null', async () => {
    const registry = memoryRegistry();
    registry.put(2, 'AVRO', '"string"', 'mine');
    const encoded = await encodeV3WithSchema({ subject: 'mine', subject_name_strategy: 'RECORD_NAME', schema_id: 2 }, null, 'value', scopeOver(registry));
    expect(encoded).toEqual({ bytes: null, report: { type: 'AVRO', subject: 'mine', schemaId: 2, schemaVersion: 1 } });
  });

  it('names the subject by record name from the schema an id names', async () => {
    const registry = memoryRegistry();
    registry.put(3, 'AVRO', '{"type":"record","name":"Tick","namespace":"t","fields":[{"name":"n","type":"int"}]}', 'orders-t.Tick');
    const encoded = await encodeV3WithSchema({ subject_name_strategy: 'TOPIC_RECORD_NAME', schema_id: 3 }, raw('{"n":1}'), 'value', scopeOver(registry));
    expect(encoded.report.subject).toBe('orders-t.Tick');
  });

  it.each([
    [{ type: 'AVRO', schema_id: 1 }, new SchemaArgumentsError('key.schema_id: goes with subject or subject_name_strategy only, not with type')],
    [{ schema_id: 1, schema_version: 1 }, new SchemaArgumentsError('key.schema_id: goes with subject or subject_name_strategy only, not with schema_version')],
    [{ schema_version: 1, schema: '"int"' }, new SchemaArgumentsError('key.schema_version: goes with subject or subject_name_strategy only, not with schema')],
    [{ schema: '"int"' }, new SchemaArgumentsError('key.schema: needs type (AVRO, JSONSCHEMA or PROTOBUF)')],
    [
      { type: 'PROTOBUF' },
      new SchemaArgumentsError("key.type: PROTOBUF needs schema, schema_id or schema_version; for the subject's latest schema leave type out"),
    ],
    [
      { subject_name_strategy: 'RECORD_NAME', schema_version: 1 },
      new SchemaArgumentsError('key.subject_name_strategy: RECORD_NAME needs schema_id or schema, to name the subject by'),
    ],
    [
      { subject_name_strategy: 'RECORD_NAME', type: 'JSONSCHEMA', schema: '{"type":"string"}' },
      new SchemaArgumentsError('key.subject_name_strategy: RECORD_NAME needs a record name; this JSON Schema has no title'),
    ],
    [{ subject_name_strategy: 'RECORD_NAME', type: 'AVRO', schema: '{"type":' }, new SchemaInvalidError('key.schema: not a valid Avro schema')],
    [{ subject_name_strategy: 'TOPIC' }, new ValidationError('key.subject_name_strategy: must be one of TOPIC_NAME, RECORD_NAME, TOPIC_RECORD_NAME')],
    [{ subject: 7 }, new ValidationError('key.subject: must be a non-empty string')],
    [{ schema_id: 2_147_483_648 }, new ValidationError('key.schema_id: must be a schema id (a whole number)')],
    [{ schema_id: 1.5 }, new ValidationError('key.schema_id: must be a schema id (a whole number)')],
    [{ schema_version: 2_147_483_648 }, new ValidationError('key.schema_version: must be a version number (a whole number from 1)')],
    [{ schema_version: 1.5 }, new ValidationError('key.schema_version: must be a version number (a whole number from 1)')],
    [{ type: 'AVRO', schema: 5 }, new ValidationError('key.schema: must be the schema as a non-empty string')],
    [{ schema_id: 9, subject_name_strategy: 'RECORD_NAME' }, new SchemaNotFoundError('key.schema_id: schema id 9 is not registered')],
    [{ schema_id: 1, subject: 'elsewhere' }, new SchemaNotFoundError('key.schema_id: schema id 1 is not registered under subject "elsewhere"')],
    [{ schema_id: 1, schema: '"int"' }, new SchemaArgumentsError('key.schema_id: goes with subject or subject_name_strategy only, not with schema')],
    [{ schema_version: 1, type: 'PROTOBUF' }, new SchemaArgumentsError('key.schema_version: goes with subject or subject_name_strategy only, not with type')],
    [
      { subject_name_strategy: 'TOPIC_RECORD_NAME' },
      new SchemaArgumentsError('key.subject_name_strategy: TOPIC_RECORD_NAME needs schema_id or schema, to name the subject by'),
    ],
    [{ schema_version: 2 }, new SchemaArgumentsError('key.schema_version: subject "orders-key" has no version 2')],
    [{ schema_version: 0 }, new ValidationError('key.schema_version: must be a version number (a whole number from 1)')],
    [{ schema_id: -1 }, new ValidationError('key.schema_id: must be a schema id (a whole number)')],
    [{ subject: '' }, new ValidationError('key.subject: must be a non-empty string')],
    [{ type: 'AVRO', schema: ' ' }, new ValidationError('key.schema: must be the schema as a non-empty string')],
    [{ subject: 'nothing-here' }, new SchemaNotFoundError('key: subject "nothing-here" has no schema')],
  ])('refuses %j', async (members, error) => {
    const registry = memoryRegistry();
    registry.put(1, 'AVRO', '"string"', 'orders-key');
    await expect(encodeV3WithSchema(members, raw('"x"'), 'key', scopeOver(registry))).rejects.toThrow(error);
  });

  it('takes null members as absent', async () => {
    const registry = memoryRegistry();
    registry.put(1, 'AVRO', '"string"', 'orders-key');
    const members = { type: null, subject: null, subject_name_strategy: null, schema_id: null, schema_version: null, schema: null };
    const encoded = await encodeV3WithSchema(members, raw('"x"'), 'key', scopeOver(registry));
    expect(encoded.report).toEqual({ type: 'AVRO', subject: 'orders-key', schemaId: 1, schemaVersion: 1 });
  });

  it("names the subject by a raw schema's record name (RECORD_NAME) or the topic and it (TOPIC_RECORD_NAME), and reports a Protobuf one", async () => {
    const registry = memoryRegistry();
    const scope = scopeOver(registry);
    const proto = 'syntax = "proto3";\npackage shop;\nmessage Tick { int32 n = 1; }\n';
    const byName = await encodeV3WithSchema({ subject_name_strategy: 'RECORD_NAME', type: 'PROTOBUF', schema: proto }, raw('{"n":1}'), 'value', scope);
    const byTopic = await encodeV3WithSchema({ subject_name_strategy: 'TOPIC_RECORD_NAME', type: 'PROTOBUF', schema: proto }, raw('{"n":1}'), 'value', scope);
    expect(byName.report).toEqual({ type: 'PROTOBUF', subject: 'shop.Tick', schemaId: 1, schemaVersion: 1 });
    expect(byTopic.report).toEqual({ type: 'PROTOBUF', subject: 'orders-shop.Tick', schemaId: 1, schemaVersion: 1 });
    // Frame, message index 0, then field 1 (varint 1): 0x08 0x01.
    expect(byName.bytes).toEqual(Buffer.from([0, 0, 0, 0, 1, 0, 0x08, 0x01]));
  });

  it('keeps the resolutions of different members apart within a request', async () => {
    const registry = memoryRegistry();
    registry.put(1, 'AVRO', '"string"', 'orders-key');
    registry.put(2, 'AVRO', '"long"', 'orders-value');
    const scope = scopeOver(registry);
    const key = await encodeV3WithSchema({}, raw('"k"'), 'key', scope);
    const value = await encodeV3WithSchema({}, raw('7'), 'value', scope);
    const byId = await encodeV3WithSchema({ schema_id: 2 }, raw('8'), 'value', scope);
    expect([key.report.schemaId, value.report.schemaId, byId.report.schemaId]).toEqual([1, 2, 2]);
    expect(registry.calls.filter((call) => call.startsWith('subject'))).toEqual(['subject orders-key latest', 'subject orders-value latest']);
  });

  it('answers a registry that cannot be reached as unavailable, also for a version', async () => {
    const registry = memoryRegistry();
    const down = { ...registry, subjectVersion: async () => Promise.reject(new SchemaRegistryUnavailableError()) };
    const schemas = new Schemas(down);
    const scope: V3SchemaScope = { topic: 'orders', schemas: async () => schemas, resolved: new Map() };
    await expect(encodeV3WithSchema({ schema_version: 1 }, raw('1'), 'value', scope)).rejects.toBeInstanceOf(SchemaRegistryUnavailableError);
  });

  it('takes data nested exactly as deep as the limit', async () => {
    const registry = memoryRegistry();
    registry.put(1, 'JSON', '{}', 'orders-value');
    const encoded = await encodeV3WithSchema({}, raw('1', 100), 'value', scopeOver(registry));
    expect(encoded.bytes?.subarray(5).toString()).toBe('1');
  });

  it('refuses data nested deeper than the limit, and any schema without a registry', async () => {
    const registry = memoryRegistry();
    registry.put(1, 'JSON', '{}', 'orders-value');
    await expect(encodeV3WithSchema({}, raw('[]', 101), 'value', scopeOver(registry))).rejects.toThrow(
      new ValidationError('value.data: nested deeper than 100 levels'),
    );
    await expect(encodeV3WithSchema({}, raw('1'), 'value', { topic: 'orders', schemas: undefined, resolved: new Map() })).rejects.toThrow(
      new ValidationError('value: a value with a schema needs a schema registry, and none is configured'),
    );
  });
});
