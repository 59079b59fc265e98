/**
 * The chaos run's own broker and store, on fixed loopback ports, with data folders that
 * survive a stop, so that a scenario can stop and restart them like an outage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKafkaBroker, type KafkaBroker } from '../../local/kafka-broker';
import type { KafkaSecurity } from '../../local/kafka-security';
import { freePort } from '../../local/ports';
import type { Logger } from '../../lib/logger';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STORE_SCRIPT = 'chaos/lib/store-process.ts';

/** A broker that can be stopped and started again on the same ports with the same data. */
export interface RestartableBroker {
  /** The plaintext listener, for checks from the outside. */
  brokers: string[];
  /** The SASL_SSL and SSL listeners and their credentials, when started `secure`; the same across restarts. */
  security?: KafkaSecurity;
  /** True while the broker runs. */
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the broker for good and removes its data. */
  close(): Promise<void>;
}

/** A store that can be stopped and started again on the same port with the same data. */
export interface RestartableStore {
  endpoint: string;
  readonly running: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a broker with 3 partitions per new topic, on free ports, with a persistent data folder;
 * `secure` adds the SASL_SSL and SSL listeners, whose CA and users live in that folder too.
 */
export async function startRestartableBroker(logger: Logger, { secure = false }: { secure?: boolean } = {}): Promise<RestartableBroker> {
  const port = await freePort();
  const controllerPort = await freePort();
  const securePorts = secure ? { saslSslPort: await freePort(), sslPort: await freePort() } : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'chaos-kafka-'));
  const launch = (): Promise<KafkaBroker> =>
    startKafkaBroker({ port, controllerPort, logger, dataDir, defaultPartitions: 3, ...(securePorts === undefined ? {} : { secure: securePorts }) });
  let current: KafkaBroker | undefined;
  try {
    current = await launch();
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const stop = async (): Promise<void> => {
    const broker = current;
    current = undefined;
    await broker?.stop();
  };
  return {
    brokers: current.brokers,
    ...(current.security === undefined ? {} : { security: current.security }),
    get running() {
      return current !== undefined;
    },
    stop,
    async start() {
      current ??= await launch();
    },
    async close() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts dynalite on a free port with its data on disk. */
export async function startRestartableStore(): Promise<RestartableStore> {
  const path = mkdtempSync(join(tmpdir(), 'chaos-dynamo-'));
  const port = await freePort();
  let current: ChildProcess | undefined = await launchStore(port, path);
  const stop = async (): Promise<void> => {
    const child = current;
    current = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STORE_STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get running() {
      return current !== undefined;
    },
    stop,
    async start() {
      current ??= await launchStore(port, path);
    },
    async close() {
      await stop();
      rmSync(path, { recursive: true, force: true });
    },
  };
}

// dynalite waits for the operations in hand before it closes; a stuck one must not hold a scenario.
const STORE_STOP_GRACE_MS = 10_000;
const STORE_READY_TIMEOUT_MS = 30_000;

/**
 * Starts chaos/lib/store-process.ts in its own process, so that stopping the store is an
 * outage seen over the network and dynalite's shutdown errors stay in that process.
 */
async function launchStore(port: number, path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', STORE_SCRIPT, String(port), path], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`store not ready after ${STORE_READY_TIMEOUT_MS} ms: ${output}`)), STORE_READY_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (/^ready /m.test(output)) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`store exited (${code}) before ready: ${output}`));
    });
  });
  // Keep draining its output so that it never blocks on a full pipe.
  child.stdout.resume();
  child.stderr.resume();
  return child;
}
