/**
 * `npm run kafka -- fetch|start [--secure]`: fetch the broker's jars, or run a broker in the
 * foreground on 127.0.0.1:19092 until Ctrl-C (for use with KAFKA_BROKERS in another shell).
 * With `--secure` it also listens with SASL_SSL (SCRAM-SHA-512) on 19094 and SSL (client
 * certificates required) on 19095, and prints one `secure ...` line with the CA, the user and
 * the client certificate a client needs (local, throwaway credentials).
 */
import { ensureKafkaJars, KafkaBrokerError, startKafkaBroker } from '../local/kafka-broker';
import { secureLine } from '../local/kafka-security';
import { createLogger } from '../lib/logger';

/** The secure listeners' ports of `--secure`, next to the plaintext 19092 and the controller's 19093. */
const SECURE_PORTS = { saslSslPort: 19094, sslPort: 19095 } as const;

const logger = createLogger('info');
const [command = 'start', ...options] = process.argv.slice(2);
const unknown = options.filter((option) => option !== '--secure');
if (unknown.length > 0) {
  process.stderr.write(`unknown argument ${unknown.join(' ')}\nusage: npm run kafka -- fetch|start [--secure]\n`);
  process.exit(2);
}
const secure = options.includes('--secure');

try {
  if (command === 'fetch') {
    const libs = ensureKafkaJars(logger);
    logger.info('Kafka jars are cached', { libs });
  } else if (command === 'start') {
    const broker = await startKafkaBroker({
      port: 19092,
      controllerPort: 19093,
      logger,
      reuseRunning: false,
      defaultPartitions: 3,
      ...(secure ? { secure: SECURE_PORTS } : {}),
    });
    process.stdout.write(`kafka=${broker.brokers.join(',')}\n`);
    if (broker.security !== undefined) process.stdout.write(`${secureLine(broker.security)}\n`);
    const shutdown = (): void => void broker.stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    setInterval(() => undefined, 1 << 30);
  } else {
    process.stderr.write(`usage: npm run kafka -- fetch|start [--secure]\n`);
    process.exitCode = 2;
  }
} catch (error) {
  if (error instanceof KafkaBrokerError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
