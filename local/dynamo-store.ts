/**
 * An embedded DynamoDB-compatible server (dynalite, in memory unless given a folder) for
 * `npm start` and the tests.
 *
 * What dynalite lacks, and the code must not rely on: TransactWriteItems, UpdateTimeToLive,
 * and the existing item on a failed condition check (`ReturnValuesOnConditionCheckFailure`).
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';

const require = createRequire(import.meta.url);

/** A running embedded store. */
export interface DynamoStore {
  /** HTTP endpoint for the AWS SDK, for example `http://127.0.0.1:8000`. */
  endpoint: string;
  port: number;
  /** Stops accepting requests and drops its data (kept on disk when started with a `path`). */
  stop(): Promise<void>;
}

/** Options for {@link startDynamoStore}. */
export interface StartDynamoOptions {
  /**
   * A folder for dynalite's LevelDB files, so that the data survives stop() and a later
   * start with the same path (store-outage fault injection). In memory when absent.
   */
  path?: string;
}

/**
 * Starts dynalite on a loopback port (0 picks a free one) with tables that become active at once.
 *
 * @throws Error when the port is taken.
 */
export async function startDynamoStore(port = 0, options: StartDynamoOptions = {}): Promise<DynamoStore> {
  const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path === undefined ? {} : { path: options.path }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('dynalite has no address');
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      return stopped;
    },
  };
}
