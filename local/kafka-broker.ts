/**
 * Runs a real single-node Apache Kafka broker (KRaft, combined broker and controller) from
 * Maven Central jars, for `npm start` and the tests. No Docker: Maven fetches the broker's
 * jars once into a cache outside the repository, and Java runs them.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKafkaReachable, waitForKafka } from './kafka/admin';
import { prepareKafkaSecurity, scramFormatArguments, secureListeners, securityProperties, type KafkaSecurity, type SecurePorts } from './kafka-security';
import { isPortOpen } from './ports';
import { lastLines, startWatchedProcess } from './watched-process';
import type { Logger } from '../lib/logger';

/** The pinned broker version; 3.9.x is the line kafkajs 2.2.4 is known to work with. */
const KAFKA_VERSION = '3.9.1';
const SCALA_VERSION = '2.13';

/** Where the broker's jars are cached, per version, outside the repository. */
const KAFKA_CACHE_DIR = join(homedir(), '.cache', 'serverless-kafka-pipeline', `kafka_${SCALA_VERSION}-${KAFKA_VERSION}`);

/** A running (or reused) broker. */
export interface KafkaBroker {
  /** Bootstrap address, `127.0.0.1:port`. */
  brokers: string[];
  /** True when an already-running broker was found and reused instead of started. */
  reused: boolean;
  /** The secure listeners and what clients need to use them, when started with `secure`. */
  security?: KafkaSecurity;
  /**
   * Stops the broker if this process started it and removes its data (unless a persistent
   * `dataDir` was given); a no-op for a reused one.
   */
  stop(): Promise<void>;
}

/** Options for {@link startKafkaBroker}. */
export interface StartKafkaOptions {
  port: number;
  controllerPort: number;
  logger: Logger;
  /** Reuse a Kafka broker already listening on `port` instead of failing. */
  reuseRunning?: boolean;
  /** Partitions of auto-created internal topics and the default for new topics. */
  defaultPartitions?: number;
  startTimeoutMs?: number;
  /**
   * A folder that keeps the broker's data across stop() and a later start on the same ports
   * (fault-injection runs restart the broker and expect acknowledged records to survive).
   * It is formatted on first use and never deleted. By default the data is throwaway.
   */
  dataDir?: string;
  /**
   * Also a SASL_SSL (SCRAM-SHA-512) and an SSL (client certificates) listener on these ports,
   * with certificates and a user generated at start (see `kafka-security.ts`).
   */
  secure?: SecurePorts;
}

/** Raised when the broker cannot be fetched or started; its message says what to do. */
export class KafkaBrokerError extends Error {}

function hasCommand(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

const INSTALL_HINT =
  'install Java 17 and Maven (Debian/Ubuntu: apt-get install openjdk-17-jre-headless maven; macOS: brew install openjdk@17 maven), ' +
  'or set KAFKA_BROKERS to an existing Kafka cluster';

/**
 * Makes sure the broker's jars are in the cache, fetching them with Maven on first use.
 *
 * @returns the folder holding the jars.
 * @throws {KafkaBrokerError} when Java or Maven is missing or the download fails.
 */
export function ensureKafkaJars(logger: Logger): string {
  const libs = join(KAFKA_CACHE_DIR, 'libs');
  if (existsSync(join(libs, '.complete'))) return libs;
  if (!hasCommand('java', ['-version'])) throw new KafkaBrokerError(`Java was not found: ${INSTALL_HINT}.`);
  if (!hasCommand('mvn', ['-v'])) throw new KafkaBrokerError(`Maven was not found: ${INSTALL_HINT}.`);
  mkdirSync(KAFKA_CACHE_DIR, { recursive: true });
  // Fetch into a private folder and rename it into place, so that two runs fetching at
  // once never see a half-filled cache.
  const work = mkdtempSync(join(KAFKA_CACHE_DIR, 'fetch-'));
  const pom = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.serverless-kafka</groupId><artifactId>kafka-broker-jars</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_${SCALA_VERSION}</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <!-- The release tarball adds these logging jars; the Maven artifact does not. -->
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`;
  writeFileSync(join(work, 'pom.xml'), pom);
  logger.info(`fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central (first run only)`, { cache: KAFKA_CACHE_DIR });
  const started = Date.now();
  const result = spawnSync(
    'mvn',
    ['-q', '-B', '-f', join(work, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${join(work, 'libs')}`, '-DincludeScope=runtime'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) {
    rmSync(work, { recursive: true, force: true });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new KafkaBrokerError(`Maven could not fetch the Kafka jars (exit ${result.status}):\n${output}`);
  }
  writeFileSync(join(work, 'libs', '.complete'), `${KAFKA_VERSION}\n`);
  try {
    renameSync(join(work, 'libs'), libs);
  } catch (error) {
    // Another run finished first; its copy is as good as ours.
    if (!existsSync(join(libs, '.complete'))) throw error;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  logger.info(`fetched Apache Kafka ${KAFKA_VERSION} jars`, { durationMs: Date.now() - started });
  return libs;
}

function serverProperties(options: StartKafkaOptions, dataDir: string, security: KafkaSecurity | undefined): string {
  const partitions = options.defaultPartitions ?? 1;
  const secure = security === undefined ? { listeners: [], protocols: [] } : secureListeners(security);
  const advertised = [`PLAINTEXT://127.0.0.1:${options.port}`, ...secure.listeners];
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${options.controllerPort}`,
    `listeners=${[...advertised, `CONTROLLER://127.0.0.1:${options.controllerPort}`].join(',')}`,
    `advertised.listeners=${advertised.join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=${['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', ...secure.protocols].join(',')}`,
    ...(security === undefined ? [] : securityProperties(security)),
    `log.dirs=${join(dataDir, 'logs')}`,
    // Like Amazon MSK's default: producing to a missing topic is an error, not a new topic.
    'auto.create.topics.enable=false',
    `num.partitions=${partitions}`,
    'offsets.topic.replication.factor=1',
    // Fewer offsets partitions than the default 50: the first consumer group joins faster.
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'min.insync.replicas=1',
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=24',
    '',
  ].join('\n');
}

const LOG4J = `log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=\${kafka.logs.dir}/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
`;

/**
 * Starts a single-node KRaft broker on loopback and waits until it answers metadata requests.
 *
 * If something already listens on `options.port`: a Kafka broker is reused when
 * `reuseRunning` is set, anything else is a clear error.
 *
 * @throws {KafkaBrokerError} when Java or Maven is missing, the port is taken, or the broker fails to start.
 */
export async function startKafkaBroker(options: StartKafkaOptions): Promise<KafkaBroker> {
  const { logger } = options;
  const brokers = [`127.0.0.1:${options.port}`];
  if (await isPortOpen('127.0.0.1', options.port)) {
    // A running broker's secure listeners and credentials are unknown here: only a fresh one has them.
    if (options.reuseRunning === true && options.secure === undefined && (await isKafkaReachable(brokers))) {
      logger.info('reusing the Kafka broker already running', { brokers: brokers.join(',') });
      return { brokers, reused: true, stop: async () => undefined };
    }
    if (options.secure !== undefined) {
      throw new KafkaBrokerError(`port ${options.port} is already in use; the secure listeners need a broker of their own: stop the one running there`);
    }
    throw new KafkaBrokerError(
      `port ${options.port} is already in use by something that is not a Kafka broker; free it, or set KAFKA_BROKERS to an existing cluster`,
    );
  }
  if (await isPortOpen('127.0.0.1', options.controllerPort)) {
    throw new KafkaBrokerError(`controller port ${options.controllerPort} is already in use; free it, or set KAFKA_BROKERS`);
  }
  for (const port of options.secure === undefined ? [] : [options.secure.saslSslPort, options.secure.sslPort]) {
    if (await isPortOpen('127.0.0.1', port)) throw new KafkaBrokerError(`secure listener port ${port} is already in use; free it`);
  }

  const libs = ensureKafkaJars(logger);
  const persistent = options.dataDir !== undefined;
  if (persistent) mkdirSync(options.dataDir as string, { recursive: true });
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'kafka-broker-'));
  // Removes the data only when it is throwaway.
  const discard = (): void => {
    if (!persistent) rmSync(dataDir, { recursive: true, force: true });
  };
  let security: KafkaSecurity | undefined;
  try {
    security = options.secure === undefined ? undefined : prepareKafkaSecurity(join(dataDir, 'security'), options.secure);
  } catch (error) {
    discard();
    throw new KafkaBrokerError((error as Error).message);
  }
  const propertiesFile = join(dataDir, 'server.properties');
  const log4jFile = join(dataDir, 'log4j.properties');
  writeFileSync(propertiesFile, serverProperties(options, dataDir, security));
  writeFileSync(log4jFile, LOG4J);
  const jvm = [
    '-Xms256m',
    '-Xmx1g',
    '-XX:+UseG1GC',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4jFile}`,
    `-Dkafka.logs.dir=${dataDir}`,
    '-cp',
    join(libs, '*'),
  ];
  const started = Date.now();
  // A persistent folder is formatted once; formatting again would refuse (or lose) its data.
  const formatted = existsSync(join(dataDir, 'logs', 'meta.properties'));
  const format = formatted
    ? { status: 0, stdout: '', stderr: '' }
    : spawnSync(
        'java',
        [
          ...jvm,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          randomUUID().replaceAll('-', '').slice(0, 22),
          '-c',
          propertiesFile,
          ...(security === undefined ? [] : scramFormatArguments(security)),
        ],
        { encoding: 'utf8' },
      );
  if (format.status !== 0) {
    discard();
    throw new KafkaBrokerError(`formatting KRaft storage failed:\n${format.stdout}${format.stderr}`);
  }

  const consoleLog = join(dataDir, 'console.log');
  // No broker outlives the run that started it (see watched-process.ts).
  const {
    child,
    exited,
    stop: stopChild,
  } = startWatchedProcess({
    name: 'kafka-broker',
    command: 'java',
    args: [...jvm, 'kafka.Kafka', propertiesFile],
    consoleLog,
    ...(persistent ? {} : { throwawayDir: dataDir }),
  });
  const died = exited.then((code): never => {
    throw new KafkaBrokerError(
      `the Kafka broker exited (code ${code}) before it was ready:\n${lastLines(consoleLog, 15)}\n${lastLines(join(dataDir, 'server.log'), 15)}`,
    );
  });
  died.catch(() => undefined);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await stopChild(30_000);
      discard();
      logger.info('Kafka broker stopped', { brokers: brokers.join(',') });
    })();
    return stopped;
  };

  try {
    await waitForKafka(brokers, options.startTimeoutMs ?? 90_000, died);
  } catch (error) {
    await stop();
    throw error instanceof KafkaBrokerError ? error : new KafkaBrokerError(String(error));
  }
  logger.info(`Apache Kafka ${KAFKA_VERSION} broker started`, {
    brokers: brokers.join(','),
    startupMs: Date.now() - started,
    pid: child.pid,
  });
  // The broker must not keep this process alive on its own; stop() is explicit.
  child.unref();
  (child.stdin as { unref?: () => void } | null)?.unref?.();
  return { brokers, reused: false, stop, ...(security === undefined ? {} : { security }) };
}
