/**
 * Resolves what the Kafka client needs to authenticate, once per container, before the
 * first connection: SCRAM credentials (from Secrets Manager when a secret ARN is
 * configured) or an AWS IAM token provider for Amazon MSK (SASL OAUTHBEARER).
 *
 * Credentials and tokens are handed to kafkajs only: they never reach a log line or an
 * error message.
 */
import type { SASLOptions } from 'kafkajs';
import { systemClock, type Clock } from '../clock';
import { ConfigError, KafkaUnavailableError } from '../errors';
import { KafkaAuthMode, type KafkaConfig } from '../config';
import type { Logger } from '../logger';
import type { KafkaClientDeps, ScramCredentials } from './client';

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

/** Resolves {@link KafkaClientDeps} for a configuration. */
export type KafkaClientDepsResolver = (config: KafkaConfig, logger: Logger) => Promise<KafkaClientDeps>;

function requireRegion(config: KafkaConfig): string {
  if (config.region === undefined) throw new ConfigError('AWS_REGION', 'is required for Kafka authentication through AWS');
  return config.region;
}

/**
 * Creates a resolver with its own caches: each SCRAM secret is read once (a failed read is
 * tried again next time), and an IAM token is reused until shortly before it expires.
 */
export function createKafkaClientDepsResolver(providers: KafkaAuthProviders = awsKafkaAuthProviders, clock: Clock = systemClock): KafkaClientDepsResolver {
  const secrets = new Map<string, Promise<ScramCredentials>>();

  const scramCredentials = (secretArn: string, region: string): Promise<ScramCredentials> => {
    let cached = secrets.get(secretArn);
    if (cached === undefined) {
      cached = providers.readSecret(secretArn, region).then(parseScramSecret, (error: unknown) => {
        throw new KafkaUnavailableError('could not read the Kafka SCRAM secret from Secrets Manager', { cause: error });
      });
      secrets.set(secretArn, cached);
      cached.catch(() => secrets.delete(secretArn));
    }
    return cached;
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

  return async (config, logger) => {
    switch (config.auth) {
      case KafkaAuthMode.None:
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
