import { describe, expect, it } from 'vitest';
import { ConfigError, SchemaInvalidError, SchemaNotFoundError, SchemaRegistryUnavailableError } from '../../../lib/errors';
import { ConfluentSchemaRegistry } from '../../../lib/schema/registry-client';

interface Call {
  method: string;
  url: string;
  body?: unknown;
  authorization?: string;
}

/** A fake registry answering from `route`, recording each call. */
function fakeFetch(route: (call: Call) => { status: number; body?: unknown } | Error): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fake = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const call: Call = {
      method: init?.method ?? 'GET',
      url: String(url),
      ...(headers.Authorization === undefined ? {} : { authorization: headers.Authorization }),
    };
    if (typeof init?.body === 'string') call.body = JSON.parse(init.body);
    calls.push(call);
    const answer = route(call);
    if (answer instanceof Error) throw answer;
    return new Response(answer.body === undefined ? '' : JSON.stringify(answer.body), { status: answer.status });
  };
  return { fetch: fake as typeof fetch, calls };
}

const config = { url: 'https://registry.internal:8081', timeoutMs: 1_000 };

describe('ConfluentSchemaRegistry', () => {
  it('registers a schema once per container and answers its id from the cache afterwards', async () => {
    const { fetch, calls } = fakeFetch(() => ({ status: 200, body: { id: 7 } }));
    const registry = new ConfluentSchemaRegistry(config, { fetch });
    expect(await registry.register('orders-value', 'AVRO', '"string"')).toBe(7);
    expect(await registry.register('orders-value', 'AVRO', '"string"')).toBe(7);
    expect(calls).toEqual([{ method: 'POST', url: 'https://registry.internal:8081/subjects/orders-value/versions', body: { schema: '"string"' } }]);
    expect(registry.requestCount).toBe(1);
  });

  it('names the schema type for formats other than Avro', async () => {
    const { fetch, calls } = fakeFetch(() => ({ status: 200, body: { id: 8 } }));
    await new ConfluentSchemaRegistry(config, { fetch }).register('t-value', 'PROTOBUF', 'syntax = "proto3";');
    expect(calls[0]?.body).toEqual({ schemaType: 'PROTOBUF', schema: 'syntax = "proto3";' });
  });

  it('fetches a schema by id once, reading its type', async () => {
    const { fetch, calls } = fakeFetch(() => ({ status: 200, body: { schema: '{"type":"object"}', schemaType: 'JSON' } }));
    const registry = new ConfluentSchemaRegistry(config, { fetch });
    expect(await registry.schemaById(3)).toEqual({ id: 3, format: 'JSON', schema: '{"type":"object"}' });
    await registry.schemaById(3);
    expect(calls).toHaveLength(1);
  });

  it('tells an unknown id, a refused schema and an incompatible one apart', async () => {
    const registry = new ConfluentSchemaRegistry(config, {
      fetch: fakeFetch((call) =>
        call.url.includes('/schemas/ids/')
          ? { status: 404, body: { error_code: 40403, message: 'Schema not found' } }
          : call.url.includes('incompatible')
            ? { status: 409, body: { error_code: 409, message: 'incompatible' } }
            : { status: 422, body: { error_code: 42201, message: 'Invalid schema' } },
      ).fetch,
    });
    await expect(registry.schemaById(99)).rejects.toThrow(new SchemaNotFoundError('schema id 99 is not registered'));
    await expect(registry.register('t-value', 'AVRO', '"x"')).rejects.toThrow(new SchemaInvalidError('the registry refused the schema as invalid AVRO'));
    await expect(registry.register('incompatible-value', 'AVRO', '"x"')).rejects.toThrow(
      new SchemaInvalidError('the schema is not compatible with the schemas registered under subject "incompatible-value"'),
    );
  });

  it('checks that an id is registered under the subject by looking its schema up there', async () => {
    const { fetch, calls } = fakeFetch((call) =>
      call.method === 'GET'
        ? { status: 200, body: { schema: '"string"' } }
        : call.url.endsWith('/subjects/a-value')
          ? { status: 200, body: { subject: 'a-value', version: 1, id: 5, schema: '"string"' } }
          : { status: 404, body: { error_code: 40401, message: 'Subject not found' } },
    );
    const registry = new ConfluentSchemaRegistry(config, { fetch });
    expect(await registry.schemaUnderSubject('a-value', 5)).toEqual({ id: 5, format: 'AVRO', schema: '"string"' });
    await expect(registry.schemaUnderSubject('b-value', 5)).rejects.toThrow(new SchemaNotFoundError('schema id 5 is not registered under subject "b-value"'));
    expect(calls.map((call) => `${call.method} ${call.url.replace(config.url, '')}`)).toEqual([
      'GET /schemas/ids/5',
      'POST /subjects/a-value',
      'POST /subjects/b-value',
    ]);
  });

  it('answers the version a subject holds an id under, from the same lookup', async () => {
    const { fetch, calls } = fakeFetch((call) =>
      call.method === 'GET'
        ? { status: 200, body: { schema: '"string"' } }
        : { status: 200, body: { subject: 'a-value', version: 3, id: 5, schema: '"string"' } },
    );
    const registry = new ConfluentSchemaRegistry(config, { fetch });
    expect(await registry.versionUnderSubject('a-value', 5)).toBe(3);
    expect(await registry.schemaUnderSubject('a-value', 5)).toEqual({ id: 5, format: 'AVRO', schema: '"string"' });
    expect(calls).toHaveLength(2);
  });

  it('reads a numbered version of a subject once, and its latest one each time', async () => {
    const { fetch, calls } = fakeFetch((call) =>
      call.url.endsWith('/versions/9')
        ? { status: 404, body: { error_code: 40402, message: 'Version not found' } }
        : { status: 200, body: { subject: 'a-value', version: 2, id: 6, schemaType: 'PROTOBUF', schema: 'syntax = "proto3";' } },
    );
    const registry = new ConfluentSchemaRegistry(config, { fetch });
    const held = { id: 6, format: 'PROTOBUF', schema: 'syntax = "proto3";', version: 2 };
    expect(await registry.subjectVersion('a-value', 2)).toEqual(held);
    expect(await registry.subjectVersion('a-value', 2)).toEqual(held);
    expect(await registry.subjectVersion('a-value', 'latest')).toEqual(held);
    expect(await registry.subjectVersion('a-value', 'latest')).toEqual(held);
    await expect(registry.subjectVersion('a-value', 9)).rejects.toThrow(new SchemaNotFoundError('version 9 of subject "a-value" is not registered'));
    expect(calls.map((call) => call.url.replace(config.url, ''))).toEqual([
      '/subjects/a-value/versions/2',
      '/subjects/a-value/versions/latest',
      '/subjects/a-value/versions/latest',
      '/subjects/a-value/versions/9',
    ]);
  });

  it('answers every failure to reach it with the fixed retriable error, keeping the detail in the cause, and asks again next time', async () => {
    let down = true;
    const { fetch } = fakeFetch(() => (down ? new TypeError('fetch failed: connect ECONNREFUSED 10.0.0.1:8081') : { status: 200, body: { id: 1 } }));
    const registry = new ConfluentSchemaRegistry(config, { fetch });
    const error = await registry.register('t-value', 'AVRO', '"string"').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaRegistryUnavailableError);
    expect((error as Error).message).toBe('the schema registry is unavailable; retry later');
    expect((error as SchemaRegistryUnavailableError).retriable).toBe(true);
    down = false;
    expect(await registry.register('t-value', 'AVRO', '"string"')).toBe(1);
  });

  it('answers a server error as unavailable', async () => {
    const registry = new ConfluentSchemaRegistry(config, { fetch: fakeFetch(() => ({ status: 500, body: { error_code: 50001 } })).fetch });
    await expect(registry.schemaById(1)).rejects.toBeInstanceOf(SchemaRegistryUnavailableError);
  });

  it('sends basic auth from the secret, read once per container', async () => {
    let reads = 0;
    const { fetch, calls } = fakeFetch(() => ({ status: 200, body: { id: 1 } }));
    const registry = new ConfluentSchemaRegistry(
      { ...config, credentials: { secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:registry', region: 'us-east-1' } },
      {
        fetch,
        readSecret: async () => {
          reads += 1;
          return '{"username":"svc","password":"p@ss"}';
        },
      },
    );
    await registry.register('a-value', 'AVRO', '"a"');
    await registry.register('b-value', 'AVRO', '"b"');
    expect(reads).toBe(1);
    // base64("svc:p@ss")
    expect(calls.map((call) => call.authorization)).toEqual(['Basic c3ZjOnBAc3M=', 'Basic c3ZjOnBAc3M=']);
  });

  it('answers a secret it cannot read as unavailable, and one that is not {"username","password"} as a configuration error', async () => {
    const credentials = { secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:registry', region: 'us-east-1' };
    const { fetch } = fakeFetch(() => ({ status: 200, body: { id: 1 } }));
    const unreadable = new ConfluentSchemaRegistry({ ...config, credentials }, { fetch, readSecret: async () => Promise.reject(new Error('AccessDenied')) });
    await expect(unreadable.register('a-value', 'AVRO', '"a"')).rejects.toBeInstanceOf(SchemaRegistryUnavailableError);
    const malformed = new ConfluentSchemaRegistry({ ...config, credentials }, { fetch, readSecret: async () => 'user:pass' });
    await expect(malformed.register('a-value', 'AVRO', '"a"')).rejects.toBeInstanceOf(ConfigError);
  });
});
