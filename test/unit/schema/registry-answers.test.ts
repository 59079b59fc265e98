/**
 * How the registry client reads each answer the Confluent-compatible API may give, one branch
 * at a time: what counts as an id or a schema, what as refused, not found or unavailable, and
 * what it sends (headers, body, credentials).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, SchemaInvalidError, SchemaNotFoundError, SchemaRegistryUnavailableError } from '../../../lib/errors';
import { ConfluentSchemaRegistry, parseBasicAuthSecret } from '../../../lib/schema/registry-client';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** A registry answering every request with `status` and `body` (text as given, or JSON), recording what was sent. */
function answering(status: number, body: unknown) {
  const sent: Sent[] = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    sent.push({
      method: init?.method ?? 'GET',
      url: String(url),
      headers: { ...((init?.headers ?? {}) as Record<string, string>) },
      ...(typeof init?.body === 'string' ? { body: init.body } : {}),
    });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  }) as typeof globalThis.fetch;
  return { registry: new ConfluentSchemaRegistry({ url: 'https://r.example', timeoutMs: 1_000 }, { fetch }), sent };
}

const causeOf = async (promise: Promise<unknown>): Promise<string> => {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(SchemaRegistryUnavailableError);
  return ((error as Error).cause as Error).message;
};

describe('register', () => {
  it.each([
    ['a 200 without an id', 200, { version: 1 }, 'register under t-value: HTTP 200 {"version":1}'],
    ['a 200 with an id that is not a number', 200, { id: '7' }, 'register under t-value: HTTP 200 {"id":"7"}'],
    ['a 200 that is not an object', 200, [7], 'register under t-value: HTTP 200 [7]'],
    ['a 201 with an id', 201, { id: 7 }, 'register under t-value: HTTP 201 {"id":7}'],
    [
      'a 500 with Confluent error code 50001',
      500,
      { error_code: 50001, message: 'store error' },
      'register under t-value: HTTP 500 {"error_code":50001,"message":"store error"}',
    ],
    ['an empty 503', 503, '', 'register under t-value: HTTP 503 undefined'],
  ])('answers %s as unavailable, the answer in the cause', async (_name, status, body, cause) => {
    expect(await causeOf(answering(status, body).registry.register('t-value', 'AVRO', '"x"'))).toBe(cause);
  });

  it('keeps at most 300 characters of the answer in the cause', async () => {
    const cause = await causeOf(answering(500, { message: 'x'.repeat(400) }).registry.register('t-value', 'AVRO', '"x"'));
    expect(cause).toBe(`register under t-value: HTTP 500 ${`{"message":"${'x'.repeat(400)}"}`.slice(0, 300)}`);
  });

  it.each([
    ['status 409 alone', 409, {}],
    ['error code 409 alone', 400, { error_code: 409 }],
  ])('answers %s as incompatible', async (_name, status, body) => {
    await expect(answering(status, body).registry.register('t-value', 'AVRO', '"x"')).rejects.toThrow(
      new SchemaInvalidError('the schema is not compatible with the schemas registered under subject "t-value"'),
    );
  });

  it.each([
    ['status 422 alone', 422, {}, 'PROTOBUF', 'the registry refused the schema as invalid PROTOBUF'],
    ['error code 42201 alone', 400, { error_code: 42201 }, 'JSON', 'the registry refused the schema as invalid JSON Schema'],
  ] as const)('answers %s as invalid, naming the format', async (_name, status, body, format, message) => {
    await expect(answering(status, body).registry.register('t-value', format, 'x')).rejects.toThrow(new SchemaInvalidError(message));
  });

  it('answers an error code that is not a number, with another status, as unavailable', async () => {
    await expect(answering(400, { error_code: '42201' }).registry.register('t-value', 'AVRO', '"x"')).rejects.toBeInstanceOf(SchemaRegistryUnavailableError);
  });

  it('posts the schema as JSON with the registry media type, and names the type except for Avro', async () => {
    const { registry, sent } = answering(200, { id: 3 });
    expect(await registry.register('a b-value', 'JSON', '{"type":"string"}')).toBe(3);
    expect(sent).toEqual([
      {
        method: 'POST',
        url: 'https://r.example/subjects/a%20b-value/versions',
        headers: { Accept: 'application/vnd.schemaregistry.v1+json', 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
        body: '{"schemaType":"JSON","schema":"{\\"type\\":\\"string\\"}"}',
      },
    ]);
  });
});

describe('schemaById', () => {
  it('gets the schema without a body or its content type, and reads a missing type as Avro', async () => {
    const { registry, sent } = answering(200, { schema: '"long"' });
    expect(await registry.schemaById(4)).toEqual({ id: 4, format: 'AVRO', schema: '"long"' });
    expect(sent).toEqual([{ method: 'GET', url: 'https://r.example/schemas/ids/4', headers: { Accept: 'application/vnd.schemaregistry.v1+json' } }]);
  });

  it('reads the type of a Protobuf schema', async () => {
    expect(await answering(200, { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' }).registry.schemaById(4)).toEqual({
      id: 4,
      format: 'PROTOBUF',
      schema: 'syntax = "proto3";',
    });
  });

  it('answers a type it does not read as not found, naming it', async () => {
    await expect(answering(200, { schema: 'x', schemaType: 'XML' }).registry.schemaById(4)).rejects.toThrow(
      new SchemaNotFoundError('schema 4 is of type XML, which is not read here'),
    );
  });

  it.each([
    ['a 200 without a schema', 200, { id: 4 }, 'schema 4: HTTP 200 {"id":4}'],
    ['a 200 whose schema is not text', 200, { schema: 4 }, 'schema 4: HTTP 200 {"schema":4}'],
    ['a 200 that is not an object', 200, '"x"', 'schema 4: HTTP 200 "x"'],
    ['a 403', 403, { error_code: 40301 }, 'schema 4: HTTP 403 {"error_code":40301}'],
  ])('answers %s as unavailable', async (_name, status, body, cause) => {
    expect(await causeOf(answering(status, body).registry.schemaById(4))).toBe(cause);
  });

  it('answers a body that is not JSON as unavailable', async () => {
    const error = await answering(200, '<html>')
      .registry.schemaById(4)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaRegistryUnavailableError);
    expect(((error as Error).cause as Error).message).toBe('GET https://r.example/schemas/ids/4 failed');
  });
});

describe('schemaUnderSubject', () => {
  /** Answers GET /schemas/ids/5 with an Avro schema, and the lookup under the subject with `status` / `body`. */
  function lookingUp(status: number, body: unknown) {
    const fetch = (async (_url: string | URL | Request, init?: RequestInit) =>
      init?.method === 'GET'
        ? new Response(JSON.stringify({ schema: '"string"' }), { status: 200 })
        : new Response(JSON.stringify(body), { status })) as typeof globalThis.fetch;
    return new ConfluentSchemaRegistry({ url: 'https://r.example', timeoutMs: 1_000 }, { fetch });
  }

  it.each([
    ['another id', 200, { id: 6 }],
    ['no id', 200, {}],
    ['a 404', 404, { error_code: 40403 }],
  ])('answers a lookup giving %s as not under the subject', async (_name, status, body) => {
    await expect(lookingUp(status, body).schemaUnderSubject('t-value', 5)).rejects.toThrow(
      new SchemaNotFoundError('schema id 5 is not registered under subject "t-value"'),
    );
  });

  it('answers a lookup failing otherwise as unavailable', async () => {
    expect(await causeOf(lookingUp(500, { id: 5 }).schemaUnderSubject('t-value', 5))).toBe('look up 5 under t-value: HTTP 500 {"id":5}');
  });

  it('takes the id the subject holds the schema under', async () => {
    expect(await lookingUp(200, { id: 5, version: 2 }).schemaUnderSubject('t-value', 5)).toEqual({ id: 5, format: 'AVRO', schema: '"string"' });
  });
});

describe('credentials', () => {
  it('sends no Authorization header without credentials, and the given ones with them', async () => {
    const { registry, sent } = answering(200, { id: 1 });
    await registry.register('t-value', 'AVRO', '"a"');
    expect(sent[0]?.headers.Authorization).toBeUndefined();
    const calls: string[] = [];
    const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
      calls.push(((init?.headers ?? {}) as Record<string, string>).Authorization as string);
      return new Response('{"id":1}', { status: 200 });
    }) as typeof globalThis.fetch;
    await new ConfluentSchemaRegistry({ url: 'https://r.example', timeoutMs: 1_000, credentials: { username: 'u', password: 'p' } }, { fetch }).register(
      't-value',
      'AVRO',
      '"a"',
    );
    // base64("u:p")
    expect(calls).toEqual(['Basic dTpw']);
  });

  it('reads the secret again after a failed read, and keeps it once read', async () => {
    let reads = 0;
    const fetch = (async () => new Response('{"id":1}', { status: 200 })) as unknown as typeof globalThis.fetch;
    const registry = new ConfluentSchemaRegistry(
      { url: 'https://r.example', timeoutMs: 1_000, credentials: { secretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:r', region: 'us-east-1' } },
      {
        fetch,
        readSecret: async () => {
          reads += 1;
          if (reads === 1) throw new Error('throttled');
          return '{"username":"u","password":"p"}';
        },
      },
    );
    const first = await registry.register('a-value', 'AVRO', '"a"').catch((caught: unknown) => caught);
    expect(first).toBeInstanceOf(SchemaRegistryUnavailableError);
    expect(((first as Error).cause as Error).message).toBe('throttled');
    expect(await registry.register('a-value', 'AVRO', '"a"')).toBe(1);
    expect(await registry.register('b-value', 'AVRO', '"b"')).toBe(1);
    expect(reads).toBe(2);
  });
});

describe('parseBasicAuthSecret', () => {
  it('reads {"username","password"}', () => {
    expect(parseBasicAuthSecret('{"username":"u","password":"p","other":1}')).toEqual({ username: 'u', password: 'p' });
  });

  it.each([
    ['text that is not JSON', 'u:p', 'the secret is not JSON; expected {"username","password"}'],
    ['an array', '["u","p"]', 'the secret must hold {"username","password"} strings'],
    ['no username', '{"password":"p"}', 'the secret must hold {"username","password"} strings'],
    ['a password that is not text', '{"username":"u","password":1}', 'the secret must hold {"username","password"} strings'],
  ])('refuses %s, naming the variable', (_name, text, reason) => {
    expect(() => parseBasicAuthSecret(text)).toThrow(new ConfigError('SCHEMA_REGISTRY_SECRET_ARN', reason));
  });
});
