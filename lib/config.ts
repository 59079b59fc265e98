/**
 * The one place that reads `process.env`. Configuration is parsed and validated once;
 * a missing or malformed variable throws a {@link ConfigError} naming it, so a bad
 * deployment fails at cold start rather than on the first request.
 */
import { ConfigError } from './errors';
import { isTopicName } from './kafka/topic-name';

/** How the Kafka client authenticates. */
export const KafkaAuthMode = {
  None: 'none',
  ScramSha512: 'scram-sha-512',
  AwsIam: 'aws-iam',
} as const;
export type KafkaAuthMode = (typeof KafkaAuthMode)[keyof typeof KafkaAuthMode];

/** Kafka connection settings. */
export interface KafkaConfig {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  auth: KafkaAuthMode;
  /** TLS to the brokers; always on for `aws-iam`. */
  ssl: boolean;
  /** Secrets Manager secret holding `{"username","password"}` for SCRAM. */
  saslSecretArn?: string;
  /** SCRAM credentials given directly (local or self-managed setups only). */
  username?: string;
  password?: string;
  clientId: string;
  /** AWS region that signs MSK IAM authentication tokens and reads the SCRAM secret (`AWS_REGION`). */
  region?: string;
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
  observability: ObservabilityConfig;
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
 * Default `MAX_REQUEST_BYTES`: 4 MiB, so that every body the function receives and finds too
 * large is answered with its own 413. Lambda refuses a synchronous invocation whose event is
 * over 6 MB (6,291,456 bytes, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html),
 * and API Gateway may deliver the body base64-encoded (4/3 of its size): 4 MiB becomes
 * 5,592,408 bytes, leaving about 680 KiB for the headers and request context of the event.
 */
const DEFAULT_MAX_REQUEST_BYTES = 4 * MiB;

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
    ssl: auth === KafkaAuthMode.AwsIam ? true : bool(env, 'KAFKA_SSL', false),
    clientId: text(env, 'AWS_LAMBDA_FUNCTION_NAME') ?? 'serverless-kafka-local',
    region: text(env, 'AWS_REGION') ?? 'us-east-1',
  };
  if (auth === KafkaAuthMode.ScramSha512) {
    const secretArn = text(env, 'KAFKA_SASL_SECRET_ARN');
    const username = text(env, 'KAFKA_USERNAME');
    const password = text(env, 'KAFKA_PASSWORD');
    if (secretArn !== undefined) kafka.saslSecretArn = secretArn;
    else if (username !== undefined && password !== undefined) Object.assign(kafka, { username, password });
    else throw new ConfigError('KAFKA_SASL_SECRET_ARN', 'or KAFKA_USERNAME and KAFKA_PASSWORD are required for scram-sha-512');
    // SCRAM keeps the password off the wire but not the records, and does not bind the session
    // to the authentication; MSK offers SCRAM only over TLS. Local brokers (tests, npm start)
    // have no TLS listener, so the rule applies in Lambda only.
    if (inLambda && !kafka.ssl)
      throw new ConfigError('KAFKA_SSL', 'must be true with KAFKA_AUTH=scram-sha-512 in Lambda: SCRAM without TLS sends records in the clear');
  }
  const dynamoEndpoint = text(env, 'DYNAMODB_ENDPOINT');
  if (dynamoEndpoint !== undefined && !/^https?:\/\/\S+$/.test(dynamoEndpoint)) {
    throw new ConfigError('DYNAMODB_ENDPOINT', `"${dynamoEndpoint}" is not an http(s) URL`);
  }
  const produceTimeoutMs = integer(env, 'PRODUCE_TIMEOUT_MS', 10_000, 100, 900_000);
  // Lambda's maximum timeout is 900 s.
  const consumeFunctionTimeoutSec = integer(env, 'CONSUME_FUNCTION_TIMEOUT_SEC', 60, 1, 900);
  const produceLeaseMs = integer(env, 'IDEMPOTENCY_LEASE_MS', Math.max(30_000, produceTimeoutMs * 2), 1);
  const consumeLease = consumeLeaseMs(env, consumeFunctionTimeoutSec);
  const messagesTtlDays = integer(env, 'MESSAGES_TTL_DAYS', 0, 0, 36_500);
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
    observability: parseObservability(env),
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
}

/**
 * Which services `KAFKA_BROKERS` and `DYNAMODB_ENDPOINT` point at, if set. The local
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
  return result;
}
