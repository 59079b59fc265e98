/**
 * Resolves what the Kafka client needs to authenticate, once per container, before the
 * first connection: SCRAM credentials (from Secrets Manager when a secret ARN is
 * configured) or an AWS IAM token provider for Amazon MSK.
 */
import { ConfigError } from '../errors';
import { KafkaAuthMode, type KafkaConfig } from '../config';
import type { Logger } from '../logger';
import type { KafkaClientDeps } from './client';

/**
 * Builds the collaborators {@link createKafka} needs for `config.auth`.
 *
 * @throws {ConfigError} when the configured mode cannot be served.
 */
export async function resolveKafkaClientDeps(config: KafkaConfig, logger: Logger): Promise<KafkaClientDeps> {
  switch (config.auth) {
    case KafkaAuthMode.None:
      return { logger };
    case KafkaAuthMode.ScramSha512:
      if (config.saslSecretArn === undefined) return { logger };
      throw new ConfigError('KAFKA_SASL_SECRET_ARN', 'reading SCRAM credentials from Secrets Manager is not wired yet');
    case KafkaAuthMode.AwsIam:
      throw new ConfigError('KAFKA_AUTH', 'aws-iam is not wired yet');
  }
}
