/**
 * The one place that reads `process.env`. Configuration is parsed and validated once;
 * a missing or malformed variable throws a {@link ConfigError} naming it, so a bad
 * deployment fails at cold start rather than on the first request.
 */
import { generateCallerKeyRing, parseCallerKeyRing, type CallerKeyRing } from './caller-mac/key-ring';
import { ConfigError } from './errors';
import { isTopicName } from './topic-name';

/** How the Kafka client authenticates. */
export const KafkaAuthMode = {
  None: 'none',
  ScramSha512: 'scram-sha-512',
  AwsIam: 'aws-iam',
  /** Mutual TLS: a client certificate the brokers' truststore accepts (MSK's and Lambda's `CLIENT_CERTIFICATE_TLS_AUTH`). */
  Mtls: 'mtls',
} as const;
export type KafkaAuthMode = (typeof KafkaAuthMode)[keyof typeof KafkaAuthMode];

/** Kafka connection settings. */
export interface KafkaConfig {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  auth: KafkaAuthMode;
  /** TLS to the brokers; always on for `aws-iam` and `mtls`. */
  ssl: boolean;
  /**
   * A private CA the brokers' certificates chain to (self-managed clusters): a Secrets Manager
   * secret `{"certificate": "<PEM>"}` (`KAFKA_CA_SECRET_ARN`, as Lambda's
   * `SERVER_ROOT_CA_CERTIFICATE`) or a PEM file (`KAFKA_CA_FILE`). Neither: the public CAs Node.js trusts.
   */
  caSecretArn?: string;
  caFile?: string;
  /**
   * `mtls`: the client certificate and key, a Secrets Manager secret
   * `{"certificate", "privateKey", "privateKeyPassword"?}` (`KAFKA_CLIENT_CERT_SECRET_ARN`, the
   * shape of Lambda's `CLIENT_CERTIFICATE_TLS_AUTH`), or locally PEM files
   * (`KAFKA_CLIENT_CERT_FILE`, `KAFKA_CLIENT_KEY_FILE`).
   */
  clientCertSecretArn?: string;
  clientCertFile?: string;
  clientKeyFile?: string;
  /** Secrets Manager secret holding `{"username","password"}` for SCRAM. */
  saslSecretArn?: string;
  /** SCRAM credentials given directly (local or self-managed setups only). */
  username?: string;
  password?: string;
  clientId: string;
  /** AWS region that signs MSK IAM authentication tokens and reads the SCRAM secret (`AWS_REGION`). */
  region?: string;
}

/** An entry of `PRODUCE_ALLOWED_PRINCIPALS`. */
export type AllowedPrincipal =
  /** Every principal of an account (a 12-digit account id, or its `:root` ARN). */
  | { kind: 'account'; accountId: string }
  /** One IAM user, by its ARN (path included). */
  | { kind: 'user'; arn: string }
  /** Every session of one IAM role (its ARN's path is not part of a session's ARN, so only the name counts). */
  | { kind: 'role'; partition: string; accountId: string; roleName: string };

/** Who may produce, beyond what API Gateway's authorizer checked. */
export interface CallerAllowList {
  principals: readonly AllowedPrincipal[];
  /** An AWS Organizations id (`o-…`): every principal of an account in that organisation. */
  orgId?: string;
}

/** Where the schema registry's basic auth credentials come from. */
export type SchemaRegistryCredentials =
  /** A Secrets Manager secret holding `{"username","password"}` (the format Lambda's BASIC_AUTH access config reads). */
  | { secretArn: string; region: string }
  /** Given directly (local or self-managed setups only). */
  | { username: string; password: string };

/** The Confluent-compatible schema registry the schema'd formats use. */
export interface SchemaRegistryConfig {
  /** Base URL of the Confluent-compatible API (`SCHEMA_REGISTRY_URL`), without a trailing slash. */
  url: string;
  /** Basic auth credentials; none when the registry is open. */
  credentials?: SchemaRegistryCredentials;
  /** How long one registry request may take (`SCHEMA_REGISTRY_TIMEOUT_MS`). */
  timeoutMs: number;
}

/** Whole-application configuration. */
export interface AppConfig {
  kafka: KafkaConfig;
  aws: {
    region: string;
    /** DynamoDB endpoint override (dynalite locally); undefined means AWS. */
    dynamoEndpoint?: string;
    /** How long one DynamoDB request may take before it is given up and retried (`DYNAMODB_REQUEST_TIMEOUT_MS`). */
    dynamoRequestTimeoutMs: number;
  };
  tables: {
    idempotency: string;
    messages: string;
  };
  produce: {
    /** Topics the produce API may write to; `'*'` allows any (local only). */
    allowedTopics: ReadonlySet<string> | '*';
    maxRecordsPerRequest: number;
    maxRequestBytes: number;
    /** Budget for the broker's acknowledgement of one request. */
    timeoutMs: number;
    /** `PRODUCE_RATE_LIMIT_PER_SEC`: requests per caller per second; 0 turns the limit off. */
    rateLimitPerSec: number;
    /** How requests become callers (see `lib/produce/caller.ts`). */
    callers: {
      /** Requests without an identity are served as the one anonymous caller: locally only. */
      allowAnonymous: boolean;
      /** `CALLER_SESSION_NAME_TRUSTED`: role session names are fixed by trust policies and tell callers apart. */
      trustSessionNames: boolean;
      /**
       * `PRODUCE_ALLOWED_PRINCIPALS` and `PRODUCE_ALLOWED_ORG_ID`: the IAM principals that may
       * produce; undefined when neither is set (every caller the authorizer let through may).
       */
      allowList?: CallerAllowList;
    };
  };
  idempotency: {
    ttlSeconds: number;
    /** How long an IN_PROGRESS claim blocks others before it may be taken over. */
    leaseMs: number;
  };
  consume: {
    /** The consume function's timeout (`CONSUME_FUNCTION_TIMEOUT_SEC`, as set in serverless.yml). */
    functionTimeoutSec: number;
    /**
     * How long a consumed record's claim holds it before another invocation may take it over
     * (`CONSUME_LEASE_MS`); renewed while the effect runs. Default: half the function timeout.
     */
    leaseMs: number;
    /**
     * How long the default processor's items stay in `MESSAGES_TABLE` before DynamoDB's TTL may
     * delete them (`MESSAGES_TTL_DAYS`, in days; 0 or unset: kept until deleted otherwise).
     */
    messagesTtlSeconds?: number;
  };
  /**
   * The caller header's MAC keys (`lib/caller-mac/`): in Lambda a Secrets Manager secret
   * (`CALLER_KEY_SECRET_ARN`); locally `CALLER_KEY`, else a key generated once per process.
   */
  callerKeys: { secretArn: string; region: string } | { ring: CallerKeyRing };
  observability: ObservabilityConfig;
  /** The schema registry (`SCHEMA_REGISTRY_URL`); undefined when none is configured. */
  schemaRegistry?: SchemaRegistryConfig;
  /**
   * `GLUE_SCHEMA_REGISTRY_ARN`: the AWS Glue Schema Registry whose schema versions consumed
   * records may be framed with (the region to ask is the ARN's); undefined when none.
   */
  glueSchemaRegistry?: { arn: string; region: string };
  /** HTTP port of the local runtime. */
  port: number;
  /** True when running inside AWS Lambda. */
  inLambda: boolean;
}

/** Log and metric settings of the Lambda functions, under the names Powertools for AWS Lambda documents. */
export interface ObservabilityConfig {
  /** `POWERTOOLS_SERVICE_NAME`: the `service` key of every log line and the `service` dimension of every metric. */
  serviceName: string;
  /** `POWERTOOLS_METRICS_NAMESPACE`: the CloudWatch namespace the metrics are published under. */
  metricsNamespace: string;
  /** `POWERTOOLS_LOG_LEVEL`: lines below it are dropped (unless sampled, see `debugSampleRate`). */
  logLevel: LogLevelName;
  /** `POWERTOOLS_LOGGER_SAMPLE_RATE`: the share of invocations (0 to 1) that log at DEBUG whatever the level. */
  debugSampleRate: number;
}

/** Log levels Powertools Logger knows, lowest first. */
export const LOG_LEVEL_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

type Env = Readonly<Record<string, string | undefined>>;

const MiB = 1024 * 1024;

/**
 * Default `MAX_REQUEST_BYTES`: 1 MiB, the Kafka producer's default `max.request.size` and about
 * the broker's default `message.max.bytes` (1,048,588 bytes,
 * https://kafka.apache.org/documentation/#brokerconfigs_message.max.bytes): a body larger than
 * that cannot carry a record the broker would accept anyway, and a smaller cap bounds what one
 * request may cost the function's memory and the cluster. It may be raised up to 4 MiB, which
 * still leaves every too-large body to the function's own 413: Lambda refuses a synchronous
 * invocation whose event is over 6 MB (6,291,456 bytes,
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), and API Gateway may
 * deliver the body base64-encoded (4/3 of its size): 4 MiB becomes 5,592,408 bytes.
 */
const DEFAULT_MAX_REQUEST_BYTES = MiB;

/**
 * Default `PRODUCE_RATE_LIMIT_PER_SEC` in Lambda: a fifth of the stage's default throttling
 * (serverless.yml, 100 requests per second), so that no one caller can take it all.
 */
const DEFAULT_RATE_LIMIT_PER_SEC = 20;

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function list(env: Env, name: string): string[] | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new ConfigError(name, 'must list at least one value');
  return items;
}

function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(name, `must be a whole number, got "${value}"`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${parsed}`);
  return parsed;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = text(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${value}"`);
}

function ratio(env: Env, name: string, fallback: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || parsed > 1) throw new ConfigError(name, `must be a number from 0 to 1, got "${value}"`);
  return parsed;
}

function parseObservability(env: Env): ObservabilityConfig {
  const level = (text(env, 'POWERTOOLS_LOG_LEVEL') ?? 'INFO').toUpperCase();
  const levels: readonly string[] = LOG_LEVEL_NAMES;
  if (!levels.includes(level)) throw new ConfigError('POWERTOOLS_LOG_LEVEL', `must be one of ${LOG_LEVEL_NAMES.join(', ')}, got "${level}"`);
  return {
    serviceName: text(env, 'POWERTOOLS_SERVICE_NAME') ?? 'kafka-pipeline',
    metricsNamespace: text(env, 'POWERTOOLS_METRICS_NAMESPACE') ?? 'KafkaPipeline',
    logLevel: level as LogLevelName,
    debugSampleRate: ratio(env, 'POWERTOOLS_LOGGER_SAMPLE_RATE', 0),
  };
}

function parseBrokers(env: Env, inLambda: boolean): string[] {
  const brokers = list(env, 'KAFKA_BROKERS');
  if (brokers === undefined) {
    if (inLambda) throw new ConfigError('KAFKA_BROKERS', 'is required');
    return ['127.0.0.1:19092'];
  }
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) throw new ConfigError('KAFKA_BROKERS', `"${broker}" is not host:port`);
  }
  return brokers;
}

function parseAuth(env: Env): KafkaAuthMode {
  const value = text(env, 'KAFKA_AUTH') ?? KafkaAuthMode.None;
  const modes: readonly string[] = Object.values(KafkaAuthMode);
  if (!modes.includes(value)) throw new ConfigError('KAFKA_AUTH', `must be one of ${modes.join(', ')}, got "${value}"`);
  return value as KafkaAuthMode;
}

function parseAllowedTopics(env: Env, inLambda: boolean): ReadonlySet<string> | '*' {
  const topics = list(env, 'ALLOWED_TOPICS');
  if (topics === undefined) {
    if (inLambda) throw new ConfigError('ALLOWED_TOPICS', 'is required');
    return '*';
  }
  if (topics.includes('*')) {
    if (inLambda) throw new ConfigError('ALLOWED_TOPICS', '"*" is allowed only locally');
    return '*';
  }
  for (const topic of topics) {
    if (!isTopicName(topic)) throw new ConfigError('ALLOWED_TOPICS', `"${topic}" is not a valid topic name`);
  }
  return new Set(topics);
}

/**
 * In Lambda, SCRAM credentials come from Secrets Manager only: a password in the environment
 * is readable by anyone who may read the function's configuration (`lambda:GetFunctionConfiguration`)
 * and lands in every deployment artifact that records it.
 */
function refusePlaintextKafkaCredentials(env: Env): void {
  for (const name of ['KAFKA_USERNAME', 'KAFKA_PASSWORD']) {
    if (text(env, name) !== undefined)
      throw new ConfigError(name, 'is refused in Lambda: put the SCRAM credentials in a secret and name it in KAFKA_SASL_SECRET_ARN');
  }
  // A private key in a file would ship in the deployment package.
  if (text(env, 'KAFKA_CLIENT_KEY_FILE') !== undefined)
    throw new ConfigError('KAFKA_CLIENT_KEY_FILE', 'is refused in Lambda: put the certificate and key in a secret and name it in KAFKA_CLIENT_CERT_SECRET_ARN');
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$/;

/** An optional Secrets Manager secret ARN. */
function secretArn(env: Env, name: string): string | undefined {
  const value = text(env, name);
  if (value !== undefined && !SECRET_ARN.test(value)) throw new ConfigError(name, `"${value}" is not a Secrets Manager secret ARN`);
  return value;
}

/** `KAFKA_CA_SECRET_ARN` or `KAFKA_CA_FILE` (one of them), which only mean something over TLS. */
function parseKafkaCa(env: Env, kafka: KafkaConfig): void {
  const caSecretArn = secretArn(env, 'KAFKA_CA_SECRET_ARN');
  const caFile = text(env, 'KAFKA_CA_FILE');
  if (caSecretArn !== undefined && caFile !== undefined) throw new ConfigError('KAFKA_CA_FILE', 'and KAFKA_CA_SECRET_ARN name two CAs: set one');
  if ((caSecretArn !== undefined || caFile !== undefined) && !kafka.ssl)
    throw new ConfigError('KAFKA_SSL', 'must be true when a CA is given (KAFKA_CA_SECRET_ARN or KAFKA_CA_FILE)');
  if (caSecretArn !== undefined) kafka.caSecretArn = caSecretArn;
  if (caFile !== undefined) kafka.caFile = caFile;
}

/** `mtls`: the client certificate's secret, or locally its two files. */
function parseClientCertificate(env: Env, kafka: KafkaConfig): void {
  const clientCertSecretArn = secretArn(env, 'KAFKA_CLIENT_CERT_SECRET_ARN');
  const certFile = text(env, 'KAFKA_CLIENT_CERT_FILE');
  const keyFile = text(env, 'KAFKA_CLIENT_KEY_FILE');
  if (clientCertSecretArn !== undefined) kafka.clientCertSecretArn = clientCertSecretArn;
  else if (certFile !== undefined && keyFile !== undefined) Object.assign(kafka, { clientCertFile: certFile, clientKeyFile: keyFile });
  else throw new ConfigError('KAFKA_CLIENT_CERT_SECRET_ARN', 'or KAFKA_CLIENT_CERT_FILE and KAFKA_CLIENT_KEY_FILE are required for mtls');
}

/** `scram-sha-512`: the credentials' secret, or locally the two variables. */
function parseScram(env: Env, kafka: KafkaConfig, inLambda: boolean): void {
  const saslSecretArn = text(env, 'KAFKA_SASL_SECRET_ARN');
  const username = text(env, 'KAFKA_USERNAME');
  const password = text(env, 'KAFKA_PASSWORD');
  if (saslSecretArn !== undefined) kafka.saslSecretArn = saslSecretArn;
  else if (username !== undefined && password !== undefined) Object.assign(kafka, { username, password });
  else throw new ConfigError('KAFKA_SASL_SECRET_ARN', 'or KAFKA_USERNAME and KAFKA_PASSWORD are required for scram-sha-512');
  // SCRAM keeps the password off the wire but not the records, and does not bind the session
  // to the authentication; MSK offers SCRAM only over TLS. Local brokers may have no TLS
  // listener (tests, npm start), so the rule applies in Lambda only.
  if (inLambda && !kafka.ssl)
    throw new ConfigError('KAFKA_SSL', 'must be true with KAFKA_AUTH=scram-sha-512 in Lambda: SCRAM without TLS sends records in the clear');
}

/** Hosts an `http://` endpoint may name in Lambda: the loopback interface, which no packet leaves. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * `DYNAMODB_ENDPOINT`: an http(s) URL. In Lambda plain `http://` would carry every item and
 * the request signatures in the clear, so only `https://` is accepted, or `http://` to the
 * loopback interface (a Lambda extension or a stand-in beside the function), where nothing
 * crosses a network.
 */
function parseDynamoEndpoint(env: Env, inLambda: boolean): string | undefined {
  const endpoint = text(env, 'DYNAMODB_ENDPOINT');
  if (endpoint === undefined) return undefined;
  if (!/^https?:\/\/\S+$/.test(endpoint)) throw new ConfigError('DYNAMODB_ENDPOINT', `"${endpoint}" is not an http(s) URL`);
  if (inLambda && endpoint.startsWith('http://')) {
    let host: string;
    try {
      host = new URL(endpoint).hostname;
    } catch {
      throw new ConfigError('DYNAMODB_ENDPOINT', `"${endpoint}" is not an http(s) URL`);
    }
    if (!LOOPBACK_HOSTS.has(host)) throw new ConfigError('DYNAMODB_ENDPOINT', 'must be https:// in Lambda (plain http:// only to the loopback interface)');
  }
  return endpoint;
}

const ACCOUNT_ID = /^\d{12}$/;
const IAM_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):(root|user\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]+|role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+))$/;

function allowedPrincipal(entry: string): AllowedPrincipal {
  if (ACCOUNT_ID.test(entry)) return { kind: 'account', accountId: entry };
  const match = IAM_ARN.exec(entry);
  if (match === null) {
    throw new ConfigError(
      'PRODUCE_ALLOWED_PRINCIPALS',
      `"${entry}" is not an account id or an IAM user, role or root ARN (arn:aws:iam::<account>:user/<name>, :role/<name>, :root)`,
    );
  }
  const [, partition = '', accountId = '', resource = '', roleName] = match;
  if (resource === 'root') return { kind: 'account', accountId };
  if (roleName !== undefined) return { kind: 'role', partition, accountId, roleName };
  return { kind: 'user', arn: entry };
}

/** `PRODUCE_ALLOWED_PRINCIPALS` and `PRODUCE_ALLOWED_ORG_ID`; undefined when neither is set. */
function parseAllowList(env: Env): CallerAllowList | undefined {
  const principals = list(env, 'PRODUCE_ALLOWED_PRINCIPALS')?.map(allowedPrincipal);
  const orgId = text(env, 'PRODUCE_ALLOWED_ORG_ID');
  if (orgId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(orgId)) {
    throw new ConfigError('PRODUCE_ALLOWED_ORG_ID', `"${orgId}" is not an AWS Organizations id (o- and 10 to 32 lowercase letters or digits)`);
  }
  if (principals === undefined && orgId === undefined) return undefined;
  return { principals: principals ?? [], ...(orgId === undefined ? {} : { orgId }) };
}

let processKeyRing: CallerKeyRing | undefined;

/**
 * `CALLER_KEY_SECRET_ARN` (required in Lambda) or, locally, `CALLER_KEY` (the key ring document
 * itself). Without either, locally, one key generated for the process: the produce and consume
 * functions of one `npm start` share it, and records it stamped verify in that process only. In
 * Lambda a key in the environment is refused: anyone who may read the function's configuration
 * could then stamp any caller.
 */
function parseCallerKeys(env: Env, inLambda: boolean, region: string): AppConfig['callerKeys'] {
  const secretArn = text(env, 'CALLER_KEY_SECRET_ARN');
  const given = text(env, 'CALLER_KEY');
  if (inLambda && given !== undefined)
    throw new ConfigError('CALLER_KEY', 'is refused in Lambda: put the key ring in a secret and name it in CALLER_KEY_SECRET_ARN');
  if (secretArn !== undefined) {
    if (!SECRET_ARN.test(secretArn)) {
      throw new ConfigError('CALLER_KEY_SECRET_ARN', `"${secretArn}" is not a Secrets Manager secret ARN`);
    }
    return { secretArn, region };
  }
  if (inLambda) throw new ConfigError('CALLER_KEY_SECRET_ARN', 'is required: the secret holding the caller header keys');
  if (given !== undefined) return { ring: parseCallerKeyRing(given, 'CALLER_KEY') };
  processKeyRing ??= generateCallerKeyRing();
  return { ring: processKeyRing };
}

/**
 * `SCHEMA_REGISTRY_URL` and its credentials: `SCHEMA_REGISTRY_SECRET_ARN` (required form in
 * Lambda) or, locally, `SCHEMA_REGISTRY_USERNAME` and `SCHEMA_REGISTRY_PASSWORD`. In Lambda the
 * URL must be https:// (plain http:// only to the loopback interface), as credentials and
 * records' schemas cross it.
 */
function parseSchemaRegistry(env: Env, inLambda: boolean, region: string): SchemaRegistryConfig | undefined {
  const url = text(env, 'SCHEMA_REGISTRY_URL');
  const secretArn = text(env, 'SCHEMA_REGISTRY_SECRET_ARN');
  const username = text(env, 'SCHEMA_REGISTRY_USERNAME');
  const password = text(env, 'SCHEMA_REGISTRY_PASSWORD');
  if (inLambda) {
    for (const [name, value] of [
      ['SCHEMA_REGISTRY_USERNAME', username],
      ['SCHEMA_REGISTRY_PASSWORD', password],
    ] as const) {
      if (value !== undefined) throw new ConfigError(name, 'is refused in Lambda: put the credentials in a secret and name it in SCHEMA_REGISTRY_SECRET_ARN');
    }
  }
  if (url === undefined) {
    if (secretArn !== undefined) throw new ConfigError('SCHEMA_REGISTRY_URL', 'is required when SCHEMA_REGISTRY_SECRET_ARN is set');
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('SCHEMA_REGISTRY_URL', `"${url}" is not an http(s) URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ConfigError('SCHEMA_REGISTRY_URL', `"${url}" is not an http(s) URL`);
  if (inLambda && parsed.protocol === 'http:' && !LOOPBACK_HOSTS.has(parsed.hostname)) {
    throw new ConfigError('SCHEMA_REGISTRY_URL', 'must be https:// in Lambda (plain http:// only to the loopback interface)');
  }
  const config: SchemaRegistryConfig = { url: url.replace(/\/+$/, ''), timeoutMs: integer(env, 'SCHEMA_REGISTRY_TIMEOUT_MS', 3_000, 100, 60_000) };
  if (secretArn !== undefined) {
    if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$/.test(secretArn)) {
      throw new ConfigError('SCHEMA_REGISTRY_SECRET_ARN', `"${secretArn}" is not a Secrets Manager secret ARN`);
    }
    config.credentials = { secretArn, region };
  } else if (username !== undefined || password !== undefined) {
    if (username === undefined || password === undefined) throw new ConfigError('SCHEMA_REGISTRY_USERNAME', 'and SCHEMA_REGISTRY_PASSWORD go together');
    config.credentials = { username, password };
  }
  return config;
}

/** `GLUE_SCHEMA_REGISTRY_ARN`: `arn:<partition>:glue:<region>:<account>:registry/<name>`. */
function parseGlueRegistry(env: Env): AppConfig['glueSchemaRegistry'] {
  const arn = text(env, 'GLUE_SCHEMA_REGISTRY_ARN');
  if (arn === undefined) return undefined;
  const match = /^arn:aws[a-z-]*:glue:([a-z0-9-]+):\d{12}:registry\/[\w.-]+$/.exec(arn);
  if (match === null)
    throw new ConfigError('GLUE_SCHEMA_REGISTRY_ARN', `"${arn}" is not an AWS Glue registry ARN (arn:aws:glue:<region>:<account>:registry/<name>)`);
  return { arn, region: match[1] as string };
}

/**
 * How much of a consume invocation's remaining time is kept back from waiting, to write
 * completions, release claims and answer: a quarter of it, at most 5 s. Also bounds the lease.
 */
export function consumeAnswerReserveMs(remainingMs: number): number {
  return Math.min(5_000, remainingMs / 4);
}

/**
 * `CONSUME_LEASE_MS`: by default half the consume function's timeout. At most the timeout less
 * the answer reserve, so that a redelivery can outwait a crashed invocation's claims within its
 * own invocation; the running invocation renews its claims, so the lease need not cover a whole batch.
 */
function consumeLeaseMs(env: Env, functionTimeoutSec: number): number {
  const timeoutMs = functionTimeoutSec * 1000;
  const leaseMs = integer(env, 'CONSUME_LEASE_MS', Math.floor(timeoutMs / 2), 100);
  const maxLeaseMs = timeoutMs - consumeAnswerReserveMs(timeoutMs);
  if (leaseMs > maxLeaseMs) {
    throw new ConfigError(
      'CONSUME_LEASE_MS',
      `must be at most the consume function's timeout less ${consumeAnswerReserveMs(timeoutMs)} ms kept to answer (CONSUME_FUNCTION_TIMEOUT_SEC = ${functionTimeoutSec} s, so at most ${maxLeaseMs}), got ${leaseMs}`,
    );
  }
  return leaseMs;
}

/**
 * `IDEMPOTENCY_LEASE_MS`: by default twice `PRODUCE_TIMEOUT_MS`, at least 30 s. Longer than the
 * timeout, which bounds a request's schema registry calls and its send together: a key claimed
 * for a request is never taken over by a retry while that request's records may still go out.
 */
function produceIdempotencyLeaseMs(env: Env, produceTimeoutMs: number): number {
  const leaseMs = integer(env, 'IDEMPOTENCY_LEASE_MS', Math.max(30_000, produceTimeoutMs * 2), 1);
  if (leaseMs <= produceTimeoutMs) {
    throw new ConfigError(
      'IDEMPOTENCY_LEASE_MS',
      `must be longer than PRODUCE_TIMEOUT_MS (${produceTimeoutMs} ms), within which a request's registry calls and send end, got ${leaseMs}`,
    );
  }
  return leaseMs;
}

/** How many times the DynamoDB client sends one request at most: the first try and its retries. */
export const DYNAMODB_MAX_ATTEMPTS = 3;

/**
 * `IDEMPOTENCY_TTL_SECONDS`: longer than the longest lease, `leaseMs`. An item counts as gone
 * once its TTL has passed (DynamoDB deletes it some time later), so a TTL shorter than the
 * lease would let a live claim be taken over as expired. The TTL is kept in whole seconds
 * from the claim's second, which may lose up to a second.
 */
function idempotencyTtlSeconds(env: Env, leaseMs: number): number {
  const ttlSeconds = integer(env, 'IDEMPOTENCY_TTL_SECONDS', 86_400, 1);
  const minSeconds = Math.ceil(leaseMs / 1000) + 1;
  if (ttlSeconds < minSeconds) {
    throw new ConfigError(
      'IDEMPOTENCY_TTL_SECONDS',
      `must outlast the longest claim lease (${leaseMs} ms, of IDEMPOTENCY_LEASE_MS and CONSUME_LEASE_MS), or a live claim would count as expired: at least ${minSeconds}, got ${ttlSeconds}`,
    );
  }
  return ttlSeconds;
}

/**
 * `DYNAMODB_REQUEST_TIMEOUT_MS`: how long one DynamoDB request may take before the client
 * gives it up (and retries it). Every try of one call must end within the shortest lease,
 * `leaseMs`: a renewal that hangs would otherwise hold the invocation until its Lambda
 * timeout while its claims run out. By default 3 s, or less when a lease is short.
 */
function dynamoRequestTimeoutMs(env: Env, leaseMs: number): number {
  const maxMs = Math.floor(leaseMs / (DYNAMODB_MAX_ATTEMPTS + 1));
  const timeoutMs = integer(env, 'DYNAMODB_REQUEST_TIMEOUT_MS', Math.min(3_000, maxMs), 1);
  if (timeoutMs > maxMs) {
    throw new ConfigError(
      'DYNAMODB_REQUEST_TIMEOUT_MS',
      `must let all ${DYNAMODB_MAX_ATTEMPTS} tries of a request end within the shortest claim lease (${leaseMs} ms): at most ${maxMs}, got ${timeoutMs}`,
    );
  }
  return timeoutMs;
}

/**
 * Parses configuration from the environment.
 *
 * @param overrides - values that take precedence over `process.env` (the local runtime and
 *   tests pass the endpoints they started here instead of mutating the environment).
 * @throws {ConfigError} naming the first missing or malformed variable.
 */
export function loadConfig(overrides: Env = {}): AppConfig {
  const env: Env = { ...process.env, ...overrides };
  const inLambda = text(env, 'AWS_LAMBDA_FUNCTION_NAME') !== undefined;
  const auth = parseAuth(env);
  const kafka: KafkaConfig = {
    brokers: parseBrokers(env, inLambda),
    auth,
    // IAM and client certificates are TLS features: there is no plaintext variant to choose.
    ssl: auth === KafkaAuthMode.AwsIam || auth === KafkaAuthMode.Mtls ? true : bool(env, 'KAFKA_SSL', false),
    clientId: text(env, 'AWS_LAMBDA_FUNCTION_NAME') ?? 'serverless-kafka-local',
    region: text(env, 'AWS_REGION') ?? 'us-east-1',
  };
  if (inLambda) refusePlaintextKafkaCredentials(env);
  if (auth === KafkaAuthMode.ScramSha512) parseScram(env, kafka, inLambda);
  if (auth === KafkaAuthMode.Mtls) parseClientCertificate(env, kafka);
  parseKafkaCa(env, kafka);
  const dynamoEndpoint = parseDynamoEndpoint(env, inLambda);
  const allowList = parseAllowList(env);
  const produceTimeoutMs = integer(env, 'PRODUCE_TIMEOUT_MS', 10_000, 100, 900_000);
  // Lambda's maximum timeout is 900 s.
  const consumeFunctionTimeoutSec = integer(env, 'CONSUME_FUNCTION_TIMEOUT_SEC', 60, 1, 900);
  const produceLeaseMs = produceIdempotencyLeaseMs(env, produceTimeoutMs);
  const consumeLease = consumeLeaseMs(env, consumeFunctionTimeoutSec);
  const messagesTtlDays = integer(env, 'MESSAGES_TTL_DAYS', 0, 0, 36_500);
  const schemaRegistry = parseSchemaRegistry(env, inLambda, text(env, 'AWS_REGION') ?? 'us-east-1');
  const glueSchemaRegistry = parseGlueRegistry(env);
  return {
    kafka,
    aws: {
      region: text(env, 'AWS_REGION') ?? 'us-east-1',
      ...(dynamoEndpoint === undefined ? {} : { dynamoEndpoint }),
      dynamoRequestTimeoutMs: dynamoRequestTimeoutMs(env, Math.min(produceLeaseMs, consumeLease)),
    },
    tables: {
      idempotency: text(env, 'IDEMPOTENCY_TABLE') ?? 'idempotency',
      messages: text(env, 'MESSAGES_TABLE') ?? 'messages',
    },
    produce: {
      allowedTopics: parseAllowedTopics(env, inLambda),
      maxRecordsPerRequest: integer(env, 'MAX_RECORDS_PER_REQUEST', 500, 1, 10_000),
      maxRequestBytes: integer(env, 'MAX_REQUEST_BYTES', DEFAULT_MAX_REQUEST_BYTES, 1, 100 * MiB),
      timeoutMs: produceTimeoutMs,
      // One DynamoDB item takes at most 1,000 writes per second, so neither may a caller's window.
      // Off by default locally, where every request is the one anonymous caller.
      rateLimitPerSec: integer(env, 'PRODUCE_RATE_LIMIT_PER_SEC', inLambda ? DEFAULT_RATE_LIMIT_PER_SEC : 0, 0, 1_000),
      callers: {
        allowAnonymous: !inLambda,
        trustSessionNames: bool(env, 'CALLER_SESSION_NAME_TRUSTED', false),
        ...(allowList === undefined ? {} : { allowList }),
      },
    },
    idempotency: {
      ttlSeconds: idempotencyTtlSeconds(env, Math.max(produceLeaseMs, consumeLease)),
      leaseMs: produceLeaseMs,
    },
    consume: {
      functionTimeoutSec: consumeFunctionTimeoutSec,
      leaseMs: consumeLease,
      ...(messagesTtlDays === 0 ? {} : { messagesTtlSeconds: messagesTtlDays * 86_400 }),
    },
    callerKeys: parseCallerKeys(env, inLambda, text(env, 'AWS_REGION') ?? 'us-east-1'),
    observability: parseObservability(env),
    ...(schemaRegistry === undefined ? {} : { schemaRegistry }),
    ...(glueSchemaRegistry === undefined ? {} : { glueSchemaRegistry }),
    port: integer(env, 'PORT', 3000, 0, 65_535),
    inLambda,
  };
}

let cached: AppConfig | undefined;

/** The process-wide configuration, parsed on first use and then reused. */
export function getConfig(): AppConfig {
  cached ??= loadConfig();
  return cached;
}

/** Services the environment names explicitly, which local tooling must reuse rather than start. */
export interface ExternalServices {
  kafkaBrokers?: string[];
  dynamoEndpoint?: string;
  /** `SCHEMA_REGISTRY_URL`: a registry to use instead of starting one. */
  schemaRegistryUrl?: string;
}

/**
 * Which services `KAFKA_BROKERS`, `DYNAMODB_ENDPOINT` and `SCHEMA_REGISTRY_URL` point at, if set. The local
 * runtime and the test harness start their own broker and store only when these are absent.
 *
 * @throws {ConfigError} when a variable is set but malformed.
 */
export function externalServices(): ExternalServices {
  const env: Env = process.env;
  const result: ExternalServices = {};
  if (text(env, 'KAFKA_BROKERS') !== undefined) result.kafkaBrokers = parseBrokers(env, true);
  const endpoint = text(env, 'DYNAMODB_ENDPOINT');
  if (endpoint !== undefined) result.dynamoEndpoint = loadConfig().aws.dynamoEndpoint ?? endpoint;
  if (text(env, 'SCHEMA_REGISTRY_URL') !== undefined) result.schemaRegistryUrl = loadConfig().schemaRegistry?.url;
  return result;
}
