/**
 * Runs a real schema registry with the Confluent-compatible API for `npm start` and the tests:
 * Apicurio Registry from Maven Central (its `/apis/ccompat/v7` answers as Confluent Schema
 * Registry does). No Docker: Maven fetches the release once into a cache outside the
 * repository, and Java runs it. `SCHEMA_REGISTRY_URL` names an existing registry instead
 * (Confluent Schema Registry, Karapace, another Apicurio), and then nothing is started.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../lib/logger';
import { freePort, isPortOpen } from './ports';
import { lastLines, startWatchedProcess } from './watched-process';

/** The pinned registry release; the 2.6 line runs on Java 17 (3.x needs Java 21). */
const APICURIO_VERSION = '2.6.13.Final';
const APICURIO_ARTIFACT = `io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`;
const RUNNER_JAR = `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`;
const REQUIRED_JAVA = 17;

/** Where the release is cached, outside the repository. */
const REGISTRY_CACHE_DIR = join(homedir(), '.cache', 'serverless-kafka-pipeline', `apicurio-registry-${APICURIO_VERSION}`);

/** The path of the Confluent-compatible API under the registry's root. */
export const CCOMPAT_PATH = '/apis/ccompat/v7';

/** The port `npm start` asks for first (Confluent Schema Registry's usual one). */
export const DEFAULT_REGISTRY_PORT = 8081;

/** A running (or reused) registry. */
export interface SchemaRegistryServer {
  /** The Confluent-compatible base URL, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`. */
  url: string;
  /** True when a registry already answering on the port was reused. */
  reused: boolean;
  /** The process id of the JVM this process started (for memory figures and fault injection). */
  pid?: number;
  /** Stops the registry if this process started it (its schemas are kept in memory and are gone after). */
  stop(): Promise<void>;
}

/** Options for {@link startSchemaRegistry}. */
export interface StartRegistryOptions {
  /** The port; 0 picks a free one. */
  port: number;
  logger: Logger;
  /** Reuse a registry already answering on `port` instead of failing. */
  reuseRunning?: boolean;
  startTimeoutMs?: number;
}

/** Raised when the registry cannot be fetched or started; its message says what to do. */
export class SchemaRegistryLaunchError extends Error {}

const INSTALL_HINT =
  `install Java ${REQUIRED_JAVA} or later and Maven (Debian/Ubuntu: apt-get install openjdk-17-jre-headless maven; macOS: brew install openjdk@17 maven), ` +
  'or set SCHEMA_REGISTRY_URL to an existing Confluent-compatible schema registry';

/** The major version `java -version` reports (`openjdk version "17.0.15"` is 17, `"1.8.0_382"` is 8); undefined without Java. */
export function javaMajorVersion(versionText: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionText);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

function checkJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) throw new SchemaRegistryLaunchError(`Java was not found: ${INSTALL_HINT}.`);
  const major = javaMajorVersion(`${result.stderr ?? ''}${result.stdout ?? ''}`);
  if (major === undefined || major < REQUIRED_JAVA) {
    throw new SchemaRegistryLaunchError(
      `Apicurio Registry ${APICURIO_VERSION} needs Java ${REQUIRED_JAVA} or later, found ${major ?? 'an unknown version'}: ${INSTALL_HINT}.`,
    );
  }
}

/**
 * Makes sure the registry release is in the cache, fetching it with Maven on first use.
 *
 * @returns the folder holding the runner jar and its `lib/`.
 * @throws {SchemaRegistryLaunchError} when Java or Maven is missing or the download fails.
 */
export function ensureRegistryRelease(logger: Logger): string {
  const home = join(REGISTRY_CACHE_DIR, 'app');
  checkJava();
  if (existsSync(join(home, '.complete'))) return home;
  if (spawnSync('mvn', ['-v'], { stdio: 'ignore' }).status !== 0) throw new SchemaRegistryLaunchError(`Maven was not found: ${INSTALL_HINT}.`);
  mkdirSync(REGISTRY_CACHE_DIR, { recursive: true });
  // Fetch and unpack into a private folder, then rename it into place, so that two runs
  // fetching at once never see a half-filled cache.
  const work = mkdtempSync(join(REGISTRY_CACHE_DIR, 'fetch-'));
  logger.info(`fetching Apicurio Registry ${APICURIO_VERSION} from Maven Central (first run only, about 140 MB)`, { cache: REGISTRY_CACHE_DIR });
  const started = Date.now();
  try {
    const fetched = spawnSync('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=${APICURIO_ARTIFACT}`, `-DoutputDirectory=${work}`], {
      cwd: work,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (fetched.status !== 0) {
      const output = `${fetched.stdout ?? ''}${fetched.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
      throw new SchemaRegistryLaunchError(`Maven could not fetch Apicurio Registry (exit ${fetched.status}):\n${output}`);
    }
    const unpacked = join(work, 'app');
    mkdirSync(unpacked);
    const untar = spawnSync('tar', ['-xzf', join(work, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`), '-C', unpacked], { encoding: 'utf8' });
    if (untar.status !== 0) throw new SchemaRegistryLaunchError(`unpacking Apicurio Registry failed: ${untar.stderr}`);
    writeFileSync(join(unpacked, '.complete'), `${APICURIO_VERSION}\n`);
    try {
      renameSync(unpacked, home);
    } catch (error) {
      // Another run finished first; its copy is as good as ours.
      if (!existsSync(join(home, '.complete'))) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  logger.info(`fetched Apicurio Registry ${APICURIO_VERSION}`, { durationMs: Date.now() - started });
  return home;
}

/** True when `url` answers the Confluent-compatible `GET /subjects` with a JSON array. */
export async function isSchemaRegistry(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return false;
    return Array.isArray(await response.json());
  } catch {
    return false;
  }
}

/**
 * The JVM's flags: a small heap (the registry holds a handful of schemas) and a quick start
 * over peak speed, since it serves a few lookups per schema and then clients cache.
 */
function jvmArguments(port: number): string[] {
  return [
    '-Xms32m',
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dquarkus.http.port=${port}`,
    // Without it Quarkus listens on every interface.
    '-Dquarkus.http.host=127.0.0.1',
    '-Dquarkus.log.level=WARN',
  ];
}

async function waitForRegistry(url: string, timeoutMs: number, died: Promise<never>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ready = false;
  const poll = async (): Promise<void> => {
    while (!ready && Date.now() < deadline) {
      if (await isSchemaRegistry(url, 500)) {
        ready = true;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!ready) throw new SchemaRegistryLaunchError(`the schema registry did not answer within ${timeoutMs} ms`);
  };
  try {
    await Promise.race([poll(), died]);
  } finally {
    ready = true;
  }
}

/**
 * Starts Apicurio Registry on loopback and waits until its Confluent-compatible API answers.
 * Its storage is in memory: schemas registered are gone when it stops.
 *
 * @throws {SchemaRegistryLaunchError} when Java or Maven is missing, the port is taken by
 *   something else, or the registry fails to start.
 */
export async function startSchemaRegistry(options: StartRegistryOptions): Promise<SchemaRegistryServer> {
  const { logger } = options;
  const port = options.port === 0 ? await freePort() : options.port;
  const url = `http://127.0.0.1:${port}${CCOMPAT_PATH}`;
  if (await isPortOpen('127.0.0.1', port)) {
    if (options.reuseRunning === true && (await isSchemaRegistry(url))) {
      logger.info('reusing the schema registry already running', { registry: url });
      return { url, reused: true, stop: async () => undefined };
    }
    throw new SchemaRegistryLaunchError(`port ${port} is already in use by something that is not a schema registry; free it, or set SCHEMA_REGISTRY_URL`);
  }
  const home = ensureRegistryRelease(logger);
  const logDir = mkdtempSync(join(tmpdir(), 'schema-registry-'));
  const consoleLog = join(logDir, 'console.log');
  const started = Date.now();
  // None outlives the run that started it, the same guard as the broker's (see watched-process.ts).
  const {
    child,
    exited,
    stop: stopChild,
  } = startWatchedProcess({
    name: 'schema-registry',
    command: 'java',
    args: [...jvmArguments(port), '-jar', join(home, RUNNER_JAR)],
    consoleLog,
    cwd: logDir,
  });
  const died = exited.then((code): never => {
    throw new SchemaRegistryLaunchError(`the schema registry exited (code ${code}) before it was ready:\n${lastLines(consoleLog, 20)}`);
  });
  died.catch(() => undefined);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await stopChild(15_000);
      rmSync(logDir, { recursive: true, force: true });
      logger.info('schema registry stopped', { registry: url });
    })();
    return stopped;
  };

  try {
    await waitForRegistry(url, options.startTimeoutMs ?? 90_000, died);
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info(`Apicurio Registry ${APICURIO_VERSION} started`, { registry: url, startupMs: Date.now() - started, pid: child.pid });
  child.unref();
  (child.stdin as { unref?: () => void } | null)?.unref?.();
  return { url, reused: false, ...(child.pid === undefined ? {} : { pid: child.pid }), stop };
}
