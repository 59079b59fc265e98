/**
 * Protobuf schemas that import others: Confluent's `references` read from the registry (by
 * subject and version), the imported files parsed with the schema, the well-known types known
 * without a reference; message indexes count the schema's own messages only.
 */
import { describe, expect, it } from 'vitest';
import { SchemaInvalidError, SchemaNotFoundError, SchemaRegistryUnavailableError } from '../../../lib/errors';
import { parseJsonExact } from '../../../lib/json-numbers';
import { protobufCodec } from '../../../lib/schema/protobuf';
import { ConfluentSchemaRegistry } from '../../../lib/schema/registry-client';
import { encodeWith, Schemas } from '../../../lib/schema/schemas';
import { memoryRegistry } from '../../helpers/memory-registry';

const MONEY = 'syntax = "proto3"; package shop; message Money { string currency = 1; int64 units = 2; }';
const ORDER = 'syntax = "proto3"; package shop; import "shop/money.proto"; message Order { string id = 1; Money total = 2; } message Line { int32 n = 1; }';
const framed = (id: number, payload: number[]) => Buffer.from([0, 0, 0, 0, id, ...payload]);

function registry() {
  const memory = memoryRegistry();
  memory.put(1, 'PROTOBUF', MONEY, 'shop-money');
  memory.put(2, 'PROTOBUF', ORDER, 'orders-value', [{ name: 'shop/money.proto', subject: 'shop-money', version: 1 }]);
  return memory;
}

describe('Protobuf references', () => {
  it('decodes a record whose schema imports another, the import read by subject and version', async () => {
    const memory = registry();
    const schemas = new Schemas(memory);
    // Order { id: "o", total: { currency: "EUR", units: 5 } }, message index 0.
    const order = [0x00, 0x0a, 0x01, 0x6f, 0x12, 0x07, 0x0a, 0x03, 0x45, 0x55, 0x52, 0x10, 0x05];
    expect(await schemas.decode(framed(2, order))).toEqual({
      format: 'PROTOBUF',
      schemaId: '2',
      value: { id: 'o', total: { currency: 'EUR', units: '5' } },
    });
    // Index [1]: Line, the schema's own second message (Money, from the import, is not counted).
    expect((await schemas.decode(framed(2, [0x02, 0x02, 0x08, 0x03])))?.value).toEqual({ n: 3 });
    // The memory registry counts every question; the real client answers repeats from its cache.
    expect(memory.calls).toEqual(['schema 2', 'version shop-money 1', 'schema 2', 'version shop-money 1']);
  });

  it('encodes with a schema named by id whose references the registry gives', async () => {
    const prepared = await new Schemas(registry()).prepare('orders-value', 'PROTOBUF', { id: 2 }, 'value_schema_id');
    const bytes = encodeWith(prepared, parseJsonExact('{"id":"o","total":{"currency":"EUR","units":"5"}}'), Buffer.alloc(0), 'records[0].value');
    expect([...bytes]).toEqual([0, 0, 0, 0, 2, 0x00, 0x0a, 0x01, 0x6f, 0x12, 0x07, 0x0a, 0x03, 0x45, 0x55, 0x52, 0x10, 0x05]);
  });

  it('reads references of references, each once, and a missing one as not found', async () => {
    const memory = memoryRegistry();
    memory.put(1, 'PROTOBUF', 'syntax = "proto3"; package c; message C { int32 c = 1; }', 'c');
    memory.put(2, 'PROTOBUF', 'syntax = "proto3"; package b; import "c.proto"; message B { c.C c = 1; }', 'b', [{ name: 'c.proto', subject: 'c', version: 1 }]);
    memory.put(3, 'PROTOBUF', 'syntax = "proto3"; package a; import "b.proto"; import "c.proto"; message A { b.B b = 1; c.C c = 2; }', 'a', [
      { name: 'b.proto', subject: 'b', version: 1 },
      { name: 'c.proto', subject: 'c', version: 1 },
    ]);
    memory.put(4, 'PROTOBUF', 'syntax = "proto3"; import "gone.proto"; message G { int32 g = 1; }', undefined, [
      { name: 'gone.proto', subject: 'gone', version: 3 },
    ]);
    const schemas = new Schemas(memory);
    // A { b: { c: { c: 1 } }, c: { c: 2 } }
    expect((await schemas.decode(framed(3, [0x00, 0x0a, 0x04, 0x0a, 0x02, 0x08, 0x01, 0x12, 0x02, 0x08, 0x02])))?.value).toEqual({
      b: { c: { c: 1 } },
      c: { c: 2 },
    });
    expect(memory.calls).toEqual(['schema 3', 'version b 1', 'version c 1']);
    await expect(schemas.decode(framed(4, [0x00]))).rejects.toThrow(new SchemaNotFoundError('version 3 of subject "gone" is not registered'));
  });

  it('refuses references that nest without end', async () => {
    const memory = memoryRegistry();
    memory.put(1, 'PROTOBUF', 'syntax = "proto3"; message X { int32 x = 1; }', 'loop', [{ name: 'y.proto', subject: 'loop', version: 1 }]);
    memory.put(2, 'PROTOBUF', 'syntax = "proto3"; message M { int32 m = 1; }', undefined, [{ name: 'x.proto', subject: 'loop', version: 1 }]);
    await expect(new Schemas(memory).decode(framed(2, [0x00]))).rejects.toThrow(new SchemaNotFoundError('schema 2: its references nest deeper than 10'));
  });

  it('refuses Avro and JSON Schema references rather than misread them', async () => {
    const memory = memoryRegistry();
    memory.put(5, 'AVRO', '"string"', undefined, [{ name: 'x', subject: 'x', version: 1 }]);
    memory.put(6, 'AVRO', '"int"', 'x');
    const error = await new Schemas(memory).decode(framed(5, [0x02, 0x61])).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaInvalidError);
    expect((error as Error).message).toBe('registered Avro schema 5 does not parse');
    expect(((error as Error).cause as Error).message).toBe('Avro references are not read here');
  });

  it('knows the well-known types without a reference', () => {
    const codec = protobufCodec('syntax = "proto3"; import "google/protobuf/timestamp.proto"; message E { google.protobuf.Timestamp at = 1; }');
    const bytes = codec.encode(parseJsonExact('{"at":{"seconds":"1700000000","nanos":5}}'), Buffer.alloc(0));
    expect(codec.decode(bytes)).toEqual({ at: { seconds: '1700000000', nanos: 5 } });
  });

  it('refuses a schema whose import nothing gives', () => {
    expect(() => protobufCodec('syntax = "proto3"; import "missing.proto"; message M { other.T t = 1; }')).toThrow(/no such type/i);
  });
});

describe('references on the wire', () => {
  function client(route: (method: string, url: string, body?: unknown) => { status: number; body: unknown }) {
    const sent: { method: string; url: string; body?: unknown }[] = [];
    const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
      sent.push({ method: init?.method ?? 'GET', url: String(url).replace('https://r.example', ''), ...(body === undefined ? {} : { body }) });
      const answer = route(init?.method ?? 'GET', String(url), body);
      return new Response(JSON.stringify(answer.body), { status: answer.status });
    }) as typeof globalThis.fetch;
    return { registry: new ConfluentSchemaRegistry({ url: 'https://r.example', timeoutMs: 1_000 }, { fetch }), sent };
  }
  const references = [{ name: 'shop/money.proto', subject: 'shop-money', version: 1 }];

  it('reads the references of a schema by id, and looks it up under a subject with them', async () => {
    const { registry, sent } = client((method) =>
      method === 'GET' ? { status: 200, body: { schema: ORDER, schemaType: 'PROTOBUF', references } } : { status: 200, body: { id: 2 } },
    );
    expect(await registry.schemaUnderSubject('orders-value', 2)).toEqual({ id: 2, format: 'PROTOBUF', schema: ORDER, references });
    expect(sent).toEqual([
      { method: 'GET', url: '/schemas/ids/2' },
      { method: 'POST', url: '/subjects/orders-value', body: { schemaType: 'PROTOBUF', schema: ORDER, references } },
    ]);
  });

  it('reads a version of a subject, with its id, once', async () => {
    const { registry, sent } = client(() => ({ status: 200, body: { subject: 'shop money', version: 1, id: 1, schemaType: 'PROTOBUF', schema: MONEY } }));
    expect(await registry.schemaVersion('shop money', 1)).toEqual({ id: 1, format: 'PROTOBUF', schema: MONEY });
    await registry.schemaVersion('shop money', 1);
    expect(sent).toEqual([{ method: 'GET', url: '/subjects/shop%20money/versions/1' }]);
  });

  it.each([
    ['a 404', 404, { error_code: 40402 }, SchemaNotFoundError],
    ['a 200 without an id', 200, { schema: MONEY }, SchemaRegistryUnavailableError],
    ['a 200 with an id that is not a number', 200, { id: '1', schema: MONEY }, SchemaRegistryUnavailableError],
    ['a 200 without a schema', 200, { id: 1 }, SchemaRegistryUnavailableError],
    ['a 500', 500, { id: 1, schema: MONEY }, SchemaRegistryUnavailableError],
    ['references that are not a list', 200, { id: 1, schema: MONEY, references: {} }, SchemaRegistryUnavailableError],
    ['a reference without a version', 200, { id: 1, schema: MONEY, references: [{ name: 'a', subject: 'b' }] }, SchemaRegistryUnavailableError],
    ['a reference without a subject', 200, { id: 1, schema: MONEY, references: [{ name: 'a', version: 1 }] }, SchemaRegistryUnavailableError],
    ['a reference without a name', 200, { id: 1, schema: MONEY, references: [{ subject: 'b', version: 1 }] }, SchemaRegistryUnavailableError],
    ['a reference that is not an object', 200, { id: 1, schema: MONEY, references: ['a'] }, SchemaRegistryUnavailableError],
  ])('answers a version read giving %s as %s', async (_name, status, body, kind) => {
    const { registry } = client(() => ({ status, body }));
    await expect(registry.schemaVersion('s', 1)).rejects.toBeInstanceOf(kind);
  });

  it('names the missing version, and reads an empty list of references as none', async () => {
    await expect(client(() => ({ status: 404, body: {} })).registry.schemaVersion('s', 4)).rejects.toThrow(
      new SchemaNotFoundError('version 4 of subject "s" is not registered'),
    );
    expect(await client(() => ({ status: 200, body: { id: 1, schema: '"x"', references: [] } })).registry.schemaVersion('s', 1)).toEqual({
      id: 1,
      format: 'AVRO',
      schema: '"x"',
    });
  });
});
