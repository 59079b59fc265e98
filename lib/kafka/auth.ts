/**
 * Resolves what the Kafka client needs to authenticate, once per container, before the
 * first connection: SCRAM credentials (from Secrets Manager when a secret ARN is
 * configured), an AWS IAM token provider for Amazon MSK (SASL OAUTHBEARER), a client
 * certificate for mutual TLS, and a private CA to verify the brokers with.
 *
 * Credentials, keys and tokens are handed to kafkajs only: they never reach a log line or an
 * error message. After the cluster refused them, {@link KafkaClientDepsResolver.rereadAfterRefusal}
 * lets the next connection read the secret again, so a rotated secret is picked up without a redeploy.
 */
import { readFile } from 'node:fs/promises';
import type { SASLOptions } from 'kafkajs';
import { systemClock, type Clock } from '../clock';
import { ConfigError, KafkaUnavailableError } from '../errors';
import { KafkaAuthMode, type KafkaConfig } from '../config';
import type { Logger } from '../logger';
import { KafkaAccessProblem } from './access';
import type { KafkaClientDeps, KafkaTlsMaterial, ScramCredentials } from './client';

/** A signed MSK IAM authentication token. */
export interface IamToken {
  token: string;
  /** When the token stops being accepted, in epoch milliseconds. */
  expiresAtMs: number;
}

/** The calls to AWS that authentication needs; injected so tests can use fakes. */
export interface KafkaAuthProviders {
  /** Reads a Secrets Manager secret's string value. */
  readSecret(secretArn: string, region: string): Promise<string>;
  /** Signs an MSK IAM authentication token with the container's AWS credentials. */
  signIamToken(region: string): Promise<IamToken>;
}

/**
 * The real providers. Both import their AWS dependency lazily, so a function that uses
 * neither (local runs, `KAFKA_AUTH=none`) never loads the Secrets Manager client or the signer.
 */
export const awsKafkaAuthProviders: KafkaAuthProviders = {
  async readSecret(secretArn, region) {
    const { readSecretString } = await import('../aws/secrets');
    return readSecretString(secretArn, region);
  },
  async signIamToken(region) {
    const { signMskIamToken } = await import('./msk-iam-token');
    return signMskIamToken(region);
  },
};

/** Signs a new token this long before the current one expires, so a reconnect never presents a stale one. */
const IAM_TOKEN_REFRESH_MARGIN_MS = 60_000;

/**
 * Parses a SCRAM secret in the format Amazon MSK uses for `AmazonMSK_` secrets:
 * `{"username": "...", "password": "..."}`.
 *
 * @throws {ConfigError} naming `KAFKA_SASL_SECRET_ARN`, without quoting the secret.
 */
export function parseScramSecret(secretText: string): ScramCredentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretText);
  } catch {
    throw new ConfigError('KAFKA_SASL_SECRET_ARN', 'the secret is not JSON; expected {"username","password"}');
  }
  const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new ConfigError('KAFKA_SASL_SECRET_ARN', 'the secret must hold non-empty "username" and "password" strings');
  }
  return { username, password };
}

/** A client certificate secret, in the shape of Lambda's `CLIENT_CERTIFICATE_TLS_AUTH` secrets. */
export interface ClientCertificate {
  /** PEM: the client certificate first, then any intermediates. */
  certificate: string;
  /** PEM, PKCS#8; encrypted when `privateKeyPassword` is given. */
  privateKey: string;
  privateKeyPassword?: string;
}

function parseSecretJson(secretText: string, variable: string, expected: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(secretText);
    if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>;
  } catch {
    // reported below, without the text
  }
  throw new ConfigError(variable, `the secret is not a JSON object; expected ${expected}`);
}

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

/**
 * Parses a client certificate secret: `{"certificate": "<PEM>", "privateKey": "<PEM>",
 * "privateKeyPassword"?: "..."}`, as Lambda's event source mapping reads it for mutual TLS
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-cluster-auth.html).
 *
 * @throws {ConfigError} naming `KAFKA_CLIENT_CERT_SECRET_ARN`, without quoting the secret.
 */
export function parseClientCertificateSecret(secretText: string): ClientCertificate {
  const variable = 'KAFKA_CLIENT_CERT_SECRET_ARN';
  const { certificate, privateKey, privateKeyPassword } = parseSecretJson(secretText, variable, '{"certificate","privateKey"}');
  if (typeof certificate !== 'string' || !certificate.includes(PEM_CERTIFICATE))
    throw new ConfigError(variable, 'the secret\'s "certificate" must be a PEM certificate');
  if (typeof privateKey !== 'string' || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey))
    throw new ConfigError(variable, 'the secret\'s "privateKey" must be a PEM private key (PKCS#8)');
  if (privateKeyPassword !== undefined && typeof privateKeyPassword !== 'string')
    throw new ConfigError(variable, 'the secret\'s "privateKeyPassword" must be a string');
  return { certificate, privateKey, ...(privateKeyPassword === undefined ? {} : { privateKeyPassword }) };
}

/**
 * Parses a root CA secret: `{"certificate": "<PEM>"}`, as Lambda's event source mapping reads
 * `SERVER_ROOT_CA_CERTIFICATE` secrets.
 *
 * @throws {ConfigError} naming `KAFKA_CA_SECRET_ARN`.
 */
export function parseCaSecret(secretText: string): string {
  const { certificate } = parseSecretJson(secretText, 'KAFKA_CA_SECRET_ARN', '{"certificate"}');
  if (typeof certificate !== 'string' || !certificate.includes(PEM_CERTIFICATE))
    throw new ConfigError('KAFKA_CA_SECRET_ARN', 'the secret\'s "certificate" must be a PEM certificate');
  return certificate;
}

/** Resolves {@link KafkaClientDeps} for a configuration. */
export interface KafkaClientDepsResolver {
  (config: KafkaConfig, logger: Logger): Promise<KafkaClientDeps>;
  /**
   * After the cluster refused the connection for `problem`, forgets the secret that holds what
   * was refused (the SCRAM credentials, the client certificate or the CA), so that the next
   * resolve reads it again: once right away, and then at most every {@link FORCED_REREAD_INTERVAL_MS},
   * so that a wrong secret does not turn every request into a Secrets Manager call.
   *
   * @returns true when a secret was forgotten (a new connection may now succeed); false when
   *   nothing configured comes from a secret, or it was read again too recently.
   */
  rereadAfterRefusal(config: KafkaConfig, problem: string): boolean;
}

/** The least time between two reads of one secret forced by refusals. */
export const FORCED_REREAD_INTERVAL_MS = 10_000;

/** Which secret holds what the cluster refused. */
function refusedSecret(config: KafkaConfig, problem: string): string | undefined {
  switch (problem) {
    case KafkaAccessProblem.Credentials:
      return config.saslSecretArn;
    case KafkaAccessProblem.ClientCertificate:
      return config.clientCertSecretArn;
    case KafkaAccessProblem.ServerCertificate:
      return config.caSecretArn;
    default:
      return undefined;
  }
}

function requireRegion(config: KafkaConfig): string {
  if (config.region === undefined) throw new ConfigError('AWS_REGION', 'is required for Kafka authentication through AWS');
  return config.region;
}

/**
 * Creates a resolver with its own caches: each SCRAM secret is read once (a failed read is
 * tried again next time), and an IAM token is reused until shortly before it expires.
 */
export function createKafkaClientDepsResolver(providers: KafkaAuthProviders = awsKafkaAuthProviders, clock: Clock = systemClock): KafkaClientDepsResolver {
  const secrets = new Map<string, Promise<unknown>>();
  const forcedReadsAtMs = new Map<string, number>();

  const secret = <T>(secretArn: string, region: string, what: string, parse: (text: string) => T): Promise<T> => {
    let cached = secrets.get(secretArn) as Promise<T> | undefined;
    if (cached === undefined) {
      cached = providers.readSecret(secretArn, region).then(parse, (error: unknown) => {
        throw new KafkaUnavailableError(`could not read the Kafka ${what} secret from Secrets Manager`, { cause: error });
      });
      secrets.set(secretArn, cached);
      cached.catch(() => secrets.delete(secretArn));
    }
    return cached;
  };

  const scramCredentials = (secretArn: string, region: string): Promise<ScramCredentials> => secret(secretArn, region, 'SCRAM', parseScramSecret);

  /** The TLS options beyond Node.js' defaults: a private CA, a client certificate; undefined when none. */
  const tlsMaterial = async (config: KafkaConfig): Promise<KafkaTlsMaterial | undefined> => {
    const material: KafkaTlsMaterial = {};
    if (config.caSecretArn !== undefined) material.ca = [await secret(config.caSecretArn, requireRegion(config), 'CA', parseCaSecret)];
    if (config.caFile !== undefined) material.ca = [await readPem(config.caFile, 'KAFKA_CA_FILE')];
    if (config.auth === KafkaAuthMode.Mtls) {
      const client =
        config.clientCertSecretArn !== undefined
          ? await secret(config.clientCertSecretArn, requireRegion(config), 'client certificate', parseClientCertificateSecret)
          : {
              certificate: await readPem(config.clientCertFile as string, 'KAFKA_CLIENT_CERT_FILE'),
              privateKey: await readPem(config.clientKeyFile as string, 'KAFKA_CLIENT_KEY_FILE'),
            };
      Object.assign(material, { cert: client.certificate, key: client.privateKey });
      if (client.privateKeyPassword !== undefined) material.passphrase = client.privateKeyPassword;
    }
    return Object.keys(material).length === 0 ? undefined : material;
  };

  const iamSasl = (region: string): SASLOptions => {
    let current: IamToken | undefined;
    let pending: Promise<IamToken> | undefined;
    return {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        if (current === undefined || clock.nowMs() >= current.expiresAtMs - IAM_TOKEN_REFRESH_MARGIN_MS) {
          pending ??= providers.signIamToken(region).finally(() => {
            pending = undefined;
          });
          try {
            current = await pending;
          } catch (error) {
            throw new KafkaUnavailableError('could not sign an MSK IAM authentication token', { cause: error });
          }
        }
        return { value: current.token };
      },
    };
  };

  const authDeps = async (config: KafkaConfig, logger: Logger): Promise<KafkaClientDeps> => {
    switch (config.auth) {
      case KafkaAuthMode.None:
      case KafkaAuthMode.Mtls:
        return { logger };
      case KafkaAuthMode.ScramSha512: {
        if (config.saslSecretArn === undefined) return { logger };
        const credentials = await scramCredentials(config.saslSecretArn, requireRegion(config));
        logger.debug('kafka: SCRAM credentials read from Secrets Manager', { secretArn: config.saslSecretArn });
        return { logger, scramCredentials: credentials };
      }
      case KafkaAuthMode.AwsIam:
        return { logger, iamSasl: iamSasl(requireRegion(config)) };
    }
  };

  const resolve = async (config: KafkaConfig, logger: Logger): Promise<KafkaClientDeps> => {
    const [deps, tls] = await Promise.all([authDeps(config, logger), tlsMaterial(config)]);
    return tls === undefined ? deps : { ...deps, tls };
  };

  const rereadAfterRefusal = (config: KafkaConfig, problem: string): boolean => {
    const secretArn = refusedSecret(config, problem);
    if (secretArn === undefined) return false;
    const lastMs = forcedReadsAtMs.get(secretArn);
    if (lastMs !== undefined && clock.nowMs() - lastMs < FORCED_REREAD_INTERVAL_MS) return false;
    forcedReadsAtMs.set(secretArn, clock.nowMs());
    secrets.delete(secretArn);
    return true;
  };

  return Object.assign(resolve, { rereadAfterRefusal });
}

/** Reads a PEM file a local setting names. @throws {ConfigError} naming the setting. */
async function readPem(path: string, variable: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(variable, `cannot read "${path}": ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

const containerResolver = createKafkaClientDepsResolver();

/**
 * Builds the collaborators {@link createKafka} needs for `config.auth`, sharing one cache per
 * container (module scope), so a warm Lambda never reads the secret again.
 *
 * @throws {ConfigError} when the configured mode cannot be served or the secret is malformed.
 * @throws {KafkaUnavailableError} when the secret cannot be read.
 */
export function resolveKafkaClientDeps(config: KafkaConfig, logger: Logger): Promise<KafkaClientDeps> {
  return containerResolver(config, logger);
}

/**
 * The container's {@link KafkaClientDepsResolver.rereadAfterRefusal}: after the cluster refused
 * the connection, the next {@link resolveKafkaClientDeps} reads the refused secret again.
 */
export function rereadKafkaSecretAfterRefusal(config: KafkaConfig, problem: string): boolean {
  return containerResolver.rereadAfterRefusal(config, problem);
}
