/**
 * A client of the Confluent-compatible schema registry API (Confluent Schema Registry,
 * Karapace, Apicurio's `/apis/ccompat/v7`), with the container's cache: a schema registered or
 * looked up once, and a schema fetched by id once, are never asked for again (ids never change
 * their schema). Basic auth credentials come from Secrets Manager in Lambda, read on first use.
 *
 * Errors are domain errors: a schema the registry refuses is {@link SchemaInvalidError}, an id
 * it does not know (under a subject) {@link SchemaNotFoundError}, and anything else (no
 * answer, a timeout, a server error, refused credentials) {@link SchemaRegistryUnavailableError}
 * with a fixed message; the registry's host and text stay in the cause, for the log.
 * https://docs.confluent.io/platform/current/schema-registry/develop/api.html
 */
import type { SchemaRegistryConfig } from '../config';
import { ConfigError, SchemaInvalidError, SchemaNotFoundError, SchemaRegistryUnavailableError } from '../errors';
import { isPlainObject } from '../json-checks';
import { schemaFormatOf, SchemaFormat, type RegisteredSchema } from './format';

/** What the schema'd formats need of a registry. */
export interface SchemaRegistry {
  /**
   * The id of `schema` under `subject`, registering it there when it is not yet.
   *
   * @throws {SchemaInvalidError} when the registry refuses the schema (invalid, or incompatible with the subject).
   * @throws {SchemaRegistryUnavailableError} when the registry cannot answer.
   */
  register(subject: string, format: SchemaFormat, schema: string): Promise<number>;
  /**
   * The schema with `id`.
   *
   * @throws {SchemaNotFoundError} when the registry has no schema with that id.
   * @throws {SchemaRegistryUnavailableError} when the registry cannot answer.
   */
  schemaById(id: number): Promise<RegisteredSchema>;
  /**
   * The schema with `id`, when it is registered under `subject`.
   *
   * @throws {SchemaNotFoundError} when the id is unknown or not registered under `subject`.
   * @throws {SchemaRegistryUnavailableError} when the registry cannot answer.
   */
  schemaUnderSubject(subject: string, id: number): Promise<RegisteredSchema>;
  /**
   * The version `subject` holds the schema with `id` under (the REST Proxy v3 answer reports it).
   *
   * @throws {SchemaNotFoundError} when the id is unknown or not registered under `subject`.
   * @throws {SchemaRegistryUnavailableError} when the registry cannot answer.
   */
  versionUnderSubject(subject: string, id: number): Promise<number>;
  /**
   * The schema registered under `subject` as `version`, or its latest one.
   *
   * @throws {SchemaNotFoundError} when the subject or that version does not exist, or is of a format not read here.
   * @throws {SchemaRegistryUnavailableError} when the registry cannot answer.
   */
  subjectVersion(subject: string, version: number | 'latest'): Promise<SubjectVersion>;
}

/** A schema as a subject holds it: which version it is there. */
export interface SubjectVersion extends RegisteredSchema {
  version: number;
}

/** Reads a secret's string value; the real one is `lib/aws/secrets.ts`, loaded on demand. */
export type SecretReader = (secretArn: string, region: string) => Promise<string>;

const readFromSecretsManager: SecretReader = async (secretArn, region) => {
  const { readSecretString } = await import('../aws/secrets');
  return readSecretString(secretArn, region);
};

/** Collaborators of {@link ConfluentSchemaRegistry}; defaults are the real ones. */
export interface RegistryClientDeps {
  fetch?: typeof fetch;
  readSecret?: SecretReader;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** Confluent's error codes this client tells apart. */
const RegistryErrorCode = {
  SubjectNotFound: 40401,
  SchemaNotFound: 40403,
  InvalidSchema: 42201,
  IncompatibleSchema: 409,
} as const;

interface RegistryAnswer {
  status: number;
  body: unknown;
}

/** Parses the `{"username","password"}` secret Lambda's BASIC_AUTH access config also reads. */
export function parseBasicAuthSecret(secretText: string): { username: string; password: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretText);
  } catch {
    throw new ConfigError('SCHEMA_REGISTRY_SECRET_ARN', 'the secret is not JSON; expected {"username","password"}');
  }
  if (!isPlainObject(parsed) || typeof parsed.username !== 'string' || typeof parsed.password !== 'string') {
    throw new ConfigError('SCHEMA_REGISTRY_SECRET_ARN', 'the secret must hold {"username","password"} strings');
  }
  return { username: parsed.username, password: parsed.password };
}

function errorCodeOf(body: unknown): number | undefined {
  return isPlainObject(body) && typeof body.error_code === 'number' ? body.error_code : undefined;
}

/** Keeps a promise per key; a rejected one is forgotten, so the next call asks again. */
function memo<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const loading = load();
  cache.set(key, loading);
  loading.catch(() => {
    if (cache.get(key) === loading) cache.delete(key);
  });
  return loading;
}

/** {@link SchemaRegistry} over the Confluent-compatible HTTP API. Create one per container. */
export class ConfluentSchemaRegistry implements SchemaRegistry {
  private readonly registered = new Map<string, Promise<number>>();
  private readonly byId = new Map<string, Promise<RegisteredSchema>>();
  private readonly underSubject = new Map<string, Promise<SubjectVersion>>();
  private readonly versions = new Map<string, Promise<SubjectVersion>>();
  private authorization: Promise<string | undefined> | undefined;
  private requests = 0;

  constructor(
    private readonly config: SchemaRegistryConfig,
    private readonly deps: RegistryClientDeps = {},
  ) {}

  /** HTTP requests sent so far (the benchmarks count that a warm container sends none). */
  get requestCount(): number {
    return this.requests;
  }

  register(subject: string, format: SchemaFormat, schema: string): Promise<number> {
    return memo(this.registered, `${subject}\u0000${format}\u0000${schema}`, async () => {
      const answer = await this.send('POST', `/subjects/${encodeURIComponent(subject)}/versions`, schemaBody(format, schema));
      if (answer.status === 200 && isPlainObject(answer.body) && typeof answer.body.id === 'number') return answer.body.id;
      const code = errorCodeOf(answer.body);
      if (answer.status === 409 || code === RegistryErrorCode.IncompatibleSchema) {
        throw new SchemaInvalidError(`the schema is not compatible with the schemas registered under subject "${subject}"`);
      }
      if (answer.status === 422 || code === RegistryErrorCode.InvalidSchema) {
        throw new SchemaInvalidError(`the registry refused the schema as invalid ${format === SchemaFormat.Json ? 'JSON Schema' : format}`);
      }
      throw this.unavailable(answer, `register under ${subject}`);
    });
  }

  schemaById(id: number): Promise<RegisteredSchema> {
    return memo(this.byId, String(id), async () => {
      const answer = await this.send('GET', `/schemas/ids/${id}`);
      if (answer.status === 200 && isPlainObject(answer.body) && typeof answer.body.schema === 'string') {
        const format = schemaFormatOf(answer.body.schemaType);
        if (format === undefined) throw new SchemaNotFoundError(`schema ${id} is of type ${String(answer.body.schemaType)}, which is not read here`);
        return { id, format, schema: answer.body.schema };
      }
      if (answer.status === 404) throw new SchemaNotFoundError(`schema id ${id} is not registered`);
      throw this.unavailable(answer, `schema ${id}`);
    });
  }

  async schemaUnderSubject(subject: string, id: number): Promise<RegisteredSchema> {
    const { version: _version, ...registered } = await this.lookUpUnderSubject(subject, id);
    return registered;
  }

  async versionUnderSubject(subject: string, id: number): Promise<number> {
    return (await this.lookUpUnderSubject(subject, id)).version;
  }

  subjectVersion(subject: string, version: number | 'latest'): Promise<SubjectVersion> {
    const load = async (): Promise<SubjectVersion> => {
      const answer = await this.send('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`);
      const { body } = answer;
      if (answer.status === 200 && isPlainObject(body) && typeof body.schema === 'string' && typeof body.id === 'number' && typeof body.version === 'number') {
        const format = schemaFormatOf(body.schemaType);
        if (format === undefined)
          throw new SchemaNotFoundError(`subject "${subject}" version ${version} is of type ${String(body.schemaType)}, which is not read here`);
        return { id: body.id, format, schema: body.schema, version: body.version };
      }
      if (answer.status === 404) throw new SchemaNotFoundError(`subject "${subject}" has no ${version === 'latest' ? 'schema' : `version ${version}`}`);
      throw this.unavailable(answer, `version ${version} of ${subject}`);
    };
    // A numbered version never changes its schema; the latest one may, so it is asked for each time.
    return version === 'latest' ? load() : memo(this.versions, `${subject}\u0000${version}`, load);
  }

  private lookUpUnderSubject(subject: string, id: number): Promise<SubjectVersion> {
    return memo(this.underSubject, `${subject}\u0000${id}`, async () => {
      const registered = await this.schemaById(id);
      // Looking the schema up under the subject works with every Confluent-compatible registry
      // (unlike GET /schemas/ids/{id}/versions): it answers the id and version the subject holds it under.
      const answer = await this.send('POST', `/subjects/${encodeURIComponent(subject)}`, schemaBody(registered.format, registered.schema));
      const { body } = answer;
      if (answer.status === 200 && isPlainObject(body) && body.id === id && typeof body.version === 'number') return { ...registered, version: body.version };
      if (answer.status === 200 || answer.status === 404) throw new SchemaNotFoundError(`schema id ${id} is not registered under subject "${subject}"`);
      throw this.unavailable(answer, `look up ${id} under ${subject}`);
    });
  }

  private unavailable(answer: RegistryAnswer, what: string): SchemaRegistryUnavailableError {
    return new SchemaRegistryUnavailableError({ cause: new Error(`${what}: HTTP ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}`) });
  }

  private async send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<RegistryAnswer> {
    const headers: Record<string, string> = { Accept: CONTENT_TYPE };
    const authorization = await this.basicAuth();
    if (authorization !== undefined) headers.Authorization = authorization;
    if (body !== undefined) headers['Content-Type'] = CONTENT_TYPE;
    const url = `${this.config.url}${path}`;
    this.requests += 1;
    let response: Response;
    let parsed: unknown;
    try {
      response = await (this.deps.fetch ?? fetch)(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      const text = await response.text();
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch (error) {
      throw new SchemaRegistryUnavailableError({ cause: new Error(`${method} ${url} failed`, { cause: error }) });
    }
    return { status: response.status, body: parsed };
  }

  /** The `Authorization` header, resolved once per container; a failed secret read is tried again next time. */
  private basicAuth(): Promise<string | undefined> {
    const { credentials } = this.config;
    if (credentials === undefined) return Promise.resolve(undefined);
    if (this.authorization === undefined) {
      const loading = (async () => {
        const { username, password } =
          'secretArn' in credentials
            ? parseBasicAuthSecret(
                await (this.deps.readSecret ?? readFromSecretsManager)(credentials.secretArn, credentials.region).catch((error: unknown) => {
                  throw new SchemaRegistryUnavailableError({ cause: error });
                }),
              )
            : credentials;
        return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      })();
      this.authorization = loading;
      loading.catch(() => {
        if (this.authorization === loading) this.authorization = undefined;
      });
    }
    return this.authorization;
  }
}

function schemaBody(format: SchemaFormat, schema: string): Record<string, string> {
  // Confluent's API leaves schemaType out for Avro, its default.
  return format === SchemaFormat.Avro ? { schema } : { schemaType: format, schema };
}
