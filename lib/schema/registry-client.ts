/**
 * A client of the Confluent-compatible schema registry API (Confluent Schema Registry,
 * Karapace, Apicurio's `/apis/ccompat/v7`), with the container's bounded caches: a schema
 * registered or looked up once, and a schema fetched by id once, are not asked for again while
 * they are among the {@link SCHEMA_CACHE_ENTRIES} most recently used (ids never change their schema). Basic auth credentials come from Secrets Manager in Lambda, read on first use.
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
import { BoundedCache, SCHEMA_CACHE_ENTRIES } from './bounded-cache';
import { schemaFormatOf, SchemaFormat, type RegisteredSchema, type SchemaReference } from './format';

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
   * Version `version` of the schema registered under `subject`: what a reference names. Its
   * `id` is the registry's id of that version.
   *
   * @throws {SchemaNotFoundError} when the subject has no such version.
   * @throws {SchemaRegistryUnavailableError} when the registry cannot answer.
   */
  schemaVersion(subject: string, version: number): Promise<RegisteredSchema>;
  /**
   * The version `subject` holds the schema with `id` under (the REST Proxy v3 answer reports it).
   *
   * @throws {SchemaNotFoundError} when the id is unknown or not registered under `subject`.
   * @throws {SchemaRegistryUnavailableError} when the registry cannot answer.
   */
  versionUnderSubject(subject: string, id: number): Promise<number>;
  /**
   * The schema registered under `subject` as `version`, or its latest one, with its version number.
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
  /** Entries each cache holds; {@link SCHEMA_CACHE_ENTRIES} by default (tests use fewer). */
  cacheEntries?: number;
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

/** {@link SchemaRegistry} over the Confluent-compatible HTTP API. Create one per container. */
export class ConfluentSchemaRegistry implements SchemaRegistry {
  // Bounded: the keys come from requests (schema texts) and records (ids).
  private readonly registered: BoundedCache<Promise<number>>;
  private readonly byId: BoundedCache<Promise<RegisteredSchema>>;
  private readonly underSubject: BoundedCache<Promise<RegisteredSchema & { version: number | undefined }>>;
  private readonly versions: BoundedCache<Promise<RegisteredSchema>>;
  private authorization: Promise<string | undefined> | undefined;
  private requests = 0;

  constructor(
    private readonly config: SchemaRegistryConfig,
    private readonly deps: RegistryClientDeps = {},
  ) {
    const entries = deps.cacheEntries ?? SCHEMA_CACHE_ENTRIES;
    this.registered = new BoundedCache(entries);
    this.byId = new BoundedCache(entries);
    this.underSubject = new BoundedCache(entries);
    this.versions = new BoundedCache(entries);
  }

  /** Entries held by each cache (tests check they stay bounded). */
  get cacheSizes(): { registered: number; byId: number; underSubject: number } {
    return { registered: this.registered.size, byId: this.byId.size, underSubject: this.underSubject.size };
  }

  /** HTTP requests sent so far (the benchmarks count that a warm container sends none). */
  get requestCount(): number {
    return this.requests;
  }

  register(subject: string, format: SchemaFormat, schema: string): Promise<number> {
    return this.registered.memo(`${subject}\u0000${format}\u0000${schema}`, async () => {
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
    return this.byId.memo(String(id), async () => {
      const answer = await this.send('GET', `/schemas/ids/${id}`);
      if (answer.status === 404) throw new SchemaNotFoundError(`schema id ${id} is not registered`);
      return registeredOf(answer, id, `schema ${id}`, () => this.unavailable(answer, `schema ${id}`));
    });
  }

  async schemaUnderSubject(subject: string, id: number): Promise<RegisteredSchema> {
    const { version: _version, ...registered } = await this.lookUpUnderSubject(subject, id);
    return registered;
  }

  async versionUnderSubject(subject: string, id: number): Promise<number> {
    const { version } = await this.lookUpUnderSubject(subject, id);
    if (version === undefined) throw new SchemaRegistryUnavailableError({ cause: new Error(`look up ${id} under ${subject}: the answer has no version`) });
    return version;
  }

  async subjectVersion(subject: string, version: number | 'latest'): Promise<SubjectVersion> {
    if (version !== 'latest') return { ...(await this.schemaVersion(subject, version)), version };
    // The latest version may change, so it is asked for each time (a v3 request asks once).
    const answer = await this.send('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`);
    const what = `the latest version of subject "${subject}"`;
    if (answer.status === 404) throw new SchemaNotFoundError(`subject "${subject}" has no schema`);
    const { body } = answer;
    if (!isPlainObject(body) || typeof body.id !== 'number' || typeof body.version !== 'number') throw this.unavailable(answer, what);
    return { ...registeredOf(answer, body.id, what, () => this.unavailable(answer, what)), version: body.version };
  }

  private lookUpUnderSubject(subject: string, id: number): Promise<RegisteredSchema & { version: number | undefined }> {
    return this.underSubject.memo(`${subject}\u0000${id}`, async () => {
      const registered = await this.schemaById(id);
      // Looking the schema up under the subject works with every Confluent-compatible registry
      // (unlike GET /schemas/ids/{id}/versions): it answers the id and version the subject holds it under.
      // A schema with references is looked up with them, as the registry parses it with them.
      const answer = await this.send(
        'POST',
        `/subjects/${encodeURIComponent(subject)}`,
        schemaBody(registered.format, registered.schema, registered.references),
      );
      const { body } = answer;
      // The version is only the v3 answer's to report: an answer without one still places the id under the subject.
      if (answer.status === 200 && isPlainObject(body) && body.id === id)
        return { ...registered, version: typeof body.version === 'number' ? body.version : undefined };
      if (answer.status === 200 || answer.status === 404) throw new SchemaNotFoundError(`schema id ${id} is not registered under subject "${subject}"`);
      throw this.unavailable(answer, `look up ${id} under ${subject}`);
    });
  }

  schemaVersion(subject: string, version: number): Promise<RegisteredSchema> {
    return this.versions.memo(`${subject}\u0000${version}`, async () => {
      const answer = await this.send('GET', `/subjects/${encodeURIComponent(subject)}/versions/${version}`);
      const what = `version ${version} of subject "${subject}"`;
      if (answer.status === 404) throw new SchemaNotFoundError(`${what} is not registered`);
      const id = isPlainObject(answer.body) && typeof answer.body.id === 'number' ? answer.body.id : Number.NaN;
      if (Number.isNaN(id)) throw this.unavailable(answer, what);
      return registeredOf(answer, id, what, () => this.unavailable(answer, what));
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

function schemaBody(format: SchemaFormat, schema: string, references?: readonly SchemaReference[]): Record<string, unknown> {
  // Confluent's API leaves schemaType out for Avro, its default, and references out when there are none.
  return {
    ...(format === SchemaFormat.Avro ? {} : { schemaType: format }),
    schema,
    ...(references === undefined ? {} : { references }),
  };
}

/** The references of an answer, each `{name, subject, version}`; undefined for none, or for a list not of that shape. */
function referencesOf(body: Record<string, unknown>): SchemaReference[] | undefined | 'malformed' {
  const { references } = body;
  if (references === undefined || (Array.isArray(references) && references.length === 0)) return undefined;
  if (!Array.isArray(references)) return 'malformed';
  const read = references.map((reference: unknown) =>
    isPlainObject(reference) && typeof reference.name === 'string' && typeof reference.subject === 'string' && typeof reference.version === 'number'
      ? { name: reference.name, subject: reference.subject, version: reference.version }
      : undefined,
  );
  return read.every((reference) => reference !== undefined) ? (read as SchemaReference[]) : 'malformed';
}

/**
 * The schema an answer holds (`schema`, `schemaType`, `references`).
 *
 * @throws {SchemaNotFoundError} for a schema type this project does not read.
 * @throws the `unavailable()` error for an answer without a schema or with malformed references.
 */
function registeredOf(answer: RegistryAnswer, id: number, what: string, unavailable: () => Error): RegisteredSchema {
  const { status, body } = answer;
  if (status !== 200 || !isPlainObject(body) || typeof body.schema !== 'string') throw unavailable();
  const format = schemaFormatOf(body.schemaType);
  if (format === undefined) throw new SchemaNotFoundError(`${what} is of type ${String(body.schemaType)}, which is not read here`);
  const references = referencesOf(body);
  if (references === 'malformed') throw unavailable();
  return { id, format, schema: body.schema, ...(references === undefined ? {} : { references }) };
}
