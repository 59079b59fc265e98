/**
 * The chaos run's own broker and store, on fixed loopback ports, with data folders that
 * survive a stop, so that a scenario can stop and restart them like an outage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKafkaBroker, type KafkaBroker } from '../../lib/local/kafka-broker';
import { startDynamoStore, type DynamoStore } from '../../lib/local/dynamo-store';
import { freePort } from '../../lib/local/ports';
import type { Logger } from '../../lib/logger';

/** A broker that can be stopped and started again on the same ports with the same data. */
export interface RestartableBroker {
  brokers: string[];
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

/** Starts a broker with 3 partitions per new topic, on free ports, with a persistent data folder. */
export async function startRestartableBroker(logger: Logger): Promise<RestartableBroker> {
  const port = await freePort();
  const controllerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'chaos-kafka-'));
  const launch = (): Promise<KafkaBroker> => startKafkaBroker({ port, controllerPort, logger, dataDir, defaultPartitions: 3 });
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
  let current: DynamoStore | undefined = await startDynamoStore(0, { path });
  const port = current.port;
  const stop = async (): Promise<void> => {
    const store = current;
    current = undefined;
    await store?.stop();
  };
  return {
    endpoint: current.endpoint,
    get running() {
      return current !== undefined;
    },
    stop,
    async start() {
      current ??= await startDynamoStore(port, { path });
    },
    async close() {
      await stop();
      rmSync(path, { recursive: true, force: true });
    },
  };
}
