/**
 * `npm run kafka -- fetch|start`: fetch the broker's jars, or run a broker in the foreground
 * on 127.0.0.1:19092 until Ctrl-C (for use with KAFKA_BROKERS in another shell).
 */
import { ensureKafkaJars, KafkaBrokerError, startKafkaBroker } from '../local/kafka-broker';
import { createLogger } from '../lib/logger';

const logger = createLogger('info');
const command = process.argv[2] ?? 'start';

try {
  if (command === 'fetch') {
    const libs = ensureKafkaJars(logger);
    logger.info('Kafka jars are cached', { libs });
  } else if (command === 'start') {
    const broker = await startKafkaBroker({ port: 19092, controllerPort: 19093, logger, reuseRunning: false, defaultPartitions: 3 });
    process.stdout.write(`kafka=${broker.brokers.join(',')}\n`);
    const shutdown = (): void => void broker.stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    setInterval(() => undefined, 1 << 30);
  } else {
    process.stderr.write(`usage: npm run kafka -- fetch|start\n`);
    process.exitCode = 2;
  }
} catch (error) {
  if (error instanceof KafkaBrokerError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
