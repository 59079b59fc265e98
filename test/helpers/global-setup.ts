/**
 * Starts one real Kafka broker, one dynalite server and one schema registry for the whole
 * test run (or reuses those named by KAFKA_BROKERS / DYNAMODB_ENDPOINT / SCHEMA_REGISTRY_URL),
 * and stops them at the end, also when tests fail. The broker has secure listeners beside the
 * plaintext one (SASL_SSL with SCRAM, SSL with client certificates) for the authentication
 * tests; with KAFKA_BROKERS, a broker of its own serves those, since their users and
 * certificates must be known here.
 */
import type { TestProject } from 'vitest/node';
import { externalServices } from '../../lib/config';
import { startKafkaBroker, type KafkaBroker } from '../../local/kafka-broker';
import type { KafkaSecurity } from '../../local/kafka-security';
import { startDynamoStore, type DynamoStore } from '../../local/dynamo-store';
import { freePort } from '../../local/ports';
import { startSchemaRegistry, type SchemaRegistryServer } from '../../local/registry';
import { createLogger } from '../../lib/logger';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    dynamoEndpoint: string;
    schemaRegistryUrl: string;
    /** The secure listeners, and the plaintext bootstrap of the broker that has them. */
    kafkaSecurity: KafkaSecurity & { plaintextBrokers: string[] };
  }
}

async function securePorts(): Promise<{ saslSslPort: number; sslPort: number }> {
  return { saslSslPort: await freePort(), sslPort: await freePort() };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const logger = createLogger('info', (line) => process.stderr.write(`[test-infra] ${line}\n`));
  const external = externalServices();
  let broker: KafkaBroker | undefined;
  let store: DynamoStore | undefined;
  let registry: SchemaRegistryServer | undefined;
  const teardown = async (): Promise<void> => {
    await Promise.all([store?.stop(), broker?.stop(), registry?.stop()]);
  };
  try {
    // Started first: the JVM boots while the broker does.
    const registryStart =
      external.schemaRegistryUrl === undefined
        ? startSchemaRegistry({ port: 0, logger }).then((started) => {
            registry = started;
            return started.url;
          })
        : Promise.resolve(external.schemaRegistryUrl);
    registryStart.catch(() => undefined);
    // Free ports, not the npm start defaults, so tests never collide with a running pipeline.
    broker = await startKafkaBroker({ port: await freePort(), controllerPort: await freePort(), logger, defaultPartitions: 3, secure: await securePorts() });
    project.provide('kafkaSecurity', { ...(broker.security as KafkaSecurity), plaintextBrokers: broker.brokers });
    if (external.kafkaBrokers !== undefined) {
      logger.info('using the Kafka cluster named by KAFKA_BROKERS', { brokers: external.kafkaBrokers.join(',') });
      project.provide('kafkaBrokers', external.kafkaBrokers);
    } else {
      project.provide('kafkaBrokers', broker.brokers);
    }
    if (external.dynamoEndpoint !== undefined) {
      logger.info('using the DynamoDB endpoint named by DYNAMODB_ENDPOINT', { endpoint: external.dynamoEndpoint });
      project.provide('dynamoEndpoint', external.dynamoEndpoint);
    } else {
      store = await startDynamoStore();
      logger.info('dynalite started', { endpoint: store.endpoint });
      project.provide('dynamoEndpoint', store.endpoint);
    }
    if (external.schemaRegistryUrl !== undefined)
      logger.info('using the schema registry named by SCHEMA_REGISTRY_URL', { registry: external.schemaRegistryUrl });
    project.provide('schemaRegistryUrl', await registryStart);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
