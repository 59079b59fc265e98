/**
 * The schema caches stay at their bound under a flood of distinct schemas from clients, while
 * a schema in use stays warm (asked of the registry once).
 */
import { describe, expect, it } from 'vitest';
import { BoundedCache, SCHEMA_CACHE_ENTRIES } from '../../../lib/schema/bounded-cache';
import { createGlueSchemaSource } from '../../../lib/schema/glue-registry';
import { jsonSchemaCodec } from '../../../lib/schema/json-schema';
import { ConfluentSchemaRegistry } from '../../../lib/schema/registry-client';
import { Schemas } from '../../../lib/schema/schemas';

describe('BoundedCache', () => {
  it('drops the least recently used entry when full, a read counting as a use', () => {
    const cache = new BoundedCache<string>(2);
    cache.set('a', 'A');
    cache.set('b', 'B');
    expect(cache.get('a')).toBe('A');
    cache.set('c', 'C');
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(cache.get('c')).toBe('C');
  });

  it('replaces a key in place without dropping another', () => {
    const cache = new BoundedCache<string>(2);
    cache.set('a', 'A');
    cache.set('b', 'B');
    cache.set('a', 'A2');
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBe('A2');
    expect(cache.get('b')).toBe('B');
  });

  it('keeps a loaded promise, and forgets a rejected one so the next call loads again', async () => {
    const cache = new BoundedCache<Promise<number>>(4);
    let loads = 0;
    const failing = () => {
      loads += 1;
      return Promise.reject(new Error('away'));
    };
    await expect(cache.memo('k', failing)).rejects.toThrow('away');
    expect(cache.size).toBe(0);
    expect(await cache.memo('k', async () => 7)).toBe(7);
    expect(await cache.memo('k', async () => 8)).toBe(7);
    expect(loads).toBe(1);
  });

  it('forgets a key only while it still holds the value given', () => {
    const cache = new BoundedCache<string>(2);
    cache.set('a', 'new');
    cache.forget('a', 'old');
    expect(cache.get('a')).toBe('new');
    cache.forget('a', 'new');
    expect(cache.size).toBe(0);
  });

  it('holds 500 entries by default', () => {
    expect(SCHEMA_CACHE_ENTRIES).toBe(500);
    expect(new BoundedCache().maxEntries).toBe(500);
  });
});

describe('JSON Schema codecs, each with its own Ajv', () => {
  it('compiles two schemas that give one $id inside them to different definitions, each validating by its own', () => {
    const inner = (type: string) =>
      JSON.stringify({ type: 'object', properties: { v: { $ref: 'urn:shared' } }, definitions: { d: { $id: 'urn:shared', type } } });
    const asString = jsonSchemaCodec(inner('string'));
    const asNumber = jsonSchemaCodec(inner('number'));
    expect(asString.encode({ v: 'x' }, Buffer.from('{"v":"x"}')).toString()).toBe('{"v":"x"}');
    expect(() => asString.encode({ v: 1 }, Buffer.from('{"v":1}'))).toThrow();
    expect(asNumber.encode({ v: 1 }, Buffer.from('{"v":1}')).toString()).toBe('{"v":1}');
    expect(() => asNumber.encode({ v: 'x' }, Buffer.from('{"v":"x"}'))).toThrow();
  });
});

/** Avro record schema number `n`: each one a distinct text. */
const avroSchema = (n: number): string => JSON.stringify({ type: 'record', name: `R${n}`, fields: [{ name: 'f', type: 'long' }] });

describe('the schema caches under a flood of distinct schemas', () => {
  it('keeps each of the registry client caches at its bound, and a warm schema asks nothing more', async () => {
    const asked: string[] = [];
    const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { schema: string }) : undefined;
      asked.push(`${init?.method} ${String(url).replace('https://registry.internal', '')}`);
      const id = Number(String(url).match(/\/ids\/(\d+)/)?.[1] ?? (JSON.parse(body?.schema ?? '{"name":"R0"}') as { name: string }).name.slice(1));
      if (String(url).includes('/schemas/ids/')) return new Response(JSON.stringify({ schema: avroSchema(id) }), { status: 200 });
      return new Response(JSON.stringify({ id }), { status: 200 });
    }) as typeof globalThis.fetch;
    const registry = new ConfluentSchemaRegistry({ url: 'https://registry.internal', timeoutMs: 1_000 }, { fetch, cacheEntries: 3 });
    const schemas = new Schemas(registry, undefined, 3);
    const warm = { schema: avroSchema(1) };
    await schemas.prepare('t-value', 'AVRO', warm, 'value_schema');
    await registry.schemaUnderSubject('t-value', 1);
    for (let n = 2; n < 40; n += 1) {
      await schemas.prepare('t-value', 'AVRO', { schema: avroSchema(n) }, 'value_schema');
      await registry.schemaUnderSubject('t-value', n);
      // The warm schema, used between the others, stays cached.
      expect((await schemas.prepare('t-value', 'AVRO', warm, 'value_schema')).id).toBe(1);
      await registry.schemaUnderSubject('t-value', 1);
    }
    expect(registry.cacheSizes).toEqual({ registered: 3, byId: 3, underSubject: 3 });
    expect(schemas.codecCount).toBe(3);
    expect(asked.filter((call) => call === 'POST /subjects/t-value/versions').length).toBe(39);
    // Schema 1: registered once, fetched by id once, looked up under the subject once.
    expect(asked.filter((call) => call === 'GET /schemas/ids/1')).toEqual(['GET /schemas/ids/1']);
    expect(asked.filter((call) => call === 'POST /subjects/t-value').length).toBe(39);
    expect(registry.requestCount).toBe(39 * 3);
  });

  it('keeps the Glue versions read at their bound, a warm one read once', async () => {
    const read: string[] = [];
    const glue = createGlueSchemaSource(
      'us-east-1',
      async (id) => {
        read.push(id);
        return { dataFormat: 'AVRO', definition: '"string"' };
      },
      2,
    );
    for (let n = 0; n < 10; n += 1) {
      await glue.schemaVersion(`v-${n}`);
      await glue.schemaVersion('warm');
    }
    expect(read.filter((id) => id === 'warm')).toEqual(['warm']);
    expect(read.length).toBe(11);
    // The oldest one left the cache: it is read again.
    await glue.schemaVersion('v-0');
    expect(read.length).toBe(12);
  });
});
