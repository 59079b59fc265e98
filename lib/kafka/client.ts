/**
 * The door to kafkajs: the only module family that imports it. Builds a `Kafka`
 * instance from {@link KafkaConfig}, with authentication chosen by configuration and
 * kafkajs' own logs routed to the project's structured logger.
 */
import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig as KafkaJsConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import { ConfigError } from '../errors';
import { KafkaAuthMode, type KafkaConfig } from '../config';
import type { Logger } from '../logger';
import { KafkaLogRoute, kafkaLogRoute } from './log-entries';

/** Resolved SASL credentials for SCRAM. */
export interface ScramCredentials {
  username: string;
  password: string;
}

/** TLS options beyond Node.js' defaults, as `tls.connect` takes them (PEM text). */
export interface KafkaTlsMaterial {
  /** CAs to trust instead of Node.js' public ones (a self-managed cluster's private CA). */
  ca?: string[];
  /** Mutual TLS: the client certificate chain and its private key. */
  cert?: string;
  key?: string;
  passphrase?: string;
}

/** Collaborators that {@link createKafka} may need, injected for testability. */
export interface KafkaClientDeps {
  logger: Logger;
  /** Resolves SCRAM credentials (for example from Secrets Manager); required when a secret ARN is configured. */
  scramCredentials?: ScramCredentials;
  /** SASL mechanism for `aws-iam` (OAUTHBEARER with a token provider), built by the caller. */
  iamSasl?: SASLOptions;
  /** A private CA and/or a client certificate; only with `config.ssl`. */
  tls?: KafkaTlsMaterial;
}

function sasl(config: KafkaConfig, deps: KafkaClientDeps): SASLOptions | undefined {
  switch (config.auth) {
    case KafkaAuthMode.None:
      return undefined;
    case KafkaAuthMode.Mtls:
      if (deps.tls?.cert === undefined || deps.tls.key === undefined)
        throw new ConfigError('KAFKA_CLIENT_CERT_SECRET_ARN', 'the client certificate was not resolved before creating the client');
      return undefined;
    case KafkaAuthMode.ScramSha512: {
      const credentials =
        deps.scramCredentials ??
        (config.username !== undefined && config.password !== undefined ? { username: config.username, password: config.password } : undefined);
      if (credentials === undefined) {
        throw new ConfigError('KAFKA_SASL_SECRET_ARN', 'SCRAM credentials were not resolved before creating the client');
      }
      return { mechanism: 'scram-sha-512', ...credentials };
    }
    case KafkaAuthMode.AwsIam:
      if (deps.iamSasl === undefined) throw new ConfigError('KAFKA_AUTH', 'aws-iam needs an IAM token provider');
      return deps.iamSasl;
  }
}

function logCreator(logger: Logger): KafkaJsConfig['logCreator'] {
  return () =>
    ({ level, log }: LogEntry) => {
      // kafkajs logs its own errors on every retry; keep them as warnings (or, for the
      // transient ones, debug lines: see ./log-entries.ts) and let callers decide what is an
      // error for the application.
      const { message, ...fields } = log;
      const route = kafkaLogRoute(level, message, fields.error);
      if (route === KafkaLogRoute.Warn) logger.warn(`kafkajs: ${message}`, fields);
      else if (route === KafkaLogRoute.Debug) logger.debug(`kafkajs: ${message}`, fields);
    };
}

/**
 * Creates a kafkajs client. It does not connect; producers and consumers made from it
 * connect lazily.
 *
 * @throws {ConfigError} when the chosen authentication lacks its credentials.
 */
export function createKafka(config: KafkaConfig, deps: KafkaClientDeps, options: Partial<KafkaJsConfig> = {}): Kafka {
  const saslOptions = sasl(config, deps);
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: config.ssl ? (deps.tls ?? true) : false,
    ...(saslOptions === undefined ? {} : { sasl: saslOptions }),
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 2_000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator: logCreator(deps.logger),
    ...options,
  });
}

export type { Kafka } from 'kafkajs';
